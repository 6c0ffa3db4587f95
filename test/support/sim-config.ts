// Builds SimConfig objects directly (no CLI) from the `run` defaults (`defaultSimConfig`: llama-3.1-8b on its default
// GPU/TP from the shipped defaults file, every policy at its declared defaults), with per-test overrides.
import { readFileSync } from 'node:fs';
import { defaultSimConfig } from '../../src/config/defaults.js';
import type { GeneratedRequest, PolicyChoice, PolicyConfig, SimConfig } from '../../src/types.js';

/** The policy axes selected by a `PolicyChoice`. */
type ChoiceAxis = 'admission' | 'routing' | 'priority' | 'scheduler' | 'preemption';

/**
 * Overrides of `SimConfig.policies`: a policy is a `PolicyChoice` or just its name (declared parameter defaults);
 * `priorityBridge` and `sloPrefill` merge field by field.
 */
export type PolicyOverrides = Partial<Omit<PolicyConfig, ChoiceAxis | 'priorityBridge' | 'sloPrefill'>> & {
  [A in ChoiceAxis]?: PolicyChoice | string;
} & {
  priorityBridge?: Partial<PolicyConfig['priorityBridge']>;
  sloPrefill?: Partial<PolicyConfig['sloPrefill']>;
};

export type ConfigOverrides = {
  [K in Exclude<keyof SimConfig, 'policies'>]?: SimConfig[K] extends object ? Partial<SimConfig[K]> : SimConfig[K];
} & { policies?: PolicyOverrides };

let defaults: SimConfig | undefined;

/** The resolved `run` defaults (computed once; never mutated: makeConfig copies every object it changes). */
export function defaultConfig(): SimConfig {
  return (defaults ??= Object.freeze(defaultSimConfig([])));
}

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

function choice(value: PolicyChoice | string | undefined, base: PolicyChoice): PolicyChoice {
  if (value === undefined) return base;
  return typeof value === 'string' ? { name: value } : value;
}

function mergePolicies(base: PolicyConfig, overrides: PolicyOverrides = {}): PolicyConfig {
  return {
    ...base,
    ...overrides,
    admission: choice(overrides.admission, base.admission),
    routing: choice(overrides.routing, base.routing),
    priority: choice(overrides.priority, base.priority),
    scheduler: choice(overrides.scheduler, base.scheduler),
    preemption: choice(overrides.preemption, base.preemption),
    scorers: overrides.scorers ?? base.scorers,
    priorityBridge: { ...base.priorityBridge, ...(overrides.priorityBridge ?? {}) },
    sloPrefill: { ...base.sloPrefill, ...(overrides.sloPrefill ?? {}) },
  };
}

export function makeConfig(requests: GeneratedRequest[], overrides: ConfigOverrides = {}): SimConfig {
  const base = defaultConfig();
  return {
    ...base,
    ...overrides,
    latency: (overrides.latency as SimConfig['latency'] | undefined) ?? base.latency,
    engine: { ...base.engine, ...(overrides.engine ?? {}) },
    policies: mergePolicies(base.policies, overrides.policies),
    trace: { ...base.trace, ...(overrides.trace ?? {}) },
    requests,
  } as SimConfig;
}

/** Minimal CSV trace reader (docs/spec-notes.md, CSV traces) for the tiny golden traces. */
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
