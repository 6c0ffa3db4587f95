// Builds SimConfig objects directly (no CLI) with the reference defaults for llama-3.1-8b on H100/TP2.
import { readFileSync } from 'node:fs';
import type { GeneratedRequest, PolicyConfig, SimConfig } from '../../src/types.js';

export const LLAMA_H100_TP2 = {
  alpha: [1601.350510688092, 3.512476196805965, 1805.5430360826988],
  beta: [6910.420479880494, 17.67057489844186, 2.8377471109943855],
  totalKvBlocks: 132139,
};

/** The `run` flag defaults of the priority policies (cli.md §1). */
export const DEFAULT_PRIORITY: PolicyConfig['priority'] = {
  policy: 'constant',
  sloBaseCritical: 10,
  sloBaseStandard: 5,
  sloBaseSheddable: 1,
  sloAgeWeight: 1e-5,
  sloThresholdStandard: 100000,
  sloThresholdSheddable: 200000,
  loadAdaptiveLow: 2,
  loadAdaptiveHigh: 15,
};

export type ConfigOverrides = {
  [K in keyof SimConfig]?: SimConfig[K] extends object ? Partial<SimConfig[K]> : SimConfig[K];
} & { policies?: Partial<SimConfig['policies']> };

export function makeRequest(
  k: number,
  arrivalTime: number,
  input: number[] | number,
  output: number[] | number,
  extra: Partial<GeneratedRequest> = {},
): GeneratedRequest {
  const tokens = (spec: number[] | number, base: number): Int32Array =>
    typeof spec === 'number' ? Int32Array.from({ length: spec }, (_, i) => base + i) : Int32Array.from(spec);
  return {
    id: `request_${k}`,
    arrivalTime,
    inputTokens: tokens(input, 1),
    outputTokens: tokens(output, 50000),
    sloClass: '',
    tenantId: '',
    model: '',
    streaming: false,
    sessionId: '',
    roundIndex: 0,
    ...extra,
  };
}

export function makeConfig(requests: GeneratedRequest[], overrides: ConfigOverrides = {}): SimConfig {
  const base: SimConfig = {
    numInstances: 1,
    horizon: Infinity,
    latency: { kind: 'blackbox', alpha: LLAMA_H100_TP2.alpha, beta: LLAMA_H100_TP2.beta },
    engine: {
      totalKvBlocks: LLAMA_H100_TP2.totalKvBlocks,
      blockSize: 16,
      maxRunningReqs: 256,
      maxScheduledTokens: 2048,
      longPrefillTokenThreshold: 0,
      kvCpuBlocks: 0,
      kvOffloadThreshold: 0.9,
      kvTransferBandwidth: 100,
      kvTransferBaseLatency: 0,
    },
    policies: {
      admission: { policy: 'always-admit', tokenBucketCapacity: 10000, tokenBucketRefillRate: 1000, sloGatedThreshold: 8 },
      admissionLatency: 0,
      routingLatency: 0,
      routing: {
        policy: 'round-robin',
        scorers: [],
        snapshotRefreshInterval: 0,
        sloScorerBiasCritical: 0.9,
        sloScorerBiasSheddable: 0.2,
        sloPriorityBridge: false,
      },
      scheduler: 'fcfs',
      priority: DEFAULT_PRIORITY,
      sloPrefill: { enabled: false, critical: 128, sheddable: 0 },
      sloPreemption: false,
    },
    trace: { level: 'none', counterfactualK: 0 },
    requests,
  };
  const policies = { ...base.policies, ...(overrides.policies ?? {}) } as SimConfig['policies'];
  return {
    ...base,
    ...overrides,
    latency: (overrides.latency as SimConfig['latency'] | undefined) ?? base.latency,
    engine: { ...base.engine, ...(overrides.engine ?? {}) },
    policies,
    trace: { ...base.trace, ...(overrides.trace ?? {}) },
    requests,
  } as SimConfig;
}

/** Minimal CSV trace reader (workload.md §10) for the tiny golden traces. */
export function readTraceCsv(path: string): GeneratedRequest[] {
  const lines = readFileSync(path, 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
  return lines.map((line, k) => {
    const match = /^([^,]*),([^,]*),([^,]*),"(\[[^\]]*\])","(\[[^\]]*\])"/.exec(line);
    if (!match) throw new Error(`bad trace line: ${line}`);
    const arrival = Math.trunc(Number(match[1]) * 1e6);
    return makeRequest(k, arrival, JSON.parse(match[4]) as number[], JSON.parse(match[5]) as number[]);
  });
}

export const GOLDEN_DIR = new URL('../fixtures/golden/', import.meta.url).pathname;
