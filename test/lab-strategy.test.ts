import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServesimError } from '../src/errors.js';
import { buildRunArgv, configHash, parameterArgs } from '../src/lab/runargs.js';
import { formatSeeds, parseSeeds } from '../src/lab/seeds.js';
import { defaultParameterValues, loadStrategy, parseStrategy } from '../src/lab/strategy.js';
import { tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

const GOOD_HEAD = `
name: s
workload_spec: workload.yaml
`;

function strategyError(yaml: string): string {
  const dir = tempDir();
  const file = writeStrategy(dir, yaml);
  try {
    loadStrategy(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ServesimError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(file);
    return message;
  }
  throw new Error('expected the strategy to be rejected');
}

describe('strategy schema errors', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['missing name', 'workload_spec: workload.yaml\n', /name: required \(expected string\)/],
    ['unknown top-level field', `${GOOD_HEAD}objectivez: {}\n`, /\(top level\): unknown field "objectivez"; allowed: extends, name, description, plugins, fixed_args/],
    [
      'unknown metric with the list of valid ones',
      `${GOOD_HEAD}objective: {metric: ttft_p99, direction: minimize}\n`,
      /objective\.metric: unknown metric "ttft_p99"; valid metrics: completed_requests, .*ttft_p99_ms.*slo_gap/,
    ],
    [
      'bad objective direction',
      `${GOOD_HEAD}objective: {metric: ttft_p99_ms, direction: lower}\n`,
      /objective\.direction: expected one of minimize \| maximize, got string "lower"/,
    ],
    [
      'bad constraint direction',
      `${GOOD_HEAD}constraints: [{metric: throughput_tps, direction: ">=", threshold: 1, weight: 1}]\n`,
      /constraints\[0\]\.direction: expected one of at_most \| at_least, got string ">="/,
    ],
    [
      'negative constraint weight',
      `${GOOD_HEAD}constraints: [{metric: dropped, direction: at_most, threshold: 0, weight: -1}]\n`,
      /constraints\[0\]\.weight: Too small/,
    ],
    [
      'parameter type',
      `${GOOD_HEAD}parameters: [{name: x, flag: --slo-base-critical, type: float, low: 1, high: 2}]\n`,
      /parameters\[0\]\.type: expected one of real \| integer \| categorical, got string "float"/,
    ],
    [
      'real parameter without high',
      `${GOOD_HEAD}parameters: [{name: x, flag: --slo-base-critical, type: real, low: 1}]\n`,
      /parameters\[0\]\.high: required for type real/,
    ],
    [
      'low above high',
      `${GOOD_HEAD}parameters: [{name: x, flag: --slo-base-critical, type: real, low: 5, high: 1}]\n`,
      /parameters\[0\]\.high: expected a value greater than low \(5\), got 1/,
    ],
    [
      'log-uniform needs a positive low',
      `${GOOD_HEAD}parameters: [{name: x, flag: --slo-age-weight, type: real, low: 0, high: 1, prior: log-uniform}]\n`,
      /parameters\[0\]\.low: expected a value > 0 for a log-uniform prior, got 0/,
    ],
    [
      'categorical without categories',
      `${GOOD_HEAD}parameters: [{name: x, flag: --routing-scorers, type: categorical}]\n`,
      /parameters\[0\]\.categories: expected a non-empty list of values/,
    ],
    [
      'integer bounds must be integers',
      `${GOOD_HEAD}parameters: [{name: x, flag: --max-num-scheduled-tokens, type: integer, low: 1.5, high: 9}]\n`,
      /parameters\[0\]\.low: expected an integer for an integer parameter, got 1\.5/,
    ],
    [
      'unknown parameter field',
      `${GOOD_HEAD}parameters: [{name: x, flag: --a, type: real, low: 0, high: 1, step: 2}]\n`,
      /parameters\[0\]: unknown field "step"; allowed: name, flag, type, low, high, prior, categories, default/,
    ],
    ['flag syntax', `${GOOD_HEAD}parameters: [{name: x, flag: slo-base, type: real, low: 0, high: 1}]\n`, /parameters\[0\]\.flag: expected a run flag like --slo-base-critical, got "slo-base"/],
    ['reserved flag in fixed_args', `${GOOD_HEAD}fixed_args: ["--seed 42"]\n`, /fixed_args: --seed is set by the lab/],
    [
      'derived refers to an unknown parameter',
      `${GOOD_HEAD}parameters: [{name: p, flag: --a, type: integer, low: 0, high: 9}]\nderived: [{flag: --b, when: {param: q, equals: 0}, then: 0, else: 1}]\n`,
      /derived\[0\]\.when\.param: unknown parameter "q"; parameters: p/,
    ],
    ['wrong type for fixed_args', `${GOOD_HEAD}fixed_args: --model x\n`, /fixed_args: expected array, got string "--model x"/],
    ['missing workload file', 'name: s\nworkload_spec: nowhere.yaml\n', /workload_spec: file not found: .*nowhere\.yaml/],
    ['bad seeds', `${GOOD_HEAD}seeds: 42-x\n`, /seeds: "42-x" is not a seed/],
    ['invalid YAML', `${GOOD_HEAD}parameters: [\n`, /invalid YAML at line \d+/],
    [
      'parameter also fixed',
      `${GOOD_HEAD}fixed_args: [--slo-base-critical 3]\nparameters: [{name: x, flag: --slo-base-critical, type: real, low: 1, high: 9}]\n`,
      /parameters\[0\]\.flag: --slo-base-critical is also in fixed_args/,
    ],
  ];
  it.each(cases)('%s', (_label, yaml, pattern) => {
    expect(strategyError(yaml)).toMatch(pattern);
  });

  it('a missing file is a one-line error', () => {
    expect(() => loadStrategy('/nonexistent/strategy.yaml')).toThrow(/strategy file \/nonexistent\/strategy\.yaml: cannot read \(ENOENT\)/);
  });
});

describe('strategy → run argv', () => {
  it('parses the full format', () => {
    const dir = tempDir();
    const s = loadStrategy(writeStrategy(dir, THREE_PARAM_STRATEGY));
    expect(s.name).toBe('toy');
    expect(s.seeds).toEqual([42, 43, 44]);
    expect(s.workloadSpec).toBe(join(dir, 'workload.yaml'));
    expect(s.fixedArgs).toEqual(['--model', 'meta-llama/llama-3.1-8b-instruct', '--num-instances', '8', '--slo-prefill']);
    expect(s.parameters.map((p) => p.type)).toEqual(['real', 'integer', 'categorical']);
    expect(s.constraints[1]).toEqual({ metric: 'throughput_tps', direction: 'at_least', threshold: 15000, weight: 0.01 });
    expect(defaultParameterValues(s)).toEqual({ base_critical: 10, max_tokens: 2048, scorers: 'a' });
  });

  it('builds argv with rounded integers and derived flags', () => {
    const dir = tempDir();
    const s = loadStrategy(writeStrategy(dir, THREE_PARAM_STRATEGY));
    expect(parameterArgs(s, { base_critical: 12.9382, max_tokens: 961.6, scorers: 'b' })).toEqual([
      '--slo-base-critical',
      '12.9382',
      '--max-num-scheduled-tokens',
      '962',
      '--routing-scorers',
      'b',
      '--slo-prefill-sheddable',
      '256',
    ]);
    const argv = buildRunArgv(s, { base_critical: 5, max_tokens: 800, scorers: 'a' }, 43);
    expect(argv.slice(5, 9)).toEqual(['--workload-spec', join(dir, 'workload.yaml'), '--seed', '43']);
    expect(argv.slice(-2)).toEqual(['--slo-prefill-sheddable', '0']);
  });

  it('boolean values switch a flag on or off', () => {
    const dir = tempDir();
    const s = loadStrategy(
      writeStrategy(
        dir,
        `${GOOD_HEAD}parameters: [{name: pre, flag: --slo-preemption, type: categorical, categories: [true, false]}]\n` +
          `derived: [{flag: --slo-prefill, when: {param: pre, equals: true}, then: true, else: false}]\n`,
      ),
    );
    expect(parameterArgs(s, { pre: true })).toEqual(['--slo-preemption', '--slo-prefill']);
    expect(parameterArgs(s, { pre: false })).toEqual([]);
  });

  it('config hash ignores flag order, spelling and the seed, but not values or workload content', () => {
    const dir = tempDir();
    const wl = join(dir, 'w.yaml');
    writeFileSync(wl, 'a: 1\n');
    const h1 = configHash(['--a', '1', '--b=2', '--workload-spec', 'w.yaml', '--seed', '1'], dir);
    const h2 = configHash(['--b', '2', '--seed', '9', '--workload-spec', wl, '--a=1'], dir);
    expect(h1).toBe(h2);
    expect(configHash(['--a', '1', '--b', '3', '--workload-spec', wl], dir)).not.toBe(h1);
    writeFileSync(wl, 'a: 2\n');
    expect(configHash(['--a', '1', '--b', '2', '--workload-spec', wl], dir)).not.toBe(h1);
  });
});

describe('seeds', () => {
  it('parses lists, ranges and mixes', () => {
    expect(parseSeeds('42,43,44')).toEqual([42, 43, 44]);
    expect(parseSeeds('42-61')).toHaveLength(20);
    expect(parseSeeds(' 1-3, 10 ,20-21')).toEqual([1, 2, 3, 10, 20, 21]);
    expect(parseSeeds('7')).toEqual([7]);
  });
  it.each([
    ['', /--seeds: expected seeds like 42,43,44 or 42-61, got an empty value/],
    ['42,,43', /"" is not a seed/],
    ['44-42', /range "44-42" ends before it starts/],
    ['42,42', /seed 42 is listed twice/],
    ['4.5', /"4.5" is not a seed/],
    ['1-100000', /expands to more than/],
  ])('rejects %j', (text, pattern) => {
    expect(() => parseSeeds(text)).toThrow(pattern);
  });
  it('formats compactly', () => {
    expect(formatSeeds([42, 43, 44, 50, 52, 53])).toBe('42-44,50,52,53');
  });
});

describe('parseStrategy without files', () => {
  it('can skip the workload existence check', () => {
    const s = parseStrategy(`${GOOD_HEAD}`, '/virtual/s.yaml', { checkFiles: false });
    expect(s.workloadSpec).toBe('/virtual/workload.yaml');
  });
});
