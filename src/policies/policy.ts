// The policy interface shared by built-in policies and user plugins: one module per policy, on one of six axes,
// naming itself, declaring its parameters and creating per-run instances. Everything a policy is handed is a
// read-only view; the engine keeps its own state and invariants. See docs/writing-a-policy.md.

import type { ParamTable, ParamValues } from './params.js';

export const AXES = ['admission', 'routing', 'scorer', 'priority', 'scheduler', 'preemption'] as const;
export type Axis = (typeof AXES)[number];

/** What a policy may read of a request. */
export interface RequestView {
  /** `request_<k>`. */
  readonly id: string;
  /** Dense index in the run's request list (stable for the whole run): a key for per-request side tables. */
  readonly index: number;
  /** SLO class as written in the workload ('' when none); see `sloTier` for the built-in grouping. */
  readonly sloClass: string;
  /** Arrival time, µs. */
  readonly arrivalTime: number;
  /** Prompt and output lengths in tokens. */
  readonly inputLength: number;
  readonly outputLength: number;
  /**
   * The token ids. A run whose policies are all built in may empty them while the request waits in an instance
   * queue; a run with a plugin policy never does, so plugins always see them.
   */
  readonly inputTokens: ArrayLike<number>;
  readonly outputTokens: ArrayLike<number>;
  /** Tokens processed so far (prompt first, then output). */
  readonly progressIndex: number;
  /** Last priority the instance's priority policy gave it. */
  readonly priority: number;
}

/** Per-instance snapshots the router sees (KV utilisation may be stale with --snapshot-refresh-interval). */
export interface ClusterView {
  readonly numInstances: number;
  readonly instanceIds: readonly string[];
  /** Cluster clock at the decision, µs. */
  readonly clock: number;
  readonly queueDepth: ArrayLike<number>;
  readonly batchSize: ArrayLike<number>;
  /** Routed but not yet enqueued. */
  readonly pendingRequests: ArrayLike<number>;
  /** Used / total GPU KV blocks. */
  readonly kvUtilization: ArrayLike<number>;
}

/** The run's latency model, to predict step times (µs). */
export interface LatencyView {
  /** Step time of a batch with `prefillTokens` new prompt tokens and `decodeTokens` decoding requests. */
  predictStepTime(prefillTokens: number, decodeTokens: number): number;
  /** Delay between an instance receiving a request and queueing it. */
  queueingTime(inputLength: number): number;
  /** Output-token processing time added to TTFT and every inter-token latency. */
  readonly outputTokenProcessingTime: number;
}

/** What every policy gets at creation. */
export interface PolicyContext {
  readonly numInstances: number;
  /** Tokens per KV block. */
  readonly blockSize: number;
  readonly latency: LatencyView;
}

export interface ScorerContext extends PolicyContext {
  /** Identities of the prompt's block-aligned prefixes (one per full block); only equality matters. */
  prefixIds(req: RequestView): ArrayLike<number>;
  /** Identity of the whole block-aligned prompt. */
  affinityKey(req: RequestView): number;
  /** Live number of the prompt's leading blocks cached on instance `instance` (a pure query). */
  cachedPrefixBlocks(req: RequestView, instance: number): number;
  /**
   * For built-in policies that keep identities beyond the call that produced them: `provider` reports them by
   * calling `mark(id)` for each, so that a long run can forget the identities nobody keeps and reuse their numbers.
   * Runs with a plugin routing policy or scorer never forget identities (they may keep some unreported).
   */
  retainIds?(provider: (mark: (id: number) => void) => void): void;
}

export interface WeightedScorer {
  readonly name: string;
  /** Normalised: the weights of a run sum to 1. */
  readonly weight: number;
  readonly scorer: Scorer;
}

export interface RoutingContext extends ScorerContext {
  /** The configured scorers, created for this run; empty unless the policy `composesScorers`. */
  readonly scorers: readonly WeightedScorer[];
}

export interface PriorityContext extends PolicyContext {
  /** Index of the instance this priority policy serves (one policy object per instance). */
  readonly instance: number;
}

export interface SchedulerContext extends PolicyContext {
  /** Rank of each request ID in byte-wise string order, by request index: the reference's final tie-break. */
  idRank(): Int32Array;
}

export interface AdmissionPolicy {
  /** True = admit. */
  admit(req: RequestView, cluster: ClusterView): boolean;
  /** Capability: `admit` never reads `cluster` (the engine then skips refreshing it). */
  readonly ignoresState?: boolean;
}

export interface RoutingPolicy {
  /** The target instance index. */
  route(req: RequestView, cluster: ClusterView): number;
  /** Per-instance composite scores of the last decision for the decision trace, or null. */
  readonly lastScores: Float64Array | null;
}

export interface Scorer {
  /** Writes one score per instance into `out`; the pipeline clamps it to [0, 1]. */
  score(req: RequestView, cluster: ClusterView, out: Float64Array): void;
  /** Called once per routing decision with the chosen instance (stateful scorers only). */
  observe?(req: RequestView, target: number): void;
}

export interface PriorityPolicy {
  /** Priority of a queued request at step time `now` (µs); higher is served first by priority schedulers. */
  compute(req: RequestView, now: number): number;
  /** Wait-queue length at the start of each step, before batch formation. */
  observeQueueLength?(length: number): void;
  /** Capability: compute() is identically 0 (the instance skips the per-step pass; no inversions are counted). */
  readonly alwaysZero?: boolean;
}

export interface Scheduler {
  /** Wait-queue order (stable sort at every step); null keeps enqueue order without sorting. */
  readonly compare: ((a: RequestView, b: RequestView) => number) | null;
}

export interface PreemptionPolicy {
  /** Index in `running[0..count)` of the request to evict when KV blocks run out (count ≥ 1). */
  victim(running: ArrayLike<RequestView>, count: number): number;
}

interface ModuleBase<A extends Axis, P extends ParamTable> {
  readonly axis: A;
  /** Unique on its axis; selected with the axis' flag (e.g. --priority-policy NAME). */
  readonly name: string;
  /** One line for `servesim plugins` and `--help`. */
  readonly description?: string;
  readonly params: P;
  /** Relations between parameters (e.g. low ≤ high): a message naming the flags when violated. */
  check?(params: ParamValues<P>): string | undefined;
}

export interface AdmissionModule<P extends ParamTable = ParamTable> extends ModuleBase<'admission', P> {
  create(params: ParamValues<P>, ctx: PolicyContext): AdmissionPolicy;
}
export interface RoutingModule<P extends ParamTable = ParamTable> extends ModuleBase<'routing', P> {
  /** Capability: the policy combines the --routing-scorers pipeline (and carries the SLO priority bridge). */
  readonly composesScorers?: boolean;
  create(params: ParamValues<P>, ctx: RoutingContext): RoutingPolicy;
}
export interface ScorerModule<P extends ParamTable = ParamTable> extends ModuleBase<'scorer', P> {
  create(params: ParamValues<P>, ctx: ScorerContext): Scorer;
}
export interface PriorityModule<P extends ParamTable = ParamTable> extends ModuleBase<'priority', P> {
  create(params: ParamValues<P>, ctx: PriorityContext): PriorityPolicy;
}
export interface SchedulerModule<P extends ParamTable = ParamTable> extends ModuleBase<'scheduler', P> {
  create(params: ParamValues<P>, ctx: SchedulerContext): Scheduler;
}
export interface PreemptionModule<P extends ParamTable = ParamTable> extends ModuleBase<'preemption', P> {
  create(params: ParamValues<P>, ctx: PolicyContext): PreemptionPolicy;
}

export interface ModuleByAxis {
  admission: AdmissionModule;
  routing: RoutingModule;
  scorer: ScorerModule;
  priority: PriorityModule;
  scheduler: SchedulerModule;
  preemption: PreemptionModule;
}
export type PolicyModule = ModuleByAxis[Axis];

/** Identity helpers that infer the parameter types for `create` (plugins may use plain objects instead). */
export function definePolicy<P extends ParamTable>(m: AdmissionModule<P>): AdmissionModule<P>;
export function definePolicy<P extends ParamTable>(m: RoutingModule<P>): RoutingModule<P>;
export function definePolicy<P extends ParamTable>(m: ScorerModule<P>): ScorerModule<P>;
export function definePolicy<P extends ParamTable>(m: PriorityModule<P>): PriorityModule<P>;
export function definePolicy<P extends ParamTable>(m: SchedulerModule<P>): SchedulerModule<P>;
export function definePolicy<P extends ParamTable>(m: PreemptionModule<P>): PreemptionModule<P>;
export function definePolicy(m: PolicyModule): PolicyModule {
  return m;
}

/** How error messages and listings name each axis, and the flag that selects a policy on it. */
export const AXIS_INFO: Readonly<Record<Axis, { label: string; selectFlag: string; defaultName: string }>> = {
  admission: { label: 'admission policy', selectFlag: 'admission-policy', defaultName: 'always-admit' },
  routing: { label: 'routing policy', selectFlag: 'routing-policy', defaultName: 'round-robin' },
  scorer: { label: 'scorer', selectFlag: 'routing-scorers', defaultName: '' },
  priority: { label: 'priority policy', selectFlag: 'priority-policy', defaultName: 'constant' },
  scheduler: { label: 'scheduler', selectFlag: 'scheduler', defaultName: 'fcfs' },
  preemption: { label: 'preemption policy', selectFlag: 'preemption-policy', defaultName: 'batch-tail' },
};
