// Workload spec v2 (docs/spec-notes.md, Spec v2 schema) as plain immutable-by-convention data. Field names are the
// YAML keys in camelCase; absent optional sections are `undefined`, absent scalars take Go's zero values.

/** A length distribution (Distribution in docs/spec-notes.md, Spec v2 schema). */
export interface DistSpec {
  /** gaussian | exponential | pareto_lognormal | empirical | constant ('' = unset). */
  type: string;
  /** Parameters by name, in document order (for `empirical` the names are token counts). */
  params: Readonly<Record<string, number>>;
  /** Accepted for `empirical` but never read (the reference requires inline params in practice). */
  file: string;
}

export interface ArrivalSpec {
  /** poisson | gamma | weibull | constant */
  process: string;
  cv?: number;
}

export interface LifecycleWindow {
  startUs: number;
  endUs: number;
}

export interface MultiTurnSpec {
  maxRounds: number;
  thinkTimeUs: number;
  /** "accumulate" appends each round's input and output to the next round's input; anything else does not. */
  contextGrowth: string;
}

export interface ReasoningSpec {
  reasonRatioDistribution: DistSpec;
  multiTurn?: MultiTurnSpec;
}

export interface MultimodalSpec {
  textDistribution: DistSpec;
  imageDistribution: DistSpec;
  imageCountDistribution: DistSpec;
  audioDistribution: DistSpec;
  audioCountDistribution: DistSpec;
  videoDistribution: DistSpec;
  videoCountDistribution: DistSpec;
}

export interface NetworkSpec {
  rttMs: number;
  bandwidthMbps: number;
}

export interface ClientSpec {
  id: string;
  tenantId: string;
  sloClass: string;
  model: string;
  rateFraction: number;
  arrival: ArrivalSpec;
  inputDistribution: DistSpec;
  outputDistribution: DistSpec;
  prefixGroup: string;
  /** 0 means "use the default of 50" when the client starts a prefix group. */
  prefixLength: number;
  streaming: boolean;
  network?: NetworkSpec;
  lifecycle?: { windows: LifecycleWindow[] };
  multimodal?: MultimodalSpec;
  reasoning?: ReasoningSpec;
}

export interface ServegenDataSpec {
  path: string;
  spanStart: number;
  spanEnd: number;
}

export interface InferencePerfStage {
  /** requests per second */
  rate: number;
  /** seconds */
  duration: number;
}

export interface InferencePerfSharedPrefix {
  numUniqueSystemPrompts: number;
  numUsersPerSystemPrompt: number;
  systemPromptLen: number;
  questionLen: number;
  outputLen: number;
  enableMultiTurnChat: boolean;
}

export interface InferencePerfSpec {
  stages: InferencePerfStage[];
  sharedPrefix?: InferencePerfSharedPrefix;
}

export interface WorkloadSpec {
  version: string;
  /** int64 */
  seed: bigint;
  category: string;
  clients: ClientSpec[];
  /** requests per second across all clients */
  aggregateRate: number;
  /** ticks; 0 = not set */
  horizon: number;
  /** 0 = unlimited */
  numRequests: number;
  servegenData?: ServegenDataSpec;
  inferencePerf?: InferencePerfSpec;
}

export const VALID_CATEGORIES: readonly string[] = ['', 'language', 'multimodal', 'reasoning'];
export const VALID_SLO_CLASSES: readonly string[] = ['', 'critical', 'standard', 'sheddable', 'batch', 'background'];
export const VALID_ARRIVAL_PROCESSES: readonly string[] = ['poisson', 'gamma', 'weibull', 'constant'];
export const VALID_DISTRIBUTION_TYPES: readonly string[] = [
  'gaussian',
  'exponential',
  'pareto_lognormal',
  'empirical',
  'constant',
];

export function emptyDist(): DistSpec {
  return { type: '', params: {}, file: '' };
}
