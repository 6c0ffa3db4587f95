// The lab refuses bad output paths, resource requests and strategy flags before any simulation: one line, exit 1,
// nothing on stdout, and nothing created.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const WORKLOAD = join(ROOT, 'presets/workloads/mixed-production.yaml');
const dir = mkdtempSync(join(tmpdir(), 'servesim-bad-lab-'));
writeFileSync(join(dir, 'afile'), 'x');

/** Fixed flags per strategy name where a case needs bad ones. */
const FIXED: Record<string, string> = { typo: '--num-request 50', 'bad-fixed': '--num-requests many' };

function strategy(name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
workload_spec: ${WORKLOAD}
fixed_args: [--model meta-llama/llama-3.1-8b-instruct, ${FIXED[name] ?? '--num-requests 50'}]
objective: {metric: ttft_p99_ms, direction: minimize}
${body}`,
  );
  return file;
}

const good = strategy('good', 'parameters: [{name: t, flag: --max-num-scheduled-tokens, type: integer, low: 512, high: 4096, default: 2048}]');
const ledger = join(dir, 'ledger.yaml');
writeFileSync(ledger, `baseline: "0"\nentries:\n  - {id: "0", name: base, strategy: ${good}}\n`);

const cli = (argv: string[]) => runCliCaptured(argv, dir);

const STORE = ['--store', join(dir, 'store.sqlite'), '--seeds', '42'];
const CASES: Array<[string, string[], RegExp]> = [
  ['optimize --output under a file', ['optimize', good, ...STORE, '--output', 'afile/best.json'], /^--output .*afile\/best\.json: .*afile is not a directory$/],
  ['optimize --output is a directory', ['optimize', good, ...STORE, '--output', '.'], /^--output .*: is a directory, expected a file path$/],
  ['ledger --out under a file', ['ledger', ledger, ...STORE, '--out', 'afile/out'], /^--out .*afile\/out: .*afile is not a directory$/],
  ['compare --jobs 500', ['compare', good, good, ...STORE, '--jobs', '500'], /^--jobs 500 would need about 31\.3 GiB \(≈ 64 MiB per worker\) but this machine can give [\d.]+ GiB; it has \d+ cores, so --jobs \d+ is as fast$/],
  ['compare --jobs 0', ['compare', good, good, ...STORE, '--jobs', '0'], /^--jobs: expected an integer >= 1, got "0"$/],
  [
    'strategy searching a real value on an integer flag',
    ['optimize', strategy('real-on-int', 'parameters: [{name: t, flag: --max-num-scheduled-tokens, type: real, low: 512, high: 4096}]'), ...STORE],
    /^strategy .*real-on-int\.yaml: parameters\[0\]\.type: --max-num-scheduled-tokens takes integers; use type: integer$/,
  ],
  [
    'strategy whose range leaves the flag domain',
    ['optimize', strategy('out-of-domain', 'parameters: [{name: w, flag: --slo-age-weight, type: real, low: -1, high: 1}]'), ...STORE],
    /^strategy .*out-of-domain\.yaml: parameters\[0\]\.low: --slo-age-weight must be a finite value >= 0, got -1$/,
  ],
  [
    'strategy with an unknown run flag',
    ['optimize', strategy('unknown-flag', 'parameters: [{name: w, flag: --slo-age-weigth, type: real, low: 0, high: 1}]'), ...STORE],
    /^strategy .*unknown-flag\.yaml: parameters\[0\]\.flag: unknown run flag --slo-age-weigth \(did you mean --slo-age-weight\?\)$/,
  ],
  [
    'strategy with a misspelt fixed flag',
    ['compare', strategy('typo', 'description: x'), good, ...STORE],
    /^strategy .*typo\.yaml: fixed_args: unknown flag: --num-request \(did you mean --num-requests\?\)$/,
  ],
  [
    'strategy with a fixed value of the wrong type',
    ['compare', strategy('bad-fixed', 'description: y'), good, ...STORE],
    /^strategy .*bad-fixed\.yaml: fixed_args: invalid argument "many" for "--num-requests" flag: expected an integer \(int\)$/,
  ],
  ['compare --reference not among the strategies', ['compare', good, good, ...STORE, '--reference', 'nobody'], /^--reference "nobody": not one of the compared strategies \(good, good\)$/],
  ['compare --json with --csv', ['compare', good, good, ...STORE, '--json', '--csv'], /^compare: --json and --csv exclude each other$/],
  ['sweep without --vary', ['sweep', good, ...STORE], /^sweep: give at least one --vary NAME=VALUES$/],
  ['sweep with an unknown metric', ['sweep', good, ...STORE, '--vary', 'num-instances=1,2', '--metrics', 'latency'], /^--metrics: unknown metric "latency"$/],
  ['sweep with a bad grid value', ['sweep', good, ...STORE, '--vary', 'num-instances=1,zero'], /^--vary: invalid argument "zero" for "--num-instances" flag: expected an integer \(int\) \(in good: fixed_args\)$/],
  ['ablate a strategy without components', ['ablate', good, '--baseline', good, ...STORE], /^ablate: strategy .*good\.yaml names no components/],
  ['strategy with a missing plugin', ['compare', strategy('no-plugin', 'plugins: [./missing.ts]'), good, ...STORE], /^strategy .*no-plugin\.yaml: fixed_args: plugin .*missing\.ts: no such file$/],
];

describe('lab commands refuse bad input before any simulation', () => {
  it.each(CASES)(
    '%s',
    async (_name, argv, expected) => {
      const { exitCode: code, stdout, stderr } = await cli(argv);
      expect(stdout).toBe('');
      expect(code).toBe(1);
      const lines = stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
      expect(existsSync(join(dir, 'store.sqlite'))).toBe(false);
    },
  );
});
