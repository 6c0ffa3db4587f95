import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parse as parseYamlFully } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ServesimError } from '../src/errors.js';
import { GoRand } from '../src/rng/index.js';
import type { GeneratedRequest } from '../src/types.js';
import { generateSpecWorkloadLiteral } from '../src/workload/generate-spec.js';
import { formatGoFloatF, goQuote } from '../src/go/fmt.js';
import { DefaultsFileCache, SHIPPED_DEFAULTS_PATH } from '../src/config/defaults-file.js';
import {
  DISTRIBUTION_FLAG_DEFAULTS,
  LEGACY_PRESET_NAMES,
  expandInferencePerf,
  generateLegacyWorkload,
  generateSpecWorkload,
  legacyPreset,
  loadWorkloadSpec,
  parseWorkloadSpecText,
  readTraceWorkload,
  resolveSpecGenerationOptions,
  validateWorkloadSpec,
  type ClientSpec,
  type DistSpec,
  type LegacyWorkloadParams,
  type SpecGenerationOptions,
  type WorkloadSpec,
} from '../src/workload/index.js';
import { buildArrivalSampler, buildLengthSampler, weibullShapeForCv } from '../src/workload/samplers.js';
import { parseSimpleYaml } from '../src/workload/yaml-lite.js';
import { goldenRow } from './workload-golden-helpers.js';

const GOLDEN = new URL('./fixtures/golden/', import.meta.url).pathname;
const WORKLOADS = join(GOLDEN, 'workloads');

function goldenRows(file: string): string[] {
  return readFileSync(join(GOLDEN, file), 'utf8').trim().split('\n').slice(1);
}

function expectGolden(file: string, requests: GeneratedRequest[]): void {
  const expected = goldenRows(file);
  const actual = requests.map(goldenRow);
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) expect(`${i}: ${actual[i]}`).toBe(`${i}: ${expected[i]}`);
  }
}

function spec(file: string): WorkloadSpec {
  return loadWorkloadSpec(join(WORKLOADS, file));
}

const LEGACY_DEFAULT: LegacyWorkloadParams = {
  ...DISTRIBUTION_FLAG_DEFAULTS,
  seed: 42n,
  rate: 1,
  numRequests: 100,
  horizon: Infinity,
  checkLengthRanges: true,
};

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ServesimError);
    return (err as Error).message;
  }
  throw new Error('expected a ServesimError');
}

function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-workload-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('golden generated workloads (every row)', () => {
  it('W-mixed-production-seed42: mixed-production-workload.yaml, seed 42, 1000 requests', () => {
    const s = spec('mixed-production-workload.yaml');
    expectGolden('W-mixed-production-seed42.csv', generateSpecWorkload(s, resolveSpecGenerationOptions(s)));
  });

  it('W-multiturn-seed42: workload-multiturn.yaml (multi-turn with accumulation)', () => {
    const s = spec('workload-multiturn.yaml');
    expectGolden('W-multiturn-seed42.csv', generateSpecWorkload(s, resolveSpecGenerationOptions(s)));
  });

  it('W-multiprefix-n400-seed42: workload-multiprefix.yaml with --num-requests 400', () => {
    const s = spec('workload-multiprefix.yaml');
    const options = resolveSpecGenerationOptions(s, { numRequests: 400 });
    expect(options).toEqual({ seed: 42n, horizon: Infinity, maxRequests: 400 });
    expectGolden('W-multiprefix-n400-seed42.csv', generateSpecWorkload(s, options));
  });

  it('W-legacy-default-seed42: legacy defaults', () => {
    expectGolden('W-legacy-default-seed42.csv', generateLegacyWorkload(LEGACY_DEFAULT));
  });

  it('worked check values of mixed-production-workload.yaml (seed 42, 1000 requests)', () => {
    const s = spec('mixed-production-workload.yaml');
    const requests = generateSpecWorkload(s, { seed: 42n, horizon: Infinity, maxRequests: 1000 });
    const r0 = requests[0]!;
    expect([r0.arrivalTime, r0.inputTokens.length, r0.outputTokens.length, r0.sloClass, r0.inputTokens[0]]).toEqual([
      325, 663, 64, 'sheddable', 113163,
    ]);
    expect(requests.findIndex((r) => r.sloClass === 'critical')).toBe(7);
    expect(requests[7]!.arrivalTime).toBe(2478);
    expect(requests[7]!.streaming).toBe(true);
    expect(requests[999]!.arrivalTime).toBe(537722);
    expect(requests[0]!.tenantId).toBe('tenant-free');
  });

  it('JSON twins load to the same spec as the YAML files', () => {
    for (const name of [
      'mixed-production-workload',
      'workload-multiturn',
      'workload-multiprefix',
      'workload-asymmetric',
      'workload-nonorthogonal',
      'workload-multiturn-heavy',
    ]) {
      expect(spec(`${name}.json`)).toEqual(spec(`${name}.yaml`));
    }
  });

  it('multi-turn requests carry session ids, round indices and no streaming flag', () => {
    const requests = generateSpecWorkload(spec('workload-multiturn.yaml'), {
      seed: 42n,
      horizon: Infinity,
      maxRequests: 200,
    });
    const bySession = new Map<string, GeneratedRequest[]>();
    for (const r of requests) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
    expect(requests.every((r) => r.sessionId.startsWith('sess_') && !r.streaming)).toBe(true);
    for (const rounds of bySession.values()) {
      rounds.sort((a, b) => a.roundIndex - b.roundIndex);
      for (let k = 1; k < rounds.length; k++) {
        // accumulate: round k's input starts with round k-1's input followed by its output
        const prev = rounds[k - 1]!;
        const cur = rounds[k]!;
        expect(Array.from(cur.inputTokens.subarray(0, prev.inputTokens.length))).toEqual(Array.from(prev.inputTokens));
        expect(
          Array.from(cur.inputTokens.subarray(prev.inputTokens.length, prev.inputTokens.length + prev.outputTokens.length)),
        ).toEqual(Array.from(prev.outputTokens));
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

function dist(type: string, params: Record<string, number> = {}): DistSpec {
  return { type, params, file: '' };
}

function client(overrides: Partial<ClientSpec> = {}): ClientSpec {
  return {
    id: 'c',
    tenantId: 't',
    sloClass: '',
    model: 'm',
    rateFraction: 1,
    arrival: { process: 'poisson' },
    inputDistribution: dist('gaussian', { mean: 20, std_dev: 5, min: 1, max: 40 }),
    outputDistribution: dist('exponential', { mean: 10 }),
    prefixGroup: '',
    prefixLength: 0,
    streaming: false,
    ...overrides,
  };
}

function workload(clients: ClientSpec[], overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    version: '2',
    seed: 7n,
    category: '',
    clients,
    aggregateRate: 1000,
    horizon: 0,
    numRequests: 0,
    ...overrides,
  };
}

describe('validation messages (docs/spec-notes.md, Validation; in order)', () => {
  const cases: Array<[string, WorkloadSpec, string]> = [
    ['category', workload([client()], { category: 'chat' }), 'unknown category "chat"; valid: language, multimodal, reasoning'],
    ['aggregate_rate', workload([client()], { aggregateRate: 0 }), 'aggregate_rate must be positive, got 0.000000'],
    ['aggregate_rate NaN', workload([client()], { aggregateRate: NaN }), 'aggregate_rate must be positive, got NaN'],
    ['no clients', workload([]), 'at least one client or servegen_data path required'],
    [
      'slo_class',
      workload([client(), client({ sloClass: 'realtime2' })]),
      'client[1]: unknown slo_class "realtime2"; valid: critical, standard, sheddable, batch, background, or empty',
    ],
    ['rate_fraction', workload([client({ rateFraction: -0.5 })]), 'client[0]: rate_fraction must be positive, got -0.500000'],
    [
      'process',
      workload([client({ arrival: { process: 'bursty' } })]),
      'client[0]: unknown arrival process "bursty"; valid: poisson, gamma, weibull, constant',
    ],
    [
      'weibull cv',
      workload([client({ arrival: { process: 'weibull', cv: 11 } })]),
      'client[0]: weibull CV must be in [0.01, 10.4], got 11.000000',
    ],
    ['cv infinite', workload([client({ arrival: { process: 'gamma', cv: Infinity } })]), 'client[0]: client[0].cv must be a finite number, got +Inf'],
    ['cv zero', workload([client({ arrival: { process: 'gamma', cv: 0 } })]), 'client[0]: client[0].cv must be positive, got 0.000000'],
    ['prefix_length', workload([client({ prefixLength: -3 })]), 'client[0]: prefix_length must be non-negative, got -3'],
    [
      'input type',
      workload([client({ inputDistribution: dist('zipf') })]),
      'client[0]: client[0].input_distribution: unknown distribution type "zipf"; valid: gaussian, exponential, pareto_lognormal, empirical, constant',
    ],
    [
      'output param',
      workload([client({ outputDistribution: dist('exponential', { mean: NaN }) })]),
      'client[0]: client[0].output_distribution.params.mean must be a finite number, got NaN',
    ],
    [
      'missing input distribution',
      workload([client({ inputDistribution: dist('') })]),
      'client[0]: client[0].input_distribution: unknown distribution type ""; valid: gaussian, exponential, pareto_lognormal, empirical, constant',
    ],
  ];
  for (const [name, s, message] of cases) {
    it(name, () => {
      expect(thrown(() => validateWorkloadSpec(s))).toBe(`Invalid workload spec: ${message}`);
      // generation validates too
      expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: 1000, maxRequests: 5 }))).toBe(
        `Invalid workload spec: ${message}`,
      );
    });
  }

  it('the first failing rule wins (category before rate before clients)', () => {
    const s = workload([client({ sloClass: 'x' })], { category: 'y', aggregateRate: -1 });
    expect(thrown(() => validateWorkloadSpec(s))).toMatch(/^Invalid workload spec: unknown category "y"/);
  });

  it('valid golden specs pass', () => {
    for (const f of ['mixed-production-workload.yaml', 'workload-multiturn-heavy.yaml', 'workload-asymmetric.yaml']) {
      expect(() => validateWorkloadSpec(spec(f))).not.toThrow();
    }
  });
});

describe('strict loading', () => {
  const base = readFileSync(join(WORKLOADS, 'mixed-production-workload.yaml'), 'utf8');

  it('unknown top-level key', () => {
    expect(thrown(() => parseWorkloadSpecText(`${base}\nrate_limit: 3\n`))).toBe(
      'Failed to load workload spec: parsing workload spec: line 73: field "rate_limit" not found in the top level ' +
        '(valid fields: version, seed, category, clients, aggregate_rate, horizon, num_requests, servegen_data, inference_perf)',
    );
  });

  it('unknown nested key names its location', () => {
    const text = base.replace('      cv: 2.0\n', '      cv: 2.0\n      burst: 3\n');
    expect(thrown(() => parseWorkloadSpecText(text))).toBe(
      'Failed to load workload spec: parsing workload spec: line 19: field "burst" not found in clients[0].arrival (valid fields: process, cv)',
    );
  });

  it('unknown key in JSON (full YAML parser path)', () => {
    const json = readFileSync(join(WORKLOADS, 'mixed-production-workload.json'), 'utf8').replace(
      '"rate_fraction": 0.5',
      '"rate_fraction": 0.5, "weight": 2',
    );
    expect(thrown(() => parseWorkloadSpecText(json))).toBe(
      'Failed to load workload spec: parsing workload spec: line 1: field "weight" not found in clients[1] (valid fields: ' +
        'id, tenant_id, slo_class, model, rate_fraction, arrival, input_distribution, output_distribution, prefix_group, ' +
        'prefix_length, streaming, network, lifecycle, multimodal, reasoning)',
    );
  });

  it('the first problem in document order is reported', () => {
    const text = 'version: "2"\nseed: abc\nclients:\n  - id: x\n    colour: red\n';
    expect(thrown(() => parseWorkloadSpecText(text))).toBe(
      'Failed to load workload spec: parsing workload spec: line 2: seed: expected an integer (int64), got "abc"',
    );
  });

  it('type errors name the field, the expectation and the value', () => {
    expect(thrown(() => parseWorkloadSpecText('aggregate_rate: "fast"\n'))).toBe(
      'Failed to load workload spec: parsing workload spec: line 1: aggregate_rate: expected a number, got "fast"',
    );
    expect(thrown(() => parseWorkloadSpecText('clients:\n  - prefix_length: 1.5\n'))).toBe(
      'Failed to load workload spec: parsing workload spec: line 2: clients[0].prefix_length: expected an integer, got 1.5',
    );
    expect(thrown(() => parseWorkloadSpecText('clients: {a: 1}\n'))).toBe(
      'Failed to load workload spec: parsing workload spec: line 1: clients: expected a list, got a mapping',
    );
    expect(thrown(() => parseWorkloadSpecText('seed: 9223372036854775808\n'))).toMatch(/seed: expected an integer \(int64\)/);
  });

  it('YAML syntax errors and empty documents', () => {
    expect(thrown(() => parseWorkloadSpecText('a: 1\na: 2\n'))).toMatch(
      /^Failed to load workload spec: parsing workload spec: Map keys must be unique at line 2, column 1/,
    );
    expect(thrown(() => parseWorkloadSpecText('# nothing\n'))).toMatch(/^Failed to load workload spec: parsing workload spec: the document is empty/);
    expect(thrown(() => parseWorkloadSpecText('- 1\n- 2\n'))).toBe(
      'Failed to load workload spec: parsing workload spec: line 1: document: expected a mapping, got a list',
    );
  });

  it('an empty list item is a zero-valued client (as in yaml.v3), caught by validation', () => {
    const s = parseWorkloadSpecText('aggregate_rate: 5\nclients:\n  -\n');
    expect(s.clients).toHaveLength(1);
    expect(s.clients[0]!.rateFraction).toBe(0);
    expect(thrown(() => validateWorkloadSpec(s))).toBe('Invalid workload spec: client[0]: rate_fraction must be positive, got 0.000000');
  });

  it('missing file', () => {
    expect(thrown(() => loadWorkloadSpec('/nonexistent/spec.yaml'))).toBe(
      'Failed to load workload spec: reading workload spec: open /nonexistent/spec.yaml: no such file or directory',
    );
  });

  it('Go string fields keep the literal text of non-string scalars; null means "unset"', () => {
    const s = parseWorkloadSpecText('version: 2\nseed: -9223372036854775808\ncategory:\nclients:\n  - id: 007\n    model: 1.50\n');
    expect(s.version).toBe('2');
    expect(s.seed).toBe(-9223372036854775808n);
    expect(s.category).toBe('');
    expect(s.clients[0]!.id).toBe('007');
    expect(s.clients[0]!.model).toBe('1.50');
  });

  it('v1 specs are upgraded on load with a warning', () => {
    const path = tempFile(
      'v1.yaml',
      'version: "1"\naggregate_rate: 10\nclients:\n  - slo_class: realtime\n  - slo_class: interactive\n  - slo_class: batch\n',
    );
    const warnings: string[] = [];
    const s = loadWorkloadSpec(path, { onWarning: (w) => warnings.push(w) });
    expect(s.version).toBe('2');
    expect(s.clients.map((c) => c.sloClass)).toEqual(['critical', 'standard', 'batch']);
    expect(warnings).toHaveLength(1);
    const v2 = loadWorkloadSpec(tempFile('v2.yaml', 'version: "2"\nclients:\n  - slo_class: realtime\n'), {
      onWarning: () => warnings.push('unexpected'),
    });
    expect(v2.clients[0]!.sloClass).toBe('realtime');
    expect(warnings).toHaveLength(1);
  });

  it('full YAML features (anchors, flow style, escapes) go through the full parser', () => {
    const text = [
      'aggregate_rate: 100',
      'clients:',
      '  - id: "a\\tb"',
      '    rate_fraction: 1',
      '    arrival: {process: poisson}',
      '    input_distribution: &g {type: gaussian, params: {mean: 10, std_dev: 2, min: 1, max: 20}}',
      '    output_distribution: *g',
    ].join('\n');
    expect(parseSimpleYaml(text, () => false)).toBeUndefined();
    const s = parseWorkloadSpecText(text);
    expect(s.clients[0]!.id).toBe('a\tb');
    expect(s.clients[0]!.arrival).toEqual({ process: 'poisson' });
    expect(s.clients[0]!.outputDistribution).toEqual(s.clients[0]!.inputDistribution);
    expect(s.clients[0]!.inputDistribution.params).toEqual({ mean: 10, std_dev: 2, min: 1, max: 20 });
  });
});

describe('sampler construction errors (at generation)', () => {
  it('missing required parameter', () => {
    const s = workload([client({ id: 'chat', inputDistribution: dist('gaussian', { std_dev: 1, min: 1, max: 2 }) })]);
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 3 }))).toBe(
      'Failed to generate workload: client "chat" input distribution: distribution requires parameter "mean"',
    );
  });

  it('empirical without params', () => {
    const s = workload([client({ outputDistribution: { type: 'empirical', params: {}, file: 'pdf.json' } })]);
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 3 }))).toMatch(
      /^Failed to generate workload: client "c" output distribution: empirical distribution files are not read/,
    );
  });

  it('servegen_data is reported as unsupported', () => {
    const s = workload([], { servegenData: { path: '/data/servegen', spanStart: 0, spanEnd: 10 } });
    expect(() => validateWorkloadSpec(s)).not.toThrow();
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 3 }))).toMatch(
      /^Failed to generate workload: servegen_data is not supported/,
    );
  });
});

describe('request cap, horizon and seed (docs/spec-notes.md, Seed, horizon and request cap)', () => {
  const s = workload([client()]);

  it('unbounded generation is refused', () => {
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 0 }))).toBe(
      '--workload-spec requires either num_requests (in YAML or --num-requests) or --horizon to bound generation',
    );
  });

  it('a MaxInt64 horizon passed as a number counts as unbounded', () => {
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: 9223372036854775807, maxRequests: 0 }))).toMatch(
      /^--workload-spec requires either num_requests/,
    );
    expect(generateSpecWorkload(s, { seed: 1n, horizon: 2 ** 63, maxRequests: 3 })).toEqual(
      generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 3 }),
    );
  });

  it('negative maxRequests with a finite horizon', () => {
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: 100, maxRequests: -1 }))).toBe(
      'Failed to generate workload: maxRequests must be non-negative, got -1',
    );
  });

  it('horizon <= 0 gives no requests; arrivals stay below the horizon', () => {
    expect(generateSpecWorkload(s, { seed: 1n, horizon: 0, maxRequests: 10 })).toEqual([]);
    const bounded = generateSpecWorkload(s, { seed: 1n, horizon: 50_000, maxRequests: 0 });
    expect(bounded.length).toBeGreaterThan(10);
    expect(bounded.every((r) => r.arrivalTime < 50_000)).toBe(true);
  });

  it('resolution: explicit CLI values win; YAML horizon only when > 0', () => {
    const y = workload([client()], { seed: 5n, horizon: 1000, numRequests: 9 });
    expect(resolveSpecGenerationOptions(y)).toEqual({ seed: 5n, horizon: 1000, maxRequests: 9 });
    expect(resolveSpecGenerationOptions(y, { seed: -3n, horizon: 7, numRequests: 0 })).toEqual({
      seed: -3n,
      horizon: 7,
      maxRequests: 0,
    });
    expect(resolveSpecGenerationOptions({ ...y, horizon: 0 }).horizon).toBe(Infinity);
  });

  it('the seed changes the workload; int64 extremes are accepted', () => {
    const a = generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 5 });
    const b = generateSpecWorkload(s, { seed: 2n, horizon: Infinity, maxRequests: 5 });
    expect(a.map(goldenRow)).not.toEqual(b.map(goldenRow));
    for (const seed of [-(1n << 63n), (1n << 63n) - 1n]) {
      expect(generateSpecWorkload(s, { seed, horizon: Infinity, maxRequests: 5 })).toHaveLength(5);
    }
  });
});

describe('improvements over the reference', () => {
  it('a lifecycle client with an unbounded horizon stops after its last window', () => {
    const s = workload(
      [
        client({
          id: 'windowed',
          lifecycle: {
            windows: [
              { startUs: 10_000, endUs: 20_000 },
              { startUs: 0, endUs: 5_000 },
            ],
          },
        }),
      ],
      { aggregateRate: 2000 },
    );
    const requests = generateSpecWorkload(s, { seed: 3n, horizon: Infinity, maxRequests: 1_000_000 });
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.every((r) => r.arrivalTime < 5_000 || (r.arrivalTime >= 10_000 && r.arrivalTime < 20_000))).toBe(true);
    // For a bounded run the result is what the reference produces.
    const bounded = { seed: 3n, horizon: 100_000, maxRequests: 0 };
    expect(generateSpecWorkload(s, bounded)).toEqual(requests);
    expect(generateSpecWorkloadLiteral(s, bounded)).toEqual(requests);
  });

  it('an empty window list produces nothing instead of looping', () => {
    const s = workload([client({ lifecycle: { windows: [] } }), client({ id: 'plain' })]);
    const requests = generateSpecWorkload(s, { seed: 3n, horizon: Infinity, maxRequests: 10 });
    expect(requests).toHaveLength(10);
  });

  it('max_rounds <= 0 with an unbounded horizon is an error; with a horizon the client is silent', () => {
    const sessions = client({
      id: 'talk',
      reasoning: { reasonRatioDistribution: dist(''), multiTurn: { maxRounds: 0, thinkTimeUs: 10, contextGrowth: '' } },
    });
    const s = workload([sessions, client({ id: 'plain' })]);
    expect(thrown(() => generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 4 }))).toBe(
      'Failed to generate workload: client[0] (client "talk"): reasoning.multi_turn.max_rounds must be >= 1 when the ' +
        'horizon is unbounded, got 0 (sessions without rounds would never reach the request cap)',
    );
    const bounded = generateSpecWorkload(s, { seed: 1n, horizon: 20_000, maxRequests: 0 });
    expect(bounded.length).toBeGreaterThan(0);
    expect(bounded.every((r) => r.sessionId === '')).toBe(true);
    expect(generateSpecWorkloadLiteral(s, { seed: 1n, horizon: 20_000, maxRequests: 0 })).toEqual(bounded);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The lazy merge must equal the literal reference algorithm for any spec.

const distArb: fc.Arbitrary<DistSpec> = fc.oneof(
  fc
    .record({ mean: fc.integer({ min: 1, max: 60 }), sd: fc.integer({ min: 0, max: 30 }), min: fc.integer({ min: 1, max: 5 }), span: fc.integer({ min: 0, max: 80 }) })
    .map(({ mean, sd, min, span }) => dist('gaussian', { mean, std_dev: sd, min, max: min + span })),
  fc.integer({ min: 1, max: 40 }).map((mean) => dist('exponential', { mean })),
  fc.integer({ min: -2, max: 30 }).map((value) => dist('constant', { value })),
  fc
    .record({ alpha: fc.double({ min: 0.5, max: 3, noNaN: true }), xm: fc.integer({ min: 1, max: 10 }), mw: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map(({ alpha, xm, mw }) => dist('pareto_lognormal', { alpha, xm, mu: 2, sigma: 0.7, mix_weight: mw })),
  fc.constant(dist('empirical', { '3': 0.2, '11': 0.5, '40': 0.3, '7': 0 })),
);

const clientArb: fc.Arbitrary<ClientSpec> = fc
  .record({
    process: fc.constantFrom('poisson', 'gamma', 'weibull', 'constant'),
    cv: fc.option(fc.constantFrom(0.5, 1, 2, 3, 12), { nil: undefined }),
    input: distArb,
    output: distArb,
    rateFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    prefixGroup: fc.constantFrom('', '', 'a', 'b'),
    prefixLength: fc.integer({ min: 0, max: 20 }),
    windows: fc.option(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 0, max: 30_000 })), { maxLength: 3 }),
      { nil: undefined },
    ),
    multiTurn: fc.option(
      fc.record({
        maxRounds: fc.integer({ min: 1, max: 4 }),
        thinkTimeUs: fc.integer({ min: 0, max: 5000 }),
        accumulate: fc.boolean(),
        ratio: fc.boolean(),
      }),
      { nil: undefined },
    ),
    multimodal: fc.boolean(),
    slo: fc.constantFrom('', 'critical', 'standard', 'sheddable', 'batch', 'background'),
    streaming: fc.boolean(),
  })
  .map((r, ) => {
    const c = client({
      sloClass: r.slo,
      streaming: r.streaming,
      rateFraction: r.rateFraction,
      arrival: { process: r.process, ...(r.cv === undefined || (r.process === 'weibull' && r.cv > 10.4) ? {} : { cv: r.cv }) },
      inputDistribution: r.input,
      outputDistribution: r.output,
      prefixGroup: r.prefixGroup,
      prefixLength: r.prefixLength,
    });
    if (r.windows) c.lifecycle = { windows: r.windows.map(([start, len]) => ({ startUs: start, endUs: start + len })) };
    if (r.multiTurn) {
      c.reasoning = {
        reasonRatioDistribution: r.multiTurn.ratio ? dist('gaussian', { mean: 50, std_dev: 20, min: 0, max: 100 }) : dist(''),
        multiTurn: {
          maxRounds: r.multiTurn.maxRounds,
          thinkTimeUs: r.multiTurn.thinkTimeUs,
          contextGrowth: r.multiTurn.accumulate ? 'accumulate' : 'none',
        },
      };
    }
    if (r.multimodal) {
      c.multimodal = {
        textDistribution: dist('constant', { value: 4 }),
        imageDistribution: dist('exponential', { mean: 6 }),
        imageCountDistribution: dist('constant', { value: 2 }),
        audioDistribution: dist(''),
        audioCountDistribution: dist('constant', { value: 1 }),
        videoDistribution: dist('gaussian', { mean: 5, std_dev: 2, min: 1, max: 9 }),
        videoCountDistribution: dist('exponential', { mean: 1 }),
      };
    }
    return c;
  });

const generationArb = fc
  .record({
    clients: fc.array(clientArb, { minLength: 1, maxLength: 4 }),
    aggregateRate: fc.integer({ min: 50, max: 5000 }),
    seed: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    maxRequests: fc.integer({ min: 0, max: 40 }),
    horizon: fc.oneof(fc.constant(Infinity), fc.integer({ min: -5, max: 200_000 })),
  })
  .filter((g) => g.maxRequests > 0 || g.horizon !== Infinity)
  .map((g) => ({
    spec: workload(
      g.clients.map((c, i) => ({ ...c, id: `c${i}` })),
      { aggregateRate: g.aggregateRate },
    ),
    options: { seed: g.seed, horizon: g.horizon, maxRequests: g.maxRequests } satisfies SpecGenerationOptions,
  }));

describe('lazy merge ≡ literal reference algorithm', () => {
  it('golden and fixture specs', () => {
    for (const f of [
      'mixed-production-workload.yaml',
      'workload-asymmetric.yaml',
      'workload-nonorthogonal.yaml',
      'workload-multiturn-heavy.yaml',
    ]) {
      const s = spec(f);
      for (const maxRequests of [1, 37, s.numRequests]) {
        const options = { seed: 43n, horizon: Infinity, maxRequests };
        expect(generateSpecWorkload(s, options).map(goldenRow)).toEqual(generateSpecWorkloadLiteral(s, options).map(goldenRow));
      }
    }
  });

  it('random specs (property)', () => {
    fc.assert(
      fc.property(generationArb, ({ spec: s, options }) => {
        expect(generateSpecWorkload(s, options)).toEqual(generateSpecWorkloadLiteral(s, options));
      }),
      { numRuns: 150 },
    );
  });
});

describe('generated workload properties', () => {
  it('arrivals non-decreasing, ids sequential, tokens in [0, 127999], lengths >= 1 (property)', () => {
    fc.assert(
      fc.property(generationArb, ({ spec: s, options }) => {
        const requests = generateSpecWorkload(s, options);
        if (options.maxRequests > 0) expect(requests.length).toBeLessThanOrEqual(options.maxRequests);
        requests.forEach((r, k) => {
          expect(r.id).toBe(`request_${k}`);
          if (k > 0) expect(r.arrivalTime).toBeGreaterThanOrEqual(requests[k - 1]!.arrivalTime);
          if (r.sessionId === '') expect(r.arrivalTime).toBeLessThan(options.horizon);
          expect(r.inputTokens.length).toBeGreaterThanOrEqual(1);
          expect(r.outputTokens.length).toBeGreaterThanOrEqual(1);
          for (const t of r.inputTokens) if (t < 0 || t > 127999) throw new Error(`token ${t}`);
          for (const t of r.outputTokens) if (t < 0 || t > 127999) throw new Error(`token ${t}`);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('deterministic: the same input twice gives identical requests', () => {
    const s = spec('workload-multiturn-heavy.yaml');
    const options = resolveSpecGenerationOptions(s, { seed: 99n });
    expect(generateSpecWorkload(s, options)).toEqual(generateSpecWorkload(s, options));
    expect(generateLegacyWorkload(LEGACY_DEFAULT)).toEqual(generateLegacyWorkload(LEGACY_DEFAULT));
  });
});

describe('samplers', () => {
  it('gaussian with min == max returns min without drawing (even 0)', () => {
    const rng = new GoRand(1n);
    const fresh = new GoRand(1n);
    expect(buildLengthSampler(dist('gaussian', { mean: 9, std_dev: 3, min: 4.9, max: 4.2 })).sample(rng)).toBe(4);
    expect(buildLengthSampler(dist('gaussian', { mean: 9, std_dev: 3, min: 0, max: 0 })).sample(rng)).toBe(0);
    expect(rng.int63()).toBe(fresh.int63());
  });

  it('constant: trunc, at least 1, no draw; empirical single entry: no draw', () => {
    const rng = new GoRand(1n);
    expect(buildLengthSampler(dist('constant', { value: 7.9 })).sample(rng)).toBe(7);
    expect(buildLengthSampler(dist('constant', { value: 0 })).sample(rng)).toBe(1);
    expect(buildLengthSampler(dist('empirical', { '12': 3, '5': 0 })).sample(rng)).toBe(12);
    expect(rng.int63()).toBe(new GoRand(1n).int63());
  });

  it('empirical: first value whose CDF >= u', () => {
    const sampler = buildLengthSampler(dist('empirical', { '10': 1, '20': 1, '30': 2, x: 5 }));
    const rng = new GoRand(5n);
    const mirror = new GoRand(5n);
    for (let i = 0; i < 50; i++) {
      const u = mirror.float64();
      expect(sampler.sample(rng)).toBe(u <= 0.25 ? 10 : u <= 0.5 ? 20 : 30);
    }
  });

  it('exponential: round(ExpFloat64() * mean), at least 1', () => {
    const sampler = buildLengthSampler(dist('exponential', { mean: 128 }));
    const rng = new GoRand(8n);
    const mirror = new GoRand(8n);
    for (let i = 0; i < 50; i++) expect(sampler.sample(rng)).toBe(Math.max(1, Math.round(mirror.expFloat64() * 128)));
  });

  it('constant and poisson arrivals', () => {
    const rng = new GoRand(2n);
    expect(buildArrivalSampler({ process: 'constant' }, 3 / 1e6).sampleIat(rng)).toBe(333333);
    expect(buildArrivalSampler({ process: 'constant' }, 10).sampleIat(rng)).toBe(1);
    const poisson = buildArrivalSampler({ process: 'poisson' }, 1 / 1000);
    const mirror = new GoRand(2n);
    for (let i = 0; i < 20; i++) expect(poisson.sampleIat(rng)).toBe(Math.max(1, Math.trunc(mirror.expFloat64() * 1000)));
  });

  it('weibull shape bisection', () => {
    expect(weibullShapeForCv(1)).toBeCloseTo(1, 2);
    expect(weibullShapeForCv(0.5)).toBeCloseTo(2.1, 1);
    const iats = buildArrivalSampler({ process: 'weibull', cv: 2 }, 1 / 1000);
    const rng = new GoRand(4n);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += iats.sampleIat(rng);
    expect(sum / 20000).toBeGreaterThan(850);
    expect(sum / 20000).toBeLessThan(1150);
  });
});

describe('inference_perf expansion (docs/spec-notes.md, inference_perf expansion)', () => {
  it('P×U clients, windows per stage, duration-weighted rate', () => {
    const s = workload([], {
      aggregateRate: 0,
      inferencePerf: {
        stages: [
          { rate: 10, duration: 2 },
          { rate: 40, duration: 1 },
        ],
        sharedPrefix: {
          numUniqueSystemPrompts: 2,
          numUsersPerSystemPrompt: 3,
          systemPromptLen: 100,
          questionLen: 20,
          outputLen: 5,
          enableMultiTurnChat: true,
        },
      },
    });
    const e = expandInferencePerf(s);
    expect(e.clients.map((c) => c.id)).toEqual([
      'prompt-0-user-0',
      'prompt-0-user-1',
      'prompt-0-user-2',
      'prompt-1-user-0',
      'prompt-1-user-1',
      'prompt-1-user-2',
    ]);
    expect(e.aggregateRate).toBe(20);
    const c = e.clients[4]!;
    expect([c.tenantId, c.sloClass, c.prefixGroup, c.prefixLength, c.arrival.process]).toEqual([
      'prompt-1',
      'batch',
      'prompt-1',
      100,
      'poisson',
    ]);
    expect(c.lifecycle?.windows).toEqual([
      { startUs: 0, endUs: 2_000_000 },
      { startUs: 2_000_000, endUs: 3_000_000 },
    ]);
    expect(c.reasoning?.multiTurn).toEqual({ maxRounds: 5, thinkTimeUs: 500000, contextGrowth: 'accumulate' });
    const requests = generateSpecWorkload(s, { seed: 1n, horizon: Infinity, maxRequests: 30 });
    expect(requests).toHaveLength(30);
    expect(requests.every((r) => r.sloClass === 'batch' && r.outputTokens.length === 5)).toBe(true);
  });
});

describe('legacy generator (docs/spec-notes.md, Legacy generator and presets)', () => {
  it('evenly spaced arrivals from t = 0', () => {
    const r = generateLegacyWorkload({ ...LEGACY_DEFAULT, rate: 3, numRequests: 4 });
    expect(r.map((x) => x.arrivalTime)).toEqual([0, 333333, 666666, 999999]);
    expect(r.map((x) => x.id)).toEqual(['request_0', 'request_1', 'request_2', 'request_3']);
  });

  it('stops once t passes the horizon (a request exactly at the horizon is not generated)', () => {
    expect(generateLegacyWorkload({ ...LEGACY_DEFAULT, horizon: 2_000_000 }).map((x) => x.arrivalTime)).toEqual([
      0, 1_000_000,
    ]);
    expect(generateLegacyWorkload({ ...LEGACY_DEFAULT, horizon: 2_500_000 })).toHaveLength(3);
    expect(generateLegacyWorkload({ ...LEGACY_DEFAULT, horizon: 0 })).toEqual([]);
  });

  it('prefix tokens are drawn first and shared', () => {
    const r = generateLegacyWorkload({ ...LEGACY_DEFAULT, prefixTokens: 16, numRequests: 3 });
    const first = Array.from(r[0]!.inputTokens.subarray(0, 16));
    expect(Array.from(r[2]!.inputTokens.subarray(0, 16))).toEqual(first);
    const rng = new GoRand(42n);
    expect(first).toEqual(Array.from({ length: 16 }, () => rng.intn(128000)));
  });

  it('validation messages', () => {
    expect(thrown(() => generateLegacyWorkload({ ...LEGACY_DEFAULT, rate: 0 }))).toBe('--rate must be a finite number > 0, got 0');
    expect(thrown(() => generateLegacyWorkload({ ...LEGACY_DEFAULT, rate: Infinity }))).toBe(
      '--rate must be a finite number > 0, got Infinity',
    );
    expect(
      thrown(() => generateLegacyWorkload({ ...LEGACY_DEFAULT, prompt: { mean: 512, stdev: 1, min: 2, max: 7000 } })),
    ).toBe('prompt-tokens and prompt-tokens-stdev should be in range [prompt-tokens-min, prompt-tokens-max]');
    expect(
      thrown(() => generateLegacyWorkload({ ...LEGACY_DEFAULT, output: { mean: 8000, stdev: 256, min: 2, max: 7000 } })),
    ).toBe('output-tokens and output-tokens-stdev should be in range [output-tokens-min, output-tokens-max]');
    // presets skip the range check
    expect(() =>
      generateLegacyWorkload({ ...LEGACY_DEFAULT, checkLengthRanges: false, prompt: { mean: 10, stdev: 1, min: 2, max: 70 } }),
    ).not.toThrow();
  });

  it('a min of 0 can produce empty prompts (no "at least 1" floor)', () => {
    const r = generateLegacyWorkload({
      ...LEGACY_DEFAULT,
      checkLengthRanges: false,
      prompt: { mean: 0, stdev: 5, min: 0, max: 3 },
      numRequests: 50,
    });
    expect(r.some((x) => x.inputTokens.length === 0)).toBe(true);
  });

  it('presets from the shipped defaults.yaml have the reference lengths', () => {
    const presets = new DefaultsFileCache().load(SHIPPED_DEFAULTS_PATH).workloads;
    const table = LEGACY_PRESET_NAMES.map((name) => {
      const p = legacyPreset(name, presets);
      return [name, p.prefixTokens, p.prompt.mean, p.prompt.stdev, p.prompt.min, p.prompt.max, p.output.mean, p.output.stdev, p.output.min, p.output.max];
    });
    expect(table).toEqual([
      ['chatbot', 0, 256, 100, 2, 800, 256, 100, 1, 1024],
      ['summarization', 0, 4096, 500, 100, 8192, 512, 150, 10, 2048],
      ['contentgen', 0, 1024, 150, 10, 2048, 1024, 200, 10, 2048],
      ['multidoc', 0, 10240, 1200, 500, 20480, 1536, 300, 50, 4096],
    ]);
    expect(thrown(() => legacyPreset('poetry', presets))).toBe(
      'Undefined workload. Use one among (chatbot, summarization, contentgen, multidoc)',
    );
    const chat = generateLegacyWorkload({ ...legacyPreset('chatbot', presets), seed: 42n, rate: 2, numRequests: 5, horizon: Infinity, checkLengthRanges: false });
    expect(chat).toHaveLength(5);
  });
});

describe('CSV traces (docs/spec-notes.md, CSV traces)', () => {
  it('reads the golden trace fixtures', () => {
    const one = readTraceWorkload(join(WORKLOADS, 'one-request.csv'), Infinity);
    expect(one).toHaveLength(1);
    expect(one[0]!.inputTokens.length).toBe(100);
    expect(Array.from(one[0]!.outputTokens)).toEqual([7, 8, 9]);
    const zero = readTraceWorkload(join(WORKLOADS, 'zero-input.csv'), Infinity);
    expect([zero[0]!.inputTokens.length, zero[0]!.outputTokens.length]).toEqual([0, 3]);
    const hit = readTraceWorkload(join(WORKLOADS, 'zero-output-then-cache-hit.csv'), Infinity);
    expect(hit.map((r) => [r.id, r.arrivalTime, r.inputTokens.length, r.outputTokens.length, r.sloClass])).toEqual([
      ['request_0', 0, 100, 0, ''],
      ['request_1', 1000, 100, 1, ''],
    ]);
    expect(readTraceWorkload(join(WORKLOADS, 'two-simultaneous.csv'), Infinity).map((r) => r.arrivalTime)).toEqual([0, 0]);
  });

  it('stops at the first row past the horizon; seconds are truncated to µs', () => {
    const path = tempFile('t.csv', 'a,b,c,d,e\n0.0000019,x,y,[1],[2]\n5,x,y,[1],[2]\n1,x,y,"[3, 4]",[]\n');
    expect(readTraceWorkload(path, 4_000_000).map((r) => r.arrivalTime)).toEqual([1]);
    expect(readTraceWorkload(path, Infinity).map((r) => r.arrivalTime)).toEqual([1, 5_000_000, 1_000_000]);
  });

  it('errors', () => {
    const p = 'Simulation failed: generating requests: ';
    expect(thrown(() => readTraceWorkload('/nonexistent.csv', Infinity))).toBe(`${p}open /nonexistent.csv: no such file or directory`);
    expect(thrown(() => readTraceWorkload(tempFile('a.csv', 'h\n0,x,y,[1]\n'), Infinity))).toMatch(
      new RegExp(`^${p}row 0 \\(line 2\\): expected at least 5 columns`),
    );
    expect(thrown(() => readTraceWorkload(tempFile('b.csv', 'h\nsoon,x,y,[1],[2]\n'), Infinity))).toBe(
      `${p}row 0 (line 2): column 0 (arrival time) must be a finite number of seconds, got "soon"`,
    );
    expect(thrown(() => readTraceWorkload(tempFile('c.csv', 'h\n0,x,y,"[1, 2.5]",[2]\n'), Infinity))).toBe(
      `${p}row 0: column 3 (input token IDs) must be a JSON array of integer token IDs (int32), got "[1, 2.5]"`,
    );
    expect(thrown(() => readTraceWorkload(tempFile('d.csv', 'h\n0,x,y,"[1],[2]\n'), Infinity))).toMatch(
      new RegExp(`^${p}parse error on line 2`),
    );
  });
});

describe('yaml-lite fast path ≡ yaml package', () => {
  const keepNothing = () => false;
  const jsonish = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Inf' : x === -Infinity ? '-Inf' : x));

  it('all shipped YAML files take the fast path and agree with the full parser', () => {
    const files = [
      ...['mixed-production-workload', 'workload-asymmetric', 'workload-multiprefix', 'workload-multiturn', 'workload-multiturn-heavy', 'workload-nonorthogonal'].map(
        (n) => join(WORKLOADS, `${n}.yaml`),
      ),
      new URL('../data/defaults.yaml', import.meta.url).pathname,
    ];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const fast = parseSimpleYaml(text, keepNothing);
      expect(fast, f).toBeDefined();
      expect(jsonish(fast!.data)).toBe(jsonish(parseYamlFully(text, { intAsBigInt: true })));
    }
  });

  const scalarArb = fc.oneof(
    fc.constantFrom(
      '1', '-2', '+3', '007', '0x1F', '0o17', '1.5', '.5', '1.', '1e3', '-1.5E-2', '.inf', '-.Inf', '.nan', 'NaN', 'inf',
      'true', 'False', 'yes', 'no', 'null', '~', 'Null', '', 'abc', 'a b', 'a#b', 'a #b', 'http://x:80/y', '"q"', "'q'",
      "'it''s'", '"a:b"', 'x: y', '- x', '-x', '[1, 2]', '{}', '[]', '{a: 1}', '&a x', '*a', '!t x', '|', '>', '%x', '@x',
      '"with \\"escape\\""', 'key:', 'a,b', '?x', ':x', '12:30', '1_000', '0b11',
    ),
    fc.stringMatching(/^[a-z0-9 .:#'"_-]{0,8}$/),
  );
  const keyArb = fc.constantFrom('a', 'b_c', 'd-e', 'f.g', 'h/i', '10', '0', '"q k"', 'true', 'null', '1e3', "'s'", '? x', 'k k');
  interface Node {
    kind: 'map' | 'seq' | 'scalar';
    entries?: Array<[string, Node]>;
    items?: Node[];
    text?: string;
  }
  const nodeArb: fc.Arbitrary<Node> = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalarArb.map((text): Node => ({ kind: 'scalar', text })),
      fc.array(fc.tuple(keyArb, tie('node') as fc.Arbitrary<Node>), { maxLength: 4 }).map((entries): Node => ({ kind: 'map', entries })),
      fc.array(tie('node') as fc.Arbitrary<Node>, { maxLength: 4 }).map((items): Node => ({ kind: 'seq', items })),
    ),
  })).node as fc.Arbitrary<Node>;

  function render(node: Node, indent: number, style: number): string[] {
    const pad = ' '.repeat(indent);
    if (node.kind === 'map') {
      if (node.entries!.length === 0) return [`${pad}{}`];
      return node.entries!.flatMap(([k, v]) => {
        if (v.kind === 'scalar') return [`${pad}${k}: ${v.text}${style % 3 === 0 ? ' # note' : ''}`];
        if (v.kind === 'seq' && style % 2 === 0) return [`${pad}${k}:`, ...render(v, indent, style + 1)];
        return [`${pad}${k}:`, ...render(v, indent + 2 + (style % 2), style + 1)];
      });
    }
    if (node.kind === 'seq') {
      if (node.items!.length === 0) return [`${pad}[]`];
      return node.items!.flatMap((v) => {
        if (v.kind === 'scalar') return [`${pad}- ${v.text}`];
        const inner = render(v, indent + 2, style + 1);
        if (v.kind === 'map' && style % 2 === 1) return [`${pad}- ${inner[0]!.trimStart()}`, ...inner.slice(1)];
        return [`${pad}-`, ...inner];
      });
    }
    return [`${pad}${node.text}`];
  }

  it('random block documents: the fast path either declines or agrees (property)', () => {
    let fastCount = 0;
    fc.assert(
      fc.property(nodeArb, fc.nat(5), fc.boolean(), (node, style, comments) => {
        const lines = render({ kind: 'map', entries: [['root', node]] }, 0, style);
        const text = (comments ? ['# header', ...lines, '  # trailing'] : lines).join('\n') + '\n';
        const fast = parseSimpleYaml(text, keepNothing);
        let full: unknown;
        try {
          const doc = (() => {
            const d = parseYamlFully(text, { intAsBigInt: true, uniqueKeys: true, logLevel: 'silent' });
            return d;
          })();
          full = doc;
        } catch {
          expect(fast).toBeUndefined(); // the fast path must not accept invalid YAML
          return;
        }
        if (fast !== undefined) {
          fastCount++;
          expect(jsonish(fast.data)).toBe(jsonish(full));
        }
      }),
      { numRuns: 1500 },
    );
    expect(fastCount).toBeGreaterThan(100);
  });

  it('string fields keep the literal text (same rule on both paths)', () => {
    const text = 'version: 2.0\nclients:\n  - id: 0x10\n    input_distribution:\n      params:\n        type: 5\n';
    const fast = parseWorkloadSpecText(text);
    const slowText = `${text}...\n`; // a document-end marker makes the fast path decline
    expect(parseSimpleYaml(slowText, () => false)).toBeUndefined();
    expect(fast.version).toBe('2.0');
    expect(fast.clients[0]!.id).toBe('0x10');
    expect(fast.clients[0]!.inputDistribution.params).toEqual({ type: 5 });
    expect(parseWorkloadSpecText(slowText)).toEqual(fast);
  });
});

describe('Go formatting helpers', () => {
  it('%f: 6 decimals, exact ties to even, Go spellings of special values', () => {
    expect(formatGoFloatF(0.5)).toBe('0.500000');
    expect(formatGoFloatF(-0.5)).toBe('-0.500000');
    expect(formatGoFloatF(0.0078125)).toBe('0.007812');
    expect(formatGoFloatF(0.0234375)).toBe('0.023438');
    expect(formatGoFloatF(1e-7)).toBe('0.000000');
    expect(formatGoFloatF(-0)).toBe('-0.000000');
    expect(formatGoFloatF(1e22)).toBe('10000000000000000000000.000000');
    expect([formatGoFloatF(NaN), formatGoFloatF(Infinity), formatGoFloatF(-Infinity)]).toEqual(['NaN', '+Inf', '-Inf']);
  });
  it('%q', () => {
    expect(goQuote('a"b\\c\n\x01é')).toBe('"a\\"b\\\\c\\n\\x01é"');
  });
});

it('results are plain data', () => {
  const r = generateSpecWorkload(workload([client()]), { seed: 1n, horizon: Infinity, maxRequests: 2 });
  expect(isDeepStrictEqual(Object.keys(r[0]!).sort(), ['arrivalTime', 'id', 'inputTokens', 'model', 'outputTokens', 'roundIndex', 'sessionId', 'sharedPrefix', 'sloClass', 'streaming', 'tenantId'])).toBe(true);
  expect(r[0]!.inputTokens).toBeInstanceOf(Int32Array);
});
