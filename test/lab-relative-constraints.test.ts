// Hard constraints relative to a reference, evaluated per seed on synthetic metrics with hand-computed slacks, and the
// strategy syntax that declares them (objectives, constraints, references, validation_seeds).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRequirement, mustDominateRequirements } from '../src/lab/relative-constraints.js';
import { loadStrategy, type Requirement } from '../src/lab/strategy.js';
import { errorOf } from './support/cli.js';
import { tempDir, writeStrategy } from './lab/helpers.js';

const seeds = (metric: string, values: number[], first = 42) => values.map((v, i) => ({ seed: first + i, metrics: { [metric]: v } }));

function requirement(partial: Partial<Requirement> & Pick<Requirement, 'metric' | 'op'>): Requirement {
  return { text: 'test', target: { kind: 'strategy', file: '/ref.yaml' }, tolerance: { kind: 'absolute', value: 0 }, ...partial };
}

describe('relative constraints, per seed', () => {
  it('>= reference: slack per seed against the same seed, mean over seeds, scaled by the mean reference', () => {
    const r = requirement({ metric: 'throughput_tps', op: '>=' });
    const out = evaluateRequirement(r, seeds('throughput_tps', [100, 200, 300]), seeds('throughput_tps', [110, 190, 300]));
    expect(out.perSeedSlack).toEqual([10, -10, 0]);
    expect(out.meanSlack).toBe(0);
    expect(out.feasible).toBe(true); // ≤ 0: no worse on the paired mean
    const short = evaluateRequirement(r, seeds('throughput_tps', [100, 185, 300]), seeds('throughput_tps', [110, 190, 300]));
    expect(short.meanSlack).toBeCloseTo(5, 12);
    expect(short.scaledSlack).toBeCloseTo(5 / 200, 12);
    expect(short.feasible).toBe(false);
  });

  it('a relative tolerance is a fraction of each seed’s reference value', () => {
    const r = requirement({ metric: 'throughput_tps', op: '>=', tolerance: { kind: 'relative', fraction: 0.05 } });
    const out = evaluateRequirement(r, seeds('throughput_tps', [100, 200, 300]), seeds('throughput_tps', [110, 190, 300]));
    // tol = 5.5, 9.5, 15 → slack = 10 − 5.5, −10 − 9.5, 0 − 15
    expect(out.perSeedSlack.map((s) => +s.toFixed(9))).toEqual([4.5, -19.5, -15]);
    expect(out.meanSlack).toBeCloseTo(-10, 12);
    expect(out.scaledSlack).toBeCloseTo(-0.05, 12);
  });

  it('<= another strategy with an absolute tolerance, and == a fixed number', () => {
    const le = requirement({ metric: 'sheddable_ttft_p99_ms', op: '<=', tolerance: { kind: 'absolute', value: 10 } });
    const out = evaluateRequirement(le, seeds('sheddable_ttft_p99_ms', [600, 500]), seeds('sheddable_ttft_p99_ms', [580, 520]));
    expect(out.perSeedSlack).toEqual([10, -30]);
    expect(out.feasible).toBe(true);

    const eq = requirement({ metric: 'rejected', op: '==', target: { kind: 'value', value: 0 } });
    const some = evaluateRequirement(eq, seeds('rejected', [0, 2, 0]));
    expect(some.perSeedSlack).toEqual([0, 2, 0]);
    expect(some.feasible).toBe(false);
    expect(some.scaledSlack).toBeCloseTo(2 / 3, 12); // a target of 0 leaves the slack unscaled
    expect(evaluateRequirement(eq, seeds('rejected', [0, 0, 0])).feasible).toBe(true);
  });

  it('refuses a reference evaluated on other seeds, and names an undefined metric', () => {
    const r = requirement({ metric: 'throughput_tps', op: '>=' });
    expect(() => evaluateRequirement(r, seeds('throughput_tps', [1, 2]), seeds('throughput_tps', [1, 2], 50))).toThrow(/same seeds/);
    const nan = requirement({ metric: 'critical_ttft_p99_ms', op: '<=', target: { kind: 'value', value: 100 } });
    const message = errorOf(() => evaluateRequirement(nan, [{ seed: 7, metrics: { critical_ttft_p99_ms: NaN } }]));
    expect(message).toMatch(/critical_ttft_p99_ms is undefined for seed 7: the run has no completed "critical" requests/);
  });

  it('--must-dominate: every objective no worse, the first at least 1 % better', () => {
    const [critical, throughput] = mustDominateRequirements(
      [
        { metric: 'critical_ttft_p99_ms', direction: 'minimize' },
        { metric: 'throughput_tps', direction: 'maximize' },
      ],
      '/x/iter8-opt.yaml',
    );
    expect(critical!.text).toBe('critical_ttft_p99_ms <= iter8-opt.yaml (at least 1% better)');
    expect(throughput!.text).toBe('throughput_tps >= iter8-opt.yaml');
    const ref = seeds('critical_ttft_p99_ms', [100, 100]);
    // 0.5 % better is not enough; 1.05 % better is.
    expect(evaluateRequirement(critical!, seeds('critical_ttft_p99_ms', [99.5, 99.5]), ref).feasible).toBe(false);
    expect(evaluateRequirement(critical!, seeds('critical_ttft_p99_ms', [98.9, 99]), ref).feasible).toBe(true);
    expect(evaluateRequirement(throughput!, seeds('throughput_tps', [999, 1001]), seeds('throughput_tps', [1000, 1000])).feasible).toBe(true);
  });
});

const HEAD = `name: s
workload_spec: workload.yaml
seeds: 42-51
`;

function loadYaml(yaml: string, extra: Record<string, string> = {}) {
  const dir = tempDir();
  for (const [name, text] of Object.entries(extra)) writeStrategy(dir, text, name);
  return { dir, strategy: loadStrategy(writeStrategy(dir, yaml)) };
}

describe('strategy: objectives, hard constraints, references, validation seeds', () => {
  it('parses every constraint form; `reference` is the first references entry; paths are relative to the file', () => {
    const { dir, strategy } = loadYaml(
      `${HEAD}validation_seeds: 52-61
references: [ref.yaml, other.yaml]
objectives:
  - {metric: critical_ttft_p99_ms, direction: minimize}
  - {metric: throughput_tps, direction: maximize}
constraints:
  - throughput_tps >= reference
  - {require: sheddable_ttft_p99_ms <= other.yaml, tolerance: 2.5%}
  - {require: standard_ttft_p99_ms <= 250, tolerance: 5}
  - rejected == 0
`,
      { 'ref.yaml': HEAD, 'other.yaml': HEAD },
    );
    expect(strategy.objective).toEqual({ metric: 'critical_ttft_p99_ms', direction: 'minimize' });
    expect(strategy.objectives).toHaveLength(2);
    expect(strategy.validationSeeds).toEqual([52, 53, 54, 55, 56, 57, 58, 59, 60, 61]);
    expect(strategy.references).toEqual([join(dir, 'ref.yaml'), join(dir, 'other.yaml')]);
    expect(strategy.constraints).toEqual([]);
    expect(strategy.requirements).toEqual([
      { text: 'throughput_tps >= reference (ref.yaml)', metric: 'throughput_tps', op: '>=', target: { kind: 'strategy', file: join(dir, 'ref.yaml') }, tolerance: { kind: 'absolute', value: 0 } },
      {
        text: 'sheddable_ttft_p99_ms <= other.yaml (tolerance 2.5%)',
        metric: 'sheddable_ttft_p99_ms',
        op: '<=',
        target: { kind: 'strategy', file: join(dir, 'other.yaml') },
        tolerance: { kind: 'relative', fraction: 0.025 },
      },
      { text: 'standard_ttft_p99_ms <= 250 (tolerance 5)', metric: 'standard_ttft_p99_ms', op: '<=', target: { kind: 'value', value: 250 }, tolerance: { kind: 'absolute', value: 5 } },
      { text: 'rejected == 0', metric: 'rejected', op: '==', target: { kind: 'value', value: 0 }, tolerance: { kind: 'absolute', value: 0 } },
    ]);
  });

  it('a strategy without the new keys has none of the new fields (its optimisation run key is unchanged)', () => {
    const { strategy } = loadYaml(`${HEAD}objective: {metric: critical_ttft_p99_ms, direction: minimize}\n`);
    for (const key of ['objectives', 'requirements', 'references', 'validationSeeds']) expect(strategy).not.toHaveProperty(key);
  });

  const errors: Array<[string, string, RegExp]> = [
    ['unknown objective metric, with its YAML path', 'objectives: [{metric: critical_p99, direction: minimize}]\n', /objectives\[0\]\.metric: unknown metric "critical_p99"; valid metrics: /],
    ['objective and objectives together', 'objective: {metric: rejected, direction: minimize}\nobjectives: [{metric: rejected, direction: minimize}]\n', /objectives: objective and objectives exclude each other/],
    ['an objective listed twice', 'objectives: [{metric: rejected, direction: minimize}, {metric: rejected, direction: maximize}]\n', /objectives\[1\]\.metric: "rejected" is listed twice/],
    ['a malformed constraint', 'constraints: [throughput_tps >> 5]\n', /constraints\[0\]: expected "METRIC <=\|>=\|== TARGET"/],
    ['an unknown constraint metric', 'constraints: [tput >= 5]\n', /constraints\[0\]: unknown metric "tput"/],
    ['an unknown target', 'constraints: [rejected <= baseline]\n', /constraints\[0\]: expected a number, reference or a strategy \.yaml file after <=, got "baseline"/],
    ['reference without references', 'constraints: [rejected <= reference]\n', /constraints\[0\]: "reference" names the first entry of references:, but the strategy lists none/],
    ['a bad tolerance', 'constraints: [{require: rejected <= 3, tolerance: lots}]\n', /constraints\[0\]\.tolerance: expected a percentage like 1% or a number >= 0, got "lots"/],
    ['a missing reference file', 'references: [nope.yaml]\n', /references\[0\]: file not found: .*nope\.yaml/],
    ['overlapping validation seeds', 'validation_seeds: 50-55\n', /validation_seeds: must not overlap the tuning seeds \(42-51\); both list 50,51/],
    [
      'penalty constraints with several objectives',
      'objectives: [{metric: rejected, direction: minimize}, {metric: throughput_tps, direction: maximize}]\nconstraints: [{metric: throughput_tps, direction: at_least, threshold: 15000, weight: 0.01}]\n',
      /constraints\[0\]: penalty constraints \(threshold\/weight\) add to a single objective's score; with several objectives write a hard constraint like "throughput_tps >= 15000"/,
    ],
  ];
  for (const [label, yaml, pattern] of errors) {
    it(`rejects ${label} in one line`, () => {
      const message = errorOf(() => loadYaml(`${HEAD}${yaml}`));
      expect(message).toMatch(pattern);
      expect(message).not.toContain('\n');
    });
  }

  it('extends: an inherited constraint file stays relative to the base, and objectives replace an inherited objective', () => {
    const dir = tempDir();
    const sub = join(dir, 'sub');
    writeStrategy(dir, HEAD, 'ref.yaml');
    writeStrategy(
      dir,
      `${HEAD}objective: {metric: rejected, direction: minimize}\nreferences: [ref.yaml]\nconstraints: [throughput_tps >= ref.yaml]\n`,
      'base.yaml',
    );
    mkdirSync(sub);
    const child = loadStrategy(
      writeStrategy(sub, `extends: ../base.yaml\nname: child\nobjectives: [{metric: critical_ttft_p99_ms, direction: minimize}, {metric: throughput_tps, direction: maximize}]\n`, 'child.yaml'),
    );
    expect(child.objectives?.map((o) => o.metric)).toEqual(['critical_ttft_p99_ms', 'throughput_tps']);
    expect(child.references).toEqual([join(dir, 'ref.yaml')]);
    expect(child.requirements?.[0]!.target).toEqual({ kind: 'strategy', file: join(dir, 'ref.yaml') });
  });
});
