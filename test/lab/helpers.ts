// Shared fixtures for the strategy-lab tests: synthetic results, a cheap injected evaluator, temp strategy files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsBlock, SimResult } from '../../src/types.js';
import type { EvalTask, EvalOutcome } from '../../src/lab/pool.js';
import type { MetricValues } from '../../src/lab/metrics.js';
import { StrategyEvaluator } from '../../src/lab/evaluate.js';
import { inProcessPool } from '../../src/lab/pool.js';
import { TrialStore } from '../../src/lab/store.js';
import { loadStrategy } from '../../src/lab/strategy.js';

export function metricsBlock(overrides: Partial<MetricsBlock> = {}): MetricsBlock {
  return {
    instance_id: 'cluster',
    completed_requests: 1000,
    still_queued: 0,
    still_running: 0,
    injected_requests: 1000,
    total_input_tokens: 772728,
    total_output_tokens: 129089,
    vllm_estimated_duration_s: 6.76,
    responses_per_sec: 147.9,
    tokens_per_sec: 19094.9,
    e2e_mean_ms: 1537.6,
    e2e_p90_ms: 3009.1,
    e2e_p95_ms: 3558.5,
    e2e_p99_ms: 5431.4,
    ttft_mean_ms: 127.2,
    ttft_p90_ms: 272.5,
    ttft_p95_ms: 328.4,
    ttft_p99_ms: 363.9,
    itl_mean_ms: 10.8,
    itl_p90_ms: 9.03,
    itl_p95_ms: 43.3,
    itl_p99_ms: 44.1,
    scheduling_delay_p99_ms: 316.6,
    kv_allocation_failures: 0,
    preemption_count: 3,
    dropped_unservable: 1,
    ...overrides,
  };
}

export function syntheticResult(perSlo: SimResult['perSlo']): SimResult {
  return {
    instances: [],
    cluster: metricsBlock(),
    perSlo,
    anomalies: { priorityInversions: 6617, holBlockingEvents: 0, rejectedRequests: 168, droppedUnservable: 1 },
    kv: { preemptionRate: 0.003, cacheHitRate: 0.5582, thrashingRate: 0 },
    raw: {
      simEndedTicks: 6_760_388,
      completed: 1000,
      totalOutputTokens: 129089,
      ttftTicks: new Float64Array(),
      e2eTicks: new Float64Array(),
    },
    requests: [],
    counters: { generated: 1168, rejected: 168, inFlight: 0, notArrived: 0 },
  };
}

/** Value of `flag` in argv (`--flag value` or `--flag=value`). */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  argv.forEach((t, i) => {
    if (t === flag) value = argv[i + 1];
    else if (t.startsWith(`${flag}=`)) value = t.slice(flag.length + 1);
  });
  return value;
}

/**
 * A deterministic stand-in for the simulator: metrics are a smooth function of three flags plus a seed effect.
 * Minimum of critical TTFT near --slo-base-critical 12, --max-num-scheduled-tokens 1000, scorers "b".
 */
export function fakeMetrics(argv: readonly string[]): MetricValues {
  const base = Number(flagValue(argv, '--slo-base-critical') ?? 10);
  const tokens = Number(flagValue(argv, '--max-num-scheduled-tokens') ?? 2048);
  const scorers = flagValue(argv, '--routing-scorers') ?? 'a';
  const seed = Number(flagValue(argv, '--seed') ?? 42);
  const crit = 70 + (base - 12) ** 2 + ((tokens - 1000) / 300) ** 2 + (scorers === 'b' ? 0 : 5) + (seed % 3);
  return {
    critical_ttft_p99_ms: crit,
    standard_ttft_p99_ms: 2 * crit,
    sheddable_ttft_p99_ms: 4 * crit + (seed % 5) * 20,
    ttft_p99_ms: 3 * crit,
    throughput_tps: 17000 - (2048 - tokens) + (seed % 4) * 100,
    dropped: 0,
    rejected: 0,
    injected: 1000,
  };
}

export interface CountingEvaluator {
  evaluate: (task: EvalTask) => Promise<EvalOutcome>;
  calls: string[][];
}

/** fakeMetrics behind an async boundary with a pseudo-random delay, so completion order varies with concurrency. */
export function countingEvaluator(options: { delays?: boolean; failAfter?: number } = {}): CountingEvaluator {
  const calls: string[][] = [];
  return {
    calls,
    async evaluate(task) {
      if (options.failAfter !== undefined && calls.length >= options.failAfter) throw new Error('simulated kill');
      calls.push(task.argv);
      if (options.delays) {
        const jitter = (calls.length * 7919) % 5;
        await new Promise((r) => setTimeout(r, jitter));
      }
      return { metrics: fakeMetrics(task.argv), wallMs: 1 };
    },
  };
}

export function tempDir(prefix = 'servesim-lab-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a strategy YAML and a tiny workload file next to it; returns the strategy path. */
export function writeStrategy(dir: string, yaml: string, name = 'strategy.yaml'): string {
  writeFileSync(join(dir, 'workload.yaml'), 'version: "2"\nnum_requests: 10\n');
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

export const THREE_PARAM_STRATEGY = `
name: toy
description: three searched flags against a synthetic evaluator
workload_spec: workload.yaml
seeds: 42,43,44
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --num-instances 8
  - --slo-prefill
parameters:
  - {name: base_critical, flag: --slo-base-critical, type: real, low: 5, high: 20, default: 10}
  - {name: max_tokens, flag: --max-num-scheduled-tokens, type: integer, low: 768, high: 4096, default: 2048}
  - {name: scorers, flag: --routing-scorers, type: categorical, categories: [a, b], default: a}
derived:
  - {flag: --slo-prefill-sheddable, when: {param: scorers, equals: a}, then: 0, else: 256}
objective: {metric: critical_ttft_p99_ms, direction: minimize}
constraints:
  - {metric: sheddable_ttft_p99_ms, direction: at_most, threshold: 400, weight: 2}
  - {metric: throughput_tps, direction: at_least, threshold: 15000, weight: 0.01}
`;

/** A strategy file in a fresh directory, evaluated by a counting synthetic evaluator behind a trial store there. */
export function labSetup(yaml: string, jobs: number, options: Parameters<typeof countingEvaluator>[0] = {}, storeFile?: string) {
  const dir = tempDir();
  const strategy = loadStrategy(writeStrategy(dir, yaml));
  const fake = countingEvaluator(options);
  const store = TrialStore.open(storeFile ?? join(dir, 'trials.sqlite'));
  const evaluator = new StrategyEvaluator({ pool: inProcessPool(fake.evaluate, jobs), store, simVersion: 'test' });
  return { dir, strategy, fake, store, evaluator };
}
