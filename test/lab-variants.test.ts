// Strategy variants (extends, remove_args, remove_parameters, --set) and the many-way compare statistics.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMultiComparison, formatMultiCompareCsv } from '../src/lab/compare-many.js';
import type { MetricValues } from '../src/lab/metrics.js';
import { buildRunArgv, configHash } from '../src/lab/runargs.js';
import { holmAdjust } from '../src/lab/stats.js';
import { loadStrategy } from '../src/lab/strategy.js';
import { applySets } from '../src/lab/strategy-variants.js';
import { errorOf } from './support/cli.js';

const ROOT = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'servesim-variants-'));
mkdirSync(join(dir, 'base'));
mkdirSync(join(dir, 'variants'));
writeFileSync(join(dir, 'base', 'workload.yaml'), `version: "2"\nseed: 1\naggregate_rate: 50\nnum_requests: 20\nclients:\n  - id: c\n    rate_fraction: 1\n    input_distribution: {type: constant, params: {value: 64}}\n    output_distribution: {type: constant, params: {value: 8}}\n`);
writeFileSync(
  join(dir, 'base', 'base.yaml'),
  `name: base
workload_spec: ./workload.yaml
seeds: 42,43
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --num-instances 2
  - --slo-prefill
  - --policy-config ./bundle.yaml
parameters:
  - {name: tokens, flag: --max-num-scheduled-tokens, type: integer, low: 256, high: 4096, default: 2048}
  - {name: critical, flag: --slo-prefill-critical, type: integer, low: 0, high: 512, default: 128}
derived:
  - {flag: --slo-prefill-sheddable, when: {param: critical, equals: 0}, then: 0, else: 256}
objective: {metric: critical_ttft_p99_ms, direction: minimize}
`,
);
writeFileSync(join(dir, 'base', 'bundle.yaml'), 'scheduler: fcfs\n');

function variant(name: string, body: string): string {
  const file = join(dir, 'variants', `${name}.yaml`);
  writeFileSync(file, `extends: ../base/base.yaml\nname: ${name}\n${body}`);
  return file;
}


describe('extends', () => {
  it('inherits everything, with paths still pointing at the base folder', () => {
    const s = loadStrategy(variant('same', ''));
    const base = loadStrategy(join(dir, 'base', 'base.yaml'));
    expect(s.workloadSpec).toBe(join(dir, 'base', 'workload.yaml'));
    expect(s.fixedArgs).toContain(join(dir, 'base', 'bundle.yaml'));
    expect(s.seeds).toEqual([42, 43]);
    expect(s.parameters.map((p) => p.name)).toEqual(['tokens', 'critical']);
    // Same resolved run → same trial-store identity as the base.
    const argv = (x: typeof s) => buildRunArgv(x, { tokens: 2048, critical: 128 }, 42);
    expect(configHash(argv(s), join(dir, 'variants'))).toBe(configHash(argv(base), join(dir, 'base')));
  });

  it('overrides a fixed flag, fixes a searched one, removes flags and parameters', () => {
    const s = loadStrategy(
      variant('changed', 'fixed_args: [--num-instances 4, --max-num-scheduled-tokens 1024]\nremove_args: [--slo-prefill]\nremove_parameters: [critical]\n'),
    );
    expect(s.fixedArgs.join(' ')).toBe(`--model meta-llama/llama-3.1-8b-instruct --policy-config ${join(dir, 'base', 'bundle.yaml')} --num-instances 4 --max-num-scheduled-tokens 1024`);
    expect(s.parameters).toEqual([]);
    expect(s.derived).toEqual([]); // its parameter went away
  });

  it('replaces an inherited parameter of the same name', () => {
    const s = loadStrategy(variant('narrow', 'parameters: [{name: tokens, flag: --max-num-scheduled-tokens, type: integer, low: 768, high: 1536, default: 1024}]\n'));
    expect(s.parameters.map((p) => [p.name, p.type === 'categorical' ? 0 : p.low])).toEqual([
      ['critical', 0],
      ['tokens', 768],
    ]);
  });

  it('explains cycles and removals of things that are not there', () => {
    const a = join(dir, 'variants', 'cycle-a.yaml');
    writeFileSync(a, 'extends: ./cycle-b.yaml\nname: a\n');
    writeFileSync(join(dir, 'variants', 'cycle-b.yaml'), 'extends: ./cycle-a.yaml\nname: b\n');
    expect(errorOf(() => loadStrategy(a))).toMatch(/extends: a cycle \(.*cycle-a\.yaml → .*cycle-b\.yaml → .*cycle-a\.yaml\)$/);
    expect(errorOf(() => loadStrategy(variant('bad-remove', 'remove_args: [--nope]\n')))).toMatch(/remove_args: --nope is not in the inherited fixed_args$/);
    expect(errorOf(() => loadStrategy(variant('bad-param', 'remove_parameters: [nope]\n')))).toMatch(/remove_parameters: "nope" is not an inherited parameter$/);
    const plain = join(dir, 'variants', 'plain.yaml');
    writeFileSync(plain, `name: p\nworkload_spec: ${join(ROOT, 'presets/workloads/mixed-production.yaml')}\nremove_args: [--x]\n`);
    expect(errorOf(() => loadStrategy(plain))).toMatch(/remove_args: only meaningful with extends$/);
    const orphan = join(dir, 'variants', 'orphan.yaml');
    writeFileSync(orphan, 'extends: ./nowhere.yaml\nname: o\n');
    expect(errorOf(() => loadStrategy(orphan))).toMatch(/strategy file .*nowhere\.yaml: cannot read \(ENOENT\)$/);
  });
});

describe('--set', () => {
  const base = () => loadStrategy(join(dir, 'base', 'base.yaml'));
  it('replaces a fixed flag, fixes a searched flag and adds or drops booleans', () => {
    const s = applySets(base(), ['num-instances=8', '--max-num-scheduled-tokens=1024', 'slo-prefill=false', 'slo-preemption=true'], dir);
    expect(s.fixedArgs).toContain('--num-instances=8');
    expect(s.fixedArgs).not.toContain('--slo-prefill');
    expect(s.fixedArgs).toContain('--slo-preemption');
    expect(s.parameters.map((p) => p.name)).toEqual(['critical']);
  });

  it('refuses what it cannot mean', () => {
    expect(errorOf(() => applySets(base(), ['num-instances'], dir))).toBe('--set: expected FLAG=VALUE (e.g. --set max-num-scheduled-tokens=1024), got "num-instances"');
    expect(errorOf(() => applySets(base(), ['slo-prefill-sheddable=3'], dir))).toMatch(/derived from parameter "critical"/);
    expect(errorOf(() => applySets(base(), ['num-instances=many'], dir))).toMatch(/^--set: invalid argument "many" for "--num-instances" flag/);
    expect(errorOf(() => applySets(base(), ['num-instancs=2'], dir))).toMatch(/^--set: unknown flag: --num-instancs \(did you mean --num-instances\?\)/);
    expect(errorOf(() => applySets(base(), ['seed=3'], dir))).toBe('--set: the seed is chosen with --seeds');
  });
});

describe('many-way compare statistics', () => {
  const strategy = (name: string, numRequests = '100') => ({
    name,
    file: `${name}.yaml`,
    workloadSpec: join(dir, 'base', 'workload.yaml'),
    fixedArgs: ['--num-requests', numRequests],
  });
  const seeds = [1, 2, 3, 4];
  const m = (values: number[]): MetricValues[] => values.map((v) => ({ ttft_p99_ms: v }) as MetricValues);

  it('gives each mean its t interval and each comparison its paired Δ % and Holm-adjusted p', () => {
    const result = buildMultiComparison(
      [strategy('ref'), strategy('better'), strategy('same')],
      seeds,
      [m([100, 110, 90, 100]), m([80, 90, 70, 80]), m([101, 109, 91, 99])],
      0,
      { holm: true },
    );
    const rows = result.rows.filter((r) => r.metric === 'ttft_p99_ms');
    expect(rows.map((r) => r.strategy)).toEqual(['ref', 'better', 'same']);
    expect(rows[0]!.mean).toBe(100);
    // sd of [100,110,90,100] = 8.165; t(0.975, 3) = 3.1824 → half-width 12.99
    expect(rows[0]!.halfWidth).toBeCloseTo(3.182446 * (8.164966 / 2), 3);
    expect(rows[0]!.vsReference).toBeUndefined();
    // "better" is exactly 20 lower on every seed: sd of the differences is 0 → p = 0, Δ = −20 %.
    expect(rows[1]!.vsReference).toMatchObject({ diffPct: -20, ciLowPct: -20, ciHighPct: -20, pValue: 0, significant: true });
    const raw = [rows[1]!.vsReference!.pValue, rows[2]!.vsReference!.pValue];
    expect([rows[1]!.vsReference!.pAdjusted, rows[2]!.vsReference!.pAdjusted]).toEqual(holmAdjust(raw));
    expect(rows[2]!.vsReference!.significant).toBe(false);
    expect(result.warnings).toEqual([]);
    const csvRow = formatMultiCompareCsv(result).split('\n')[2]!;
    expect(csvRow).toMatch(/^cluster,ttft_p99_ms,better,ref,4,80,12\.992\d*,-20,-20,-20,0,0,true$/);
  });

  it('Holm: the smallest p is multiplied by the family size, later ones never fall below earlier ones', () => {
    expect(holmAdjust([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    expect(holmAdjust([0.5, NaN])).toEqual([0.5, NaN]);
  });

  it('warns when a strategy runs a different workload', () => {
    const result = buildMultiComparison([strategy('ref'), strategy('other', '50')], seeds, [m([1, 2, 3, 4]), m([1, 2, 3, 4])], 0);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^other runs a different workload than ref \(.*--num-requests 50 vs .*--num-requests 100\): its pairs are not the same requests$/);
  });
});
