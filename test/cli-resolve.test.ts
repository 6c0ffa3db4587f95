// `run` flag parsing (pflag semantics) and configuration resolution (docs/architecture.md, Configuration
// resolution), checked independently of the simulation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGoBool, parseGoFloat64, parseGoInt64 } from '../src/go/parse.js';
import { renderRunHelp } from '../src/cli/help.js';
import { runCli } from '../src/cli/program.js';
import { RunConfigCache, resolveRunConfig } from '../src/config/resolve-run.js';
import { simulate } from '../src/cluster/simulate.js';
import { DEFAULT_SCORERS } from '../src/policies/routing/weighted.js';
import { RUN_FLAGS, RUN_FLAG_GROUPS, parseRunArgs } from '../src/config/run-flags.js';

const GOLDEN_DIR = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
const MODEL = ['--model', 'meta-llama/llama-3.1-8b-instruct'];
const tempDir = mkdtempSync(join(tmpdir(), 'servesim-resolve-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function goldenArgs(id: string): string[] {
  const line = readFileSync(join(GOLDEN_DIR, 'cases.txt'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${id}|`))!;
  return line.split('|')[1]!.trim().split(/\s+/).slice(1); // without "run"
}

function resolveGolden(argv: string[]) {
  return resolveRunConfig(argv, { cwd: GOLDEN_DIR, cache: new RunConfigCache() });
}

const H100_TP2 = {
  alpha: [1601.350510688092, 3.512476196805965, 1805.5430360826988],
  beta: [6910.420479880494, 17.67057489844186, 2.8377471109943855],
  blocks: 132139,
};

describe('Go value parsers', () => {
  it('parses integers like strconv.ParseInt(s, 0, 64)', () => {
    expect(parseGoInt64('42')).toBe(42n);
    expect(parseGoInt64('-7')).toBe(-7n);
    expect(parseGoInt64('+7')).toBe(7n);
    expect(parseGoInt64('0x2A')).toBe(42n);
    expect(parseGoInt64('0b101')).toBe(5n);
    expect(parseGoInt64('0o17')).toBe(15n);
    expect(parseGoInt64('010')).toBe(8n); // a leading 0 means octal
    expect(parseGoInt64('1_000')).toBe(1000n);
    expect(parseGoInt64('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseGoInt64('-9223372036854775808')).toBe(-9223372036854775808n);
    for (const bad of ['', '9223372036854775808', '1.5', '1e3', '08', '_1', '1__0', '1_', '0x', 'abc', ' 1']) {
      expect(parseGoInt64(bad), bad).toBeUndefined();
    }
  });

  it('parses floats like strconv.ParseFloat(s, 64)', () => {
    expect(parseGoFloat64('1.5')).toBe(1.5);
    expect(parseGoFloat64('.5')).toBe(0.5);
    expect(parseGoFloat64('5.')).toBe(5);
    expect(parseGoFloat64('1e-5')).toBe(1e-5);
    expect(parseGoFloat64('-Inf')).toBe(-Infinity);
    expect(parseGoFloat64('+infinity')).toBe(Infinity);
    expect(parseGoFloat64('NaN')).toBeNaN();
    expect(parseGoFloat64('0x1p-2')).toBe(0.25);
    expect(parseGoFloat64('1_000.5')).toBe(1000.5);
    for (const bad of ['', 'fast', '1e', '1e400', '--1', '+NaN', ' 1', '1,5']) expect(parseGoFloat64(bad), bad).toBeUndefined();
  });

  it('round-trips every double through its shortest decimal form', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(parseGoFloat64(String(x)), x) || (x === 0 && parseGoFloat64(String(x)) === 0)).toBe(true);
      }),
    );
  });

  it('parses booleans like strconv.ParseBool', () => {
    for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) expect(parseGoBool(f)).toBe(false);
    for (const bad of ['yes', 'tRUE', '', 'on']) expect(parseGoBool(bad)).toBeUndefined();
  });
});

describe('flag parsing (pflag semantics)', () => {
  it('accepts --name value and --name=value, and records explicitness even for default values', () => {
    const { flags, explicit } = parseRunArgs(['--tp=2', '--hardware', 'H100', '--seed', '42']);
    expect(flags.tp).toBe(2);
    expect(flags.hardware).toBe('H100');
    expect(flags.seed).toBe(42n);
    expect([...explicit].sort()).toEqual(['hardware', 'seed', 'tp']);
  });

  it('takes booleans without a value or with =<bool>', () => {
    expect(parseRunArgs(['--slo-prefill']).flags.sloPrefill).toBe(true);
    expect(parseRunArgs(['--slo-prefill=false']).flags.sloPrefill).toBe(false);
    expect(parseRunArgs(['--slo-prefill=T']).flags.sloPrefill).toBe(true);
    // A boolean never consumes the next argument.
    expect(parseRunArgs(['--roofline', '--tp', '1']).flags.tp).toBe(1);
  });

  it('takes the next argument as the value even when it starts with "-"', () => {
    expect(parseRunArgs(['--slo-base-critical', '-5']).params.get('slo-base-critical')).toBe(-5);
    expect(parseRunArgs(['--model', '--tp']).flags.model).toBe('--tp');
  });

  it('keeps the last value of a repeated scalar flag and appends repeated list flags', () => {
    expect(parseRunArgs(['--rate', '1', '--rate', '3']).flags.rate).toBe(3);
    expect(parseRunArgs(['--alpha-coeffs', '1,2', '--alpha-coeffs', '3']).flags.alphaCoeffs).toEqual([1, 2, 3]);
    expect(parseRunArgs([]).flags.alphaCoeffs).toEqual([0, 0, 0]);
  });

  it('has every run flag with its default', () => {
    const { flags, params, explicit } = parseRunArgs([]);
    expect(explicit.size).toBe(0);
    // 70 flags of the reference plus --preemption-policy, --plugin and --progress.
    expect(RUN_FLAGS).toHaveLength(75);
    expect(flags).toMatchObject({
      totalKvBlocks: 1_000_000,
      blockSizeInTokens: 16,
      maxNumRunningReqs: 256,
      maxNumScheduledTokens: 2048,
      maxModelLen: 2048,
      kvOffloadThreshold: 0.9,
      kvTransferBandwidth: 100,
      workload: 'distribution',
      seed: 42n,
      horizon: Infinity,
      rate: 1,
      numRequests: 100,
      promptTokens: 512,
      promptTokensStdev: 256,
      promptTokensMin: 2,
      promptTokensMax: 7000,
      admissionPolicy: 'always-admit',
      routingPolicy: 'round-robin',
      scheduler: 'fcfs',
      priorityPolicy: 'constant',
      preemptionPolicy: 'batch-tail',
      sloPrefillCritical: 128,
      sloPrefillSheddable: 0,
      traceLevel: 'none',
      log: 'warn',
      progress: false,
      plugin: [],
    });
    // Policy parameters are derived from the policies' declarations, keyed by flag.
    expect(Object.fromEntries(params)).toEqual({
      'token-bucket-capacity': 10000,
      'token-bucket-refill-rate': 1000,
      'slo-gated-threshold': 8,
      'tiered-shed-sheddable': 8,
      'tiered-shed-standard': 32,
      'slo-scorer-bias-critical': 0.9,
      'slo-scorer-bias-sheddable': 0.2,
      'slo-base-critical': 10,
      'slo-base-standard': 5,
      'slo-base-sheddable': 1,
      'slo-age-weight': 1e-5,
      'slo-threshold-standard': 100000,
      'slo-threshold-sheddable': 200000,
      'load-adaptive-low': 2,
      'load-adaptive-high': 15,
    });
  });

  it('keeps int64 seeds exact', () => {
    expect(parseRunArgs(['--seed', '9223372036854775807']).flags.seed).toBe(9223372036854775807n);
    expect(parseRunArgs(['--seed', '-9223372036854775808']).flags.seed).toBe(-9223372036854775808n);
  });

  it('groups the help output by flag group and lists every flag', () => {
    const help = renderRunHelp();
    for (const heading of Object.values(RUN_FLAG_GROUPS)) expect(help).toContain(`\n${heading}\n`);
    for (const spec of RUN_FLAGS) expect(help).toContain(`--${spec.name}`);
    expect(help.indexOf('--model ')).toBeLessThan(help.indexOf('--total-kv-blocks'));
    expect(help.indexOf('--total-kv-blocks')).toBeLessThan(help.indexOf('--workload-spec'));
  });
});

describe('help', () => {
  async function run(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const exitCode = await runCli(argv, {
      cwd: GOLDEN_DIR,
      writeStdout: (t) => void (stdout += t),
      writeStderr: (t) => void (stderr += t),
      env: {},
    });
    return { exitCode, stdout, stderr };
  }

  it('`run --help`, `run -h` and `help run` print the grouped run help on stdout', async () => {
    for (const argv of [['run', '--help'], ['run', '-h'], ['help', 'run'], ['run', ...MODEL, '--help']]) {
      const outcome = await run(argv);
      expect(outcome, argv.join(' ')).toMatchObject({ exitCode: 0, stderr: '' });
      expect(outcome.stdout).toBe(renderRunHelp());
    }
  });

  it('`--help` lists the subcommands', async () => {
    const outcome = await run(['--help']);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toMatch(/Commands:\n\s+run\s/);
  });
});

describe('coefficient and KV resolution (docs/spec-notes.md, Coefficient resolution)', () => {
  it('G01: H100/TP2 defaults row and its 132139 KV blocks', () => {
    const { sim } = resolveGolden(goldenArgs('G01'));
    expect(sim.latency).toEqual({ kind: 'blackbox', alpha: H100_TP2.alpha, beta: H100_TP2.beta });
    expect(sim.engine.totalKvBlocks).toBe(H100_TP2.blocks);
    expect(sim.horizon).toBe(Infinity);
    expect(sim.requests).toHaveLength(100);
    expect(sim.numInstances).toBe(1);
  });

  it('an explicit --total-kv-blocks wins even with its default value', () => {
    const { sim } = resolveGolden([...MODEL, '--total-kv-blocks', '1000000']);
    expect(sim.engine.totalKvBlocks).toBe(1_000_000);
  });

  it('explicit coefficients skip the lookup and keep the 1,000,000-block flag default', () => {
    const { sim } = resolveGolden([...MODEL, '--alpha-coeffs', '1,2,3', '--beta-coeffs', '4,5,6']);
    expect(sim.latency).toEqual({ kind: 'blackbox', alpha: [1, 2, 3], beta: [4, 5, 6] });
    expect(sim.engine.totalKvBlocks).toBe(1_000_000);
  });

  it('lower-cases the model name before the lookup', () => {
    const { sim } = resolveGolden(['--model', 'Meta-Llama/Llama-3.1-8B-Instruct']);
    expect(sim.latency).toEqual({ kind: 'blackbox', alpha: H100_TP2.alpha, beta: H100_TP2.beta });
  });

  it('G14: implicit roofline with zero alpha and the 1,000,000-block flag default', () => {
    const { sim } = resolveGolden(goldenArgs('G14'));
    expect(sim.latency).toEqual({
      kind: 'roofline',
      alpha: [0, 0, 0],
      tp: 2,
      model: { numLayers: 32, hiddenSize: 4096, numHeads: 32, numKvHeads: 8, intermediateSize: 14336, bytesPerParam: 2 },
      hardware: {
        TFlopsPeak: 989.5,
        BwPeakTBs: 3.35,
        BwEffConstant: 0.72,
        TOverheadMicros: 500,
        perLayerOverhead: 20,
        mfuPrefill: 0.65,
        mfuDecode: 0.12,
        allReduceLatency: 20,
      },
    });
    expect(sim.engine.totalKvBlocks).toBe(1_000_000);
    expect(sim.requests).toHaveLength(20);
  });

  it('G15: --roofline loads alpha and KV blocks from the defaults row and the shipped hardware file', () => {
    const { sim } = resolveGolden(goldenArgs('G15'));
    expect(sim.latency.kind).toBe('roofline');
    expect(sim.latency.alpha).toEqual(H100_TP2.alpha);
    expect(sim.engine.totalKvBlocks).toBe(H100_TP2.blocks);
    if (sim.latency.kind === 'roofline') {
      expect(sim.latency.tp).toBe(2);
      expect(sim.latency.hardware.TFlopsPeak).toBe(989.5);
      expect(sim.latency.model.numLayers).toBe(32);
    }
  });

  it('--roofline without --model-config-folder uses the shipped model_configs/<model>/config.json', () => {
    const { sim } = resolveGolden([...MODEL, '--roofline', '--hardware', 'H100', '--tp', '2']);
    expect(sim.latency.kind).toBe('roofline');
    if (sim.latency.kind === 'roofline') expect(sim.latency.model.hiddenSize).toBe(4096);
  });

  it('G21: A100-80/TP1 row; explicit KV blocks and block size', () => {
    const { sim } = resolveGolden(goldenArgs('G21'));
    expect(sim.latency).toEqual({
      kind: 'blackbox',
      alpha: [7739.7334212001515, 2.308926798943791, 6276.246189076296],
      beta: [16441.531547147923, 47.837412108198656, 18.20560632171683],
    });
    expect(sim.engine.totalKvBlocks).toBe(400);
    expect(sim.engine.blockSize).toBe(32);
    expect(sim.requests).toHaveLength(200);
    expect(sim.requests[0]!.inputTokens.length).toBeGreaterThanOrEqual(256); // shared prefix
  });

  it('uses the given --defaults-filepath relative to the working directory', () => {
    const custom = join(tempDir, 'custom-defaults.yaml');
    writeFileSync(
      custom,
      [
        'defaults:',
        '  my/model:',
        '    GPU: X1',
        '    tensor_parallelism: 1',
        '    vllm_version: v1',
        'models:',
        '- {id: my/model, GPU: X1, tensor_parallelism: 1, vllm_version: v1, alpha_coeffs: [1, 2, 3], beta_coeffs: [4, 5, 6], total_kv_blocks: 77}',
        'workloads:',
        '  chatbot: {prompt_tokens: 5, prompt_tokens_stdev: 1, prompt_tokens_min: 5, prompt_tokens_max: 5, output_tokens: 2, output_tokens_stdev: 1, output_tokens_min: 2, output_tokens_max: 2}',
      ].join('\n'),
    );
    const argv = ['--model', 'my/model', '--defaults-filepath', 'custom-defaults.yaml'];
    const { sim } = resolveRunConfig(argv, { cwd: tempDir });
    expect(sim.latency).toEqual({ kind: 'blackbox', alpha: [1, 2, 3], beta: [4, 5, 6] });
    expect(sim.engine.totalKvBlocks).toBe(77);
    // Presets come from the same file.
    const preset = resolveRunConfig([...argv, '--workload', 'chatbot', '--num-requests', '3'], { cwd: tempDir }).sim;
    expect(preset.requests.map((r) => [r.inputTokens.length, r.outputTokens.length])).toEqual([
      [5, 2],
      [5, 2],
      [5, 2],
    ]);
  });
});

describe('workload resolution (docs/spec-notes.md: Seed, horizon and request cap; Legacy generator and presets; CSV traces)', () => {
  it('G12: an explicit --num-requests overrides the spec num_requests', () => {
    const { sim } = resolveGolden(goldenArgs('G12'));
    expect(sim.requests).toHaveLength(400);
    const withoutOverride = resolveGolden(goldenArgs('G12').slice(0, -2));
    expect(withoutOverride.sim.requests).toHaveLength(1000);
  });

  it('the spec seed applies unless --seed is given explicitly', () => {
    const spec = ['--workload-spec', 'workloads/mixed-production-workload.yaml'];
    const implicit = resolveGolden([...MODEL, ...spec]).sim.requests;
    const explicit42 = resolveGolden([...MODEL, ...spec, '--seed', '42']).sim.requests;
    const explicit43 = resolveGolden([...MODEL, ...spec, '--seed', '43']).sim.requests;
    expect(explicit42.map((r) => r.arrivalTime)).toEqual(implicit.map((r) => r.arrivalTime));
    expect(explicit43.map((r) => r.arrivalTime)).not.toEqual(implicit.map((r) => r.arrivalTime));
    // The first request of the seed-42 spec.
    expect(implicit[0]!.arrivalTime).toBe(325);
    expect(implicit[0]!.inputTokens.length).toBe(663);
  });

  it('an explicit --horizon bounds a spec and becomes the simulation horizon', () => {
    const spec = [...MODEL, '--workload-spec', 'workloads/mixed-production-workload.yaml'];
    const { sim } = resolveGolden([...spec, '--horizon', '10000']);
    expect(sim.horizon).toBe(10000);
    expect(sim.requests.every((r) => r.arrivalTime < 10000)).toBe(true);
    expect(resolveGolden(spec).sim.horizon).toBe(Infinity);
  });

  it('--workload-spec overrides --workload', () => {
    const { sim } = resolveGolden([...MODEL, '--workload', 'chatbot', '--workload-spec', 'workloads/mixed-production-workload.yaml']);
    expect(sim.requests).toHaveLength(1000);
  });

  it('legacy presets take their lengths from the defaults file and --rate/--num-requests from flags', () => {
    const { sim } = resolveGolden([...MODEL, '--workload', 'chatbot', '--rate', '4', '--num-requests', '7']);
    expect(sim.requests).toHaveLength(7);
    expect(sim.requests[1]!.arrivalTime).toBe(250000);
    expect(sim.requests.every((r) => r.inputTokens.length >= 2 && r.inputTokens.length <= 800)).toBe(true);
  });

  it('G16: CSV traces', () => {
    const { sim } = resolveGolden(goldenArgs('G16'));
    expect(sim.requests.map((r) => [r.id, r.arrivalTime, r.inputTokens.length, r.outputTokens.length])).toEqual([
      ['request_0', 0, 100, 10],
      ['request_1', 0, 100, 10],
    ]);
  });

  it('caches generated workloads per input and shares them between resolutions', () => {
    const cache = new RunConfigCache();
    const argv = [...MODEL, '--workload-spec', 'workloads/mixed-production-workload.yaml', '--num-requests', '50'];
    const first = resolveRunConfig(argv, { cwd: GOLDEN_DIR, cache }).sim.requests;
    const second = resolveRunConfig([...argv, '--routing-policy', 'least-loaded'], { cwd: GOLDEN_DIR, cache }).sim.requests;
    const otherSeed = resolveRunConfig([...argv, '--seed', '7'], { cwd: GOLDEN_DIR, cache }).sim.requests;
    expect(second).toBe(first);
    expect(otherSeed).not.toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });
});

describe('policies (docs/spec-notes.md, Policies)', () => {
  it('G03: weighted routing with the given scorers and tiered KV flags', () => {
    const { sim } = resolveGolden(goldenArgs('G03'));
    expect(sim.numInstances).toBe(8);
    expect(sim.policies.routing).toEqual({ name: 'weighted', params: {} });
    expect(sim.policies.scorers).toEqual([
      { name: 'prefix-affinity', weight: 3, params: {} },
      { name: 'queue-depth', weight: 2, params: {} },
      { name: 'kv-utilization', weight: 2, params: {} },
    ]);
    expect(sim.engine).toMatchObject({ kvCpuBlocks: 44000, kvOffloadThreshold: 0.9, longPrefillTokenThreshold: 256, totalKvBlocks: 132139 });
  });

  it('weighted routing without scorers gets the default set; other policies get none', () => {
    const small = [...MODEL, '--num-instances', '3', '--rate', '50', '--num-requests', '40', '--trace-level', 'decisions'];
    const implicit = resolveGolden([...small, '--routing-policy', 'weighted']).sim;
    // No scorers in the configuration means the routing policy's default pipeline, which the engine fills in …
    expect(implicit.policies.scorers).toEqual([]);
    expect(DEFAULT_SCORERS).toEqual([
      { name: 'prefix-affinity', weight: 3 },
      { name: 'queue-depth', weight: 2 },
      { name: 'kv-utilization', weight: 2 },
    ]);
    // … and runs exactly like the default set given explicitly.
    const explicit = resolveGolden([...small, '--routing-policy', 'weighted', '--routing-scorers', 'prefix-affinity:3,queue-depth:2,kv-utilization:2']).sim;
    expect(explicit.policies.scorers.map((s) => s.name)).toEqual(['prefix-affinity', 'queue-depth', 'kv-utilization']);
    expect(simulate(implicit)).toEqual(simulate(explicit));
    const leastLoaded = resolveGolden([...MODEL, '--routing-policy', 'least-loaded', '--routing-scorers', 'queue-depth:1']);
    expect(leastLoaded.sim.policies.scorers).toEqual([]);
    expect(leastLoaded.diagnostics.map((d) => d.level)).toEqual(['warn']);
  });

  it('trims scorer entries and names', () => {
    const { sim } = resolveGolden([...MODEL, '--routing-policy', 'weighted', '--routing-scorers', ' queue-depth :2 , load-balance:0.5']);
    expect(sim.policies.scorers).toEqual([
      { name: 'queue-depth', weight: 2, params: {} },
      { name: 'load-balance', weight: 0.5, params: {} },
    ]);
  });

  it('a policy bundle applies only to flags that were not given explicitly', () => {
    const bundle = join(tempDir, 'bundle.yaml');
    writeFileSync(
      bundle,
      [
        'admission:',
        '  policy: token-bucket',
        '  token_bucket_capacity: 500',
        '  token_bucket_refill_rate: 50',
        'routing:',
        '  policy: weighted',
        '  scorers:',
        '    - {name: load-balance, weight: 1}',
        'priority:',
        '  policy: slo-tiered',
        'scheduler: sjf',
      ].join('\n'),
    );
    const fromBundle = resolveGolden([...MODEL, '--policy-config', bundle]).sim.policies;
    expect(fromBundle.admission).toEqual({ name: 'token-bucket', params: { capacity: 500, refillRate: 50 } });
    expect(fromBundle.routing.name).toBe('weighted');
    expect(fromBundle.scorers).toEqual([{ name: 'load-balance', weight: 1, params: {} }]);
    expect(fromBundle.priority.name).toBe('slo-tiered');
    expect(fromBundle.scheduler.name).toBe('sjf');

    const explicit = resolveGolden([
      ...MODEL,
      '--policy-config',
      bundle,
      '--scheduler',
      'fcfs', // explicit, even though it is the default
      '--token-bucket-capacity',
      '10000',
      '--routing-scorers',
      'queue-depth:1',
    ]).sim.policies;
    expect(explicit.scheduler.name).toBe('fcfs');
    expect(explicit.admission).toEqual({ name: 'token-bucket', params: { capacity: 10000, refillRate: 50 } });
    expect(explicit.scorers).toEqual([{ name: 'queue-depth', weight: 1, params: {} }]);
  });

  it('passes the remaining policy flags through', () => {
    const { sim, output } = resolveGolden(goldenArgs('G02'));
    // Only the selected policy's parameters are resolved.
    expect(sim.policies.admission).toEqual({ name: 'token-bucket', params: { capacity: 3000, refillRate: 4000 } });
    expect(sim.trace).toEqual({ level: 'decisions', counterfactualK: 2 });
    expect(output).toEqual({
      resultsPath: '',
      fitnessWeights: 'throughput:0.5,p99_ttft:0.3,mean_e2e:0.2',
      summarizeTrace: true,
      traceLevel: 'decisions',
    });
    const g20 = resolveGolden(goldenArgs('G20')).sim;
    expect(g20.policies).toMatchObject({ admissionLatency: 1000, routingLatency: 500 });
    expect(g20.policies.snapshotRefreshInterval).toBe(50000);
    const g23 = resolveGolden(goldenArgs('G23')).sim;
    expect(g23.policies.priority).toEqual({
      name: 'slo-tiered',
      params: {
        baseCritical: 12.938,
        baseStandard: 5,
        baseSheddable: 2.78,
        ageWeight: 0.0000983659,
        thresholdStandard: 100000,
        thresholdSheddable: 500000,
      },
    });
    // The router's SLO priority bridge reads the same tier bases.
    expect(g23.policies.priorityBridge).toEqual({ enabled: false, bases: [12.938, 5, 2.78] });
    expect(g23.policies.sloPrefill).toEqual({ enabled: true, critical: 508, sheddable: 256 });
    expect(g23.engine.maxScheduledTokens).toBe(962);
  });

  it('resolves --results-path against the working directory and never prints', () => {
    const { output, diagnostics } = resolveGolden([...MODEL, '--results-path', 'out.json', '--summarize-trace']);
    expect(output.resultsPath).toBe(join(GOLDEN_DIR, 'out.json'));
    expect(diagnostics).toEqual([{ level: 'warn', message: '--summarize-trace has no effect without --trace-level decisions' }]);
  });
});
