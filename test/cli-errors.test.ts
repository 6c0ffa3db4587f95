// Bad-input corpus for `servesim run`: every case must fail with one clear line on stderr, nothing on stdout (even
// --fitness-weights is checked before the run), exit status 1 and no stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ServesimError } from '../src/errors.js';
import { INTERNAL_ERROR_EXIT_CODE, describeFailure } from '../src/cli/program.js';
import { runCliCaptured } from './support/cli.js';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const SPEC_TEXT = readFileSync(new URL('./fixtures/golden/workloads/mixed-production-workload.yaml', import.meta.url), 'utf8');
const MODEL = ['--model', 'meta-llama/llama-3.1-8b-instruct'];

const dir = mkdtempSync(join(tmpdir(), 'servesim-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSpec(name: string, edit: (text: string) => string): string {
  const edited = edit(SPEC_TEXT);
  expect(edited, `${name}: the edit must change the spec`).not.toBe(SPEC_TEXT);
  writeFileSync(join(dir, name), edited);
  return name;
}
function writeFile(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const FILES = {
  unknownKey: writeSpec('unknown-key.yaml', (t) => t.replace('aggregate_rate: 2000.0', 'aggregate_rate: 2000.0\nburstiness: 3')),
  badDistribution: writeSpec('bad-dist.yaml', (t) => t.replace('type: "exponential"', 'type: "zipf"')),
  negativePrefix: writeSpec('negative-prefix.yaml', (t) => t.replace('prefix_length: 512', 'prefix_length: -4')),
  zeroRate: writeSpec('zero-rate.yaml', (t) => t.replace('aggregate_rate: 2000.0', 'aggregate_rate: 0')),
  missingParam: writeSpec('missing-param.yaml', (t) => t.replace('        mean: 256\n', '')),
  unbounded: writeSpec('unbounded.yaml', (t) => t.replace('num_requests: 1000\n', '')),
  badSloClass: writeSpec('bad-slo.yaml', (t) => t.replace('slo_class: "critical"', 'slo_class: "urgent"')),
  bundleUnknownKey: writeFile('bundle-unknown-key.yaml', 'admission:\n  policy: token-bucket\n  burst: 5\n'),
  bundleBadPolicy: writeFile('bundle-bad-policy.yaml', 'priority:\n  policy: fifo\n'),
  bundleBadScorer: writeFile('bundle-bad-scorer.yaml', 'routing:\n  policy: weighted\n  scorers:\n    - {name: queue-depth, weight: -1}\n'),
};

interface ErrorCase {
  name: string;
  argv: string[];
  /** Exact stderr line (without newline), or a pattern for its essential part. */
  message: string | RegExp;
}

const CASES: ErrorCase[] = [
  // Flag syntax and types.
  { name: 'unknown flag', argv: [...MODEL, '--modle', 'x'], message: 'unknown flag: --modle (did you mean --model?)' },
  { name: 'unknown flag without suggestion', argv: [...MODEL, '--frobnicate'], message: 'unknown flag: --frobnicate' },
  {
    name: 'unparsable int',
    argv: [...MODEL, '--num-requests', 'abc'],
    message: 'invalid argument "abc" for "--num-requests" flag: expected an integer (int)',
  },
  { name: 'float for an int', argv: [...MODEL, '--tp', '1.5'], message: 'invalid argument "1.5" for "--tp" flag: expected an integer (int)' },
  {
    name: 'int64 overflow',
    argv: [...MODEL, '--seed', '9223372036854775808'],
    message: 'invalid argument "9223372036854775808" for "--seed" flag: value out of range for int64',
  },
  { name: 'unparsable float', argv: [...MODEL, '--rate', 'fast'], message: 'invalid argument "fast" for "--rate" flag: expected a number (float64)' },
  {
    name: 'unparsable bool',
    argv: [...MODEL, '--roofline=yes'],
    message: 'invalid argument "yes" for "--roofline" flag: expected a boolean (true or false)',
  },
  {
    name: 'unparsable float list',
    argv: [...MODEL, '--alpha-coeffs', '1,x,3'],
    message: 'invalid argument "1,x,3" for "--alpha-coeffs" flag: expected a comma-separated list of numbers (float64 list)',
  },
  { name: 'missing flag value', argv: [...MODEL, '--seed'], message: 'flag needs an argument: --seed' },
  { name: 'stray argument', argv: [...MODEL, 'fast'], message: 'unexpected argument "fast": run takes only flags' },
  { name: 'bad flag syntax', argv: [...MODEL, '---tp', '2'], message: 'bad flag syntax: ---tp' },
  { name: 'unknown shorthand', argv: [...MODEL, '-x'], message: "unknown shorthand flag: 'x' in -x" },

  // Step 1–3: log level, model, coefficients.
  { name: 'invalid log level', argv: [...MODEL, '--log', 'loud'], message: 'Invalid log level: loud' },
  { name: 'missing --model', argv: ['--num-requests', '5'], message: 'LLM name not provided. Exiting simulation.' },
  { name: 'empty --model', argv: ['--model='], message: 'LLM name not provided. Exiting simulation.' },
  {
    name: 'unknown model without coefficients',
    argv: ['--model', 'Acme/Unknown-7B'],
    message:
      `unknown model "acme/unknown-7b": ${join(REPO_ROOT, 'data', 'defaults.yaml')} has no coefficients for it (known: codellama/codellama-34b-instruct-hf, ` +
      'ibm-granite/granite-3.1-8b-instruct, meta-llama/llama-3.1-8b-instruct, meta-llama/llama-3.3-70b-instruct, ' +
      'meta-llama/llama-4-maverick-17b-128e-instruct-fp8, meta-llama/llama-4-scout-17b-16e-instruct, microsoft/phi-4, ' +
      'mistralai/mistral-small-24b-instruct-2501, … (29 models)); pass --alpha-coeffs and --beta-coeffs, or roofline inputs (--model-config-folder, --hardware-config, --hardware, --tp)',
  },
  {
    name: 'no coefficient row for the TP',
    argv: [...MODEL, '--tp', '3'],
    message:
      `no coefficients for model=meta-llama/llama-3.1-8b-instruct on GPU=H100, TP=3, vLLM vllm/vllm-openai:v0.8.4 in ${join(REPO_ROOT, 'data', 'defaults.yaml')} ` +
      '(rows for this model, GPU/TP/vLLM: A100-80/TP1/vllm/vllm-openai:v0.8.4, H100/TP1/vllm/vllm-openai:v0.8.4, ' +
      'A100-80/TP2/vllm/vllm-openai:v0.8.4, H100/TP2/vllm/vllm-openai:v0.8.4, A100-80/TP4/vllm/vllm-openai:v0.8.4, ' +
      'H100/TP4/vllm/vllm-openai:v0.8.4); pass --alpha-coeffs and --beta-coeffs, or roofline inputs (--model-config-folder, --hardware-config, --hardware, --tp)',
  },
  { name: '--roofline without --hardware', argv: [...MODEL, '--roofline'], message: '--roofline requires --hardware (GPU type)' },
  { name: '--roofline without --tp', argv: [...MODEL, '--roofline', '--hardware', 'H100'], message: '--roofline requires --tp > 0' },
  {
    name: '--roofline with an unknown GPU',
    argv: [...MODEL, '--roofline', '--hardware', 'TPU9', '--tp', '2'],
    message: /^Failed to load hardware config: GPU "TPU9" not found in .*hardware_config\.json; available: H100, A100-SXM$/,
  },
  {
    name: 'too few alpha coefficients',
    argv: [...MODEL, '--alpha-coeffs', '1,2', '--beta-coeffs', '1,2,3'],
    message: 'AlphaCoeffs requires at least 3 elements, got 2',
  },
  {
    name: 'missing defaults file',
    argv: [...MODEL, '--defaults-filepath', 'nope.yaml'],
    message: `Failed to read defaults file: open ${join(dir, 'nope.yaml')}: no such file or directory`,
  },

  // Step 4: workload.
  {
    name: 'unknown --workload',
    argv: [...MODEL, '--workload', 'poetry'],
    message: 'Undefined workload. Use one among (chatbot, summarization, contentgen, multidoc)',
  },
  { name: 'rate <= 0', argv: [...MODEL, '--rate', '0'], message: '--rate must be a finite value > 0, got 0' },
  {
    name: 'prompt mean out of range',
    argv: [...MODEL, '--prompt-tokens', '10000'],
    message: 'prompt-tokens and prompt-tokens-stdev should be in range [prompt-tokens-min, prompt-tokens-max]',
  },
  {
    name: 'output stdev out of range',
    argv: [...MODEL, '--output-tokens-stdev', '1'],
    message: 'output-tokens and output-tokens-stdev should be in range [output-tokens-min, output-tokens-max]',
  },
  {
    name: 'missing workload spec',
    argv: [...MODEL, '--workload-spec', 'missing.yaml'],
    message: `Failed to load workload spec: reading workload spec: open ${join(dir, 'missing.yaml')}: no such file or directory`,
  },
  {
    name: 'workload spec: unknown key',
    argv: [...MODEL, '--workload-spec', FILES.unknownKey],
    message: /^Failed to load workload spec: parsing workload spec: line 6: field "burstiness" not found/,
  },
  {
    name: 'workload spec: invalid distribution type',
    argv: [...MODEL, '--workload-spec', FILES.badDistribution],
    message:
      'Invalid workload spec: client[0]: client[0].output_distribution: unknown distribution type "zipf"; valid: gaussian, exponential, pareto_lognormal, empirical, constant',
  },
  {
    name: 'workload spec: negative prefix_length',
    argv: [...MODEL, '--workload-spec', FILES.negativePrefix],
    message: 'Invalid workload spec: client[0]: prefix_length must be non-negative, got -4',
  },
  {
    name: 'workload spec: aggregate_rate <= 0',
    argv: [...MODEL, '--workload-spec', FILES.zeroRate],
    message: 'Invalid workload spec: aggregate_rate must be positive, got 0.000000',
  },
  {
    name: 'workload spec: invalid slo_class',
    argv: [...MODEL, '--workload-spec', FILES.badSloClass],
    message: 'Invalid workload spec: client[0]: unknown slo_class "urgent"; valid: critical, standard, sheddable, batch, background, or empty',
  },
  {
    name: 'workload spec: missing required parameter',
    argv: [...MODEL, '--workload-spec', FILES.missingParam],
    message: /^Failed to generate workload: client ".*" input distribution: distribution requires parameter "mean"$/,
  },
  {
    name: 'workload spec: unbounded',
    argv: [...MODEL, '--workload-spec', FILES.unbounded],
    message: '--workload-spec requires either num_requests (in YAML or --num-requests) or --horizon to bound generation',
  },

  // Step 5: engine.
  { name: 'zero instances', argv: [...MODEL, '--num-instances', '0'], message: '--num-instances must be an integer >= 1, got 0' },
  { name: 'negative KV blocks', argv: [...MODEL, '--total-kv-blocks', '-5'], message: '--total-kv-blocks must be an integer > 0, got -5' },
  { name: 'zero block size', argv: [...MODEL, '--block-size-in-tokens', '0'], message: '--block-size-in-tokens must be an integer > 0, got 0' },
  { name: 'zero running requests', argv: [...MODEL, '--max-num-running-reqs', '0'], message: '--max-num-running-reqs must be an integer > 0, got 0' },
  {
    name: 'zero token budget',
    argv: [...MODEL, '--max-num-scheduled-tokens', '0'],
    message: '--max-num-scheduled-tokens must be an integer > 0, got 0',
  },
  {
    name: 'negative chunk threshold',
    argv: [...MODEL, '--long-prefill-token-threshold', '-1'],
    message: '--long-prefill-token-threshold must be an integer >= 0, got -1',
  },
  {
    name: 'traces without a path',
    argv: [...MODEL, '--workload', 'traces'],
    message: '--workload-traces-filepath is required when using --workload traces',
  },

  // Step 6: policy bundle.
  {
    name: 'policy bundle: unknown key',
    argv: [...MODEL, '--policy-config', FILES.bundleUnknownKey],
    message:
      'Failed to load policy config: parsing policy config: line 3: field "burst" not found in admission (valid fields: policy, token_bucket_capacity, token_bucket_refill_rate, slo_gated_threshold, tiered_shed_sheddable, tiered_shed_standard)',
  },
  {
    name: 'policy bundle: unknown policy',
    argv: [...MODEL, '--policy-config', FILES.bundleBadPolicy],
    message: 'Invalid policy config: unknown priority policy "fifo"; valid: constant, inverted-slo, load-adaptive, slo-based, slo-tiered',
  },
  {
    name: 'policy bundle: bad scorer weight',
    argv: [...MODEL, '--policy-config', FILES.bundleBadScorer],
    message: 'Invalid policy config: routing.scorers: scorer "queue-depth" weight must be a finite positive number, got -1',
  },
  {
    name: 'policy bundle: missing file',
    argv: [...MODEL, '--policy-config', 'nope.yaml'],
    message: `Failed to load policy config: open ${join(dir, 'nope.yaml')}: no such file or directory`,
  },

  // Step 7: policies and analysis flags.
  {
    name: 'token bucket capacity <= 0',
    argv: [...MODEL, '--admission-policy', 'token-bucket', '--token-bucket-capacity', '0'],
    message: '--token-bucket-capacity must be a finite value > 0, got 0',
  },
  {
    name: 'token bucket refill rate infinite',
    argv: [...MODEL, '--admission-policy', 'token-bucket', '--token-bucket-refill-rate', 'inf'],
    message: '--token-bucket-refill-rate must be a finite value > 0, got +Inf',
  },
  {
    name: 'unknown admission policy',
    argv: [...MODEL, '--admission-policy', 'bouncer'],
    message: 'Unknown admission policy "bouncer". Valid: always-admit, reject-all, slo-gated, tiered-load-shed, token-bucket',
  },
  {
    name: 'unknown routing policy',
    argv: [...MODEL, '--routing-policy', 'random'],
    message: 'Unknown routing policy "random". Valid: always-busiest, least-loaded, prefix-affinity, round-robin, weighted',
  },
  {
    name: 'unknown priority policy',
    argv: [...MODEL, '--priority-policy', 'fifo'],
    message: 'Unknown priority policy "fifo". Valid: constant, inverted-slo, load-adaptive, slo-based, slo-tiered',
  },
  {
    name: 'unknown scheduler',
    argv: [...MODEL, '--scheduler', 'lifo'],
    message: 'Unknown scheduler "lifo". Valid: fcfs, priority-fcfs, reverse-priority, sjf',
  },
  { name: 'unknown trace level', argv: [...MODEL, '--trace-level', 'verbose'], message: 'Unknown trace level "verbose". Valid: none, decisions' },
  { name: 'negative counterfactual-k', argv: [...MODEL, '--counterfactual-k', '-1'], message: '--counterfactual-k must be an integer >= 0, got -1' },
  { name: 'negative CPU blocks', argv: [...MODEL, '--kv-cpu-blocks', '-1'], message: '--kv-cpu-blocks must be an integer >= 0, got -1' },
  {
    name: 'KV offload threshold out of range',
    argv: [...MODEL, '--kv-offload-threshold', '1.5'],
    message: '--kv-offload-threshold must be a value in [0, 1], got 1.5',
  },
  { name: 'KV offload threshold NaN', argv: [...MODEL, '--kv-offload-threshold', 'NaN'], message: '--kv-offload-threshold must be a value in [0, 1], got NaN' },
  {
    name: 'zero transfer bandwidth with a CPU tier',
    argv: [...MODEL, '--kv-cpu-blocks', '10', '--kv-transfer-bandwidth', '0'],
    message: '--kv-transfer-bandwidth must be a finite value > 0 when --kv-cpu-blocks > 0, got 0.000000',
  },
  {
    name: 'negative transfer latency',
    argv: [...MODEL, '--kv-transfer-base-latency', '-3'],
    message: '--kv-transfer-base-latency must be an integer >= 0, got -3',
  },
  {
    name: 'negative snapshot interval',
    argv: [...MODEL, '--snapshot-refresh-interval', '-1'],
    message: '--snapshot-refresh-interval must be an integer >= 0, got -1',
  },
  {
    name: 'unknown scorer',
    argv: [...MODEL, '--routing-policy', 'weighted', '--routing-scorers', 'prefix-affinity:3,latency:1'],
    message: 'Invalid --routing-scorers: unknown scorer "latency"; valid: kv-utilization, load-balance, prefix-affinity, queue-depth, slo-priority',
  },
  {
    name: 'scorer without weight',
    argv: [...MODEL, '--routing-policy', 'weighted', '--routing-scorers', 'queue-depth'],
    message: 'Invalid --routing-scorers: invalid scorer entry "queue-depth": expected name:weight',
  },
  {
    name: 'non-numeric scorer weight',
    argv: [...MODEL, '--routing-policy', 'weighted', '--routing-scorers', 'queue-depth:heavy'],
    message: 'Invalid --routing-scorers: invalid weight "heavy" for scorer "queue-depth": expected a number',
  },
  {
    name: 'zero scorer weight',
    argv: [...MODEL, '--routing-policy', 'weighted', '--routing-scorers', 'queue-depth:0'],
    message: 'Invalid --routing-scorers: scorer "queue-depth" weight must be a finite positive number, got 0',
  },
  {
    name: 'duplicate scorer',
    argv: [...MODEL, '--routing-policy', 'weighted', '--routing-scorers', 'queue-depth:1,queue-depth:2'],
    message: 'Invalid --routing-scorers: duplicate scorer "queue-depth"',
  },

  // Step 8: workload generation inside the simulation.
  {
    name: 'missing trace file',
    argv: [...MODEL, '--workload', 'traces', '--workload-traces-filepath', 'nope.csv'],
    message: `Simulation failed: generating requests: open ${join(dir, 'nope.csv')}: no such file or directory`,
  },

  // Fitness weights are checked before the run (nothing is printed).
  {
    name: 'unknown fitness key',
    argv: [...MODEL, '--num-requests', '2', '--fitness-weights', 'speed:1'],
    message:
      'Fitness evaluation failed: unknown fitness metric key "speed"; valid keys: mean_e2e, mean_ttft, p50_e2e, p50_ttft, p99_e2e, p99_ttft, throughput, tokens_per_sec',
  },
];

const runInProcess = (argv: readonly string[]) => runCliCaptured(['run', ...argv], dir);

describe('bad input is rejected with one clear line and exit status 1', () => {
  it('has a corpus of at least 25 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(25));

  for (const c of CASES) {
    it(c.name, async () => {
      const outcome = await runInProcess(c.argv);
      expect(outcome.stderr.endsWith('\n')).toBe(true);
      const lines = outcome.stderr.slice(0, -1).split('\n');
      expect(lines).toHaveLength(1);
      if (typeof c.message === 'string') expect(lines[0]).toBe(c.message);
      else expect(lines[0]).toMatch(c.message);
      expect(outcome.exitCode).toBe(1);
      expect(outcome.stdout).toBe('');
    });
  }
});

describe('failure mapping', () => {
  it('maps unexpected exceptions to one "internal error" line and exit status 70', () => {
    const failure = describeFailure(new TypeError('x is undefined\n  with detail'));
    expect(failure).toEqual({ exitCode: INTERNAL_ERROR_EXIT_CODE, stderr: 'servesim: internal error: x is undefined with detail\n' });
  });

  it('adds the stack only with SERVESIM_DEBUG=1', () => {
    const failure = describeFailure(new TypeError('boom'), { SERVESIM_DEBUG: '1' });
    expect(failure.stderr).toMatch(/^servesim: internal error: boom\nTypeError: boom\n\s+at /);
  });

  it('keeps the exit status of a ServesimError (e.g. 2 for the reference-crash cases)', () => {
    expect(describeFailure(new ServesimError('crash', 2))).toEqual({ exitCode: 2, stderr: 'crash\n' });
  });
});

describe('bin/servesim shows no stack traces', () => {
  const bin = join(REPO_ROOT, 'bin', 'servesim');
  const spawned: Array<[string, string[], string | RegExp]> = [
    ['unknown flag', ['run', ...MODEL, '--modle', 'x'], 'unknown flag: --modle (did you mean --model?)'],
    ['missing --model', ['run'], 'LLM name not provided. Exiting simulation.'],
    ['bad workload YAML', ['run', ...MODEL, '--workload-spec', FILES.badDistribution], /^Invalid workload spec: client\[0\]/],
  ];
  for (const [name, argv, message] of spawned) {
    it(name, () => {
      expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
      const child = spawnSync(bin, argv, { cwd: dir, encoding: 'utf8', env: { ...process.env, SERVESIM_DEBUG: '' } });
      expect(child.status).toBe(1);
      expect(child.stdout).toBe('');
      const lines = child.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      if (typeof message === 'string') expect(lines[0]).toBe(message);
      else expect(lines[0]).toMatch(message);
    });
  }

  // `servesim --help | head -1`: the reader is gone before servesim writes. Exit 0, nothing on stderr (Node's
  // default for EPIPE is an unhandled 'error' event with a stack trace and exit 1).
  for (const argv of [['--help'], ['run', '--help'], ['run', ...MODEL, '--num-requests', '20']]) {
    it(`a closed stdout ends quietly: servesim ${argv.join(' ')}`, async () => {
      const child = spawn(bin, argv, { cwd: join(REPO_ROOT, 'test', 'fixtures', 'golden'), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      expect(stderr).toBe('');
      expect(status).toBe(0);
    });
  }

  it('unknown subcommand', () => {
    const child = spawnSync(bin, ['simulate'], { cwd: dir, encoding: 'utf8' });
    expect(child.status).toBe(1);
    expect(child.stderr).toMatch(/unknown command 'simulate'/);
    expect(child.stderr).not.toMatch(/\n\s+at /);
  });
});
