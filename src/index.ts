// Public library API: `import { simulate, resolveRunConfig, minimize } from 'servesim'`.
// The strategy lab (SQLite store, worker pool) lives behind `servesim/lab` so that simulation-only users do not
// load native modules.

// Simulation
export { simulate, type SimulateOptions } from './cluster/simulate.js';
export type { StepObservation } from './instance/instance.js';
export {
  resolveRunConfig,
  resolveRunArgs,
  catalogForArgv,
  RunConfigCache,
  type ResolvedRunConfig,
  type ResolveRunOptions,
  type RunOutputOptions,
  type Diagnostic,
} from './config/resolve-run.js';

// Output
export { renderRunOutput, type RenderOptions } from './metrics/output.js';
export { writeResultsFile, resultsFileJson } from './metrics/results-file.js';
export { formatFixed, formatJsonFloat } from './go/fmt.js';

// Policies: the catalog of built-ins, the interface plugins implement, and plugin loading
export * from './policies/index.js';
export { loadPlugin, catalogWithPlugins, type LoadedPlugin } from './plugins/load.js';
export { defaultSimConfig } from './config/defaults.js';

// Workload generation and the Go-compatible RNG
export * from './workload/index.js';
export { GoRand, fnv1a64, deriveStreamSeed } from './rng/index.js';

// Bayesian optimisation
export {
  minimize,
  Optimizer,
  ParetoOptimizer,
  paretoMinimize,
  hypervolume,
  nonDominatedIndices,
  nonDominatedSort,
  SearchSpace,
  pointToRecord,
  recordToPoint,
  type MinimizeOptions,
  type OptimizerOptions,
  type OptimizeResult,
  type ParetoOptimizerOptions,
  type ParetoPoint,
  type Dimension,
  type Point,
} from './optimize/index.js';

export { ServesimError } from './errors.js';
export { SIMULATOR_VERSION, PACKAGE_VERSION } from './version.js';
export type * from './types.js';
