import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/cluster/simulate.js';
import { renderRunOutput } from '../src/metrics/output.js';
import { GOLDEN_DIR, makeConfig, readTraceCsv } from './support/sim-config.js';

function render(config: ReturnType<typeof makeConfig>): string {
  let out = '';
  renderRunOutput(simulate(config), { summarizeTrace: false, traceLevel: 'none' }, (s) => (out += s));
  return out;
}

const cases: Array<[string, string]> = [
  ['G24', 'one-request.csv'],
  ['G25', 'zero-output-then-cache-hit.csv'],
  ['G26', 'zero-input.csv'],
  ['G16', 'two-simultaneous.csv'],
];

describe('single-instance mechanics against golden CSV-trace cases', () => {
  for (const [name, file] of cases) {
    it(`${name} (${file}) stdout matches byte for byte`, () => {
      const config = makeConfig(readTraceCsv(`${GOLDEN_DIR}workloads/${file}`));
      expect(render(config)).toBe(readFileSync(`${GOLDEN_DIR}${name}.stdout.txt`, 'utf8'));
    });
  }
});
