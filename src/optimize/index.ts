// Gaussian-process Bayesian optimisation for the strategy lab (a TypeScript counterpart of
// scikit-optimize's gp_minimize and Optimizer).

export { minimize, type IterationInfo, type MinimizeOptions, type Objective } from './minimize.js';
export {
  Optimizer,
  type OptimizeResult,
  type OptimizerOptions,
  type Proposal,
  type ProposalSource,
} from './optimizer.js';
export {
  SearchSpace,
  pointToRecord,
  recordToPoint,
  type CategoricalDimension,
  type CategoryValue,
  type Dimension,
  type IntegerDimension,
  type Point,
  type PointValue,
  type Prior,
  type RealDimension,
} from './space.js';
export {
  GaussianProcess,
  HYPERPARAMETER_BOUNDS,
  type GpFitOptions,
  type GpHyperparameters,
  type GpModelSummary,
  type OutputNormalization,
  type Prediction,
} from './gp.js';
export {
  expectedImprovement,
  lowerConfidenceBound,
  probabilityOfImprovement,
  normalCdf,
  normalPdf,
  HEDGE_PORTFOLIO,
  type AcquisitionFunction,
  type AcquisitionName,
} from './acquisition.js';
export { matern52 } from './kernel.js';
export { Rng } from './random.js';
export {
  BENCHMARK_PROBLEMS,
  branin,
  hartmann6,
  median,
  randomSearch,
  runOptimizerBenchmark,
  type BenchmarkProblem,
  type BenchmarkRow,
} from './bench-functions.js';
export { dominates, hypervolume, nonDominatedIndices, nonDominatedSort, type ObjectiveVector } from './pareto.js';
export { HypervolumeBoxes } from './ehvi.js';
export { ParetoOptimizer, paretoMinimize, type ParetoOptimizerOptions, type ParetoPoint } from './pareto-optimizer.js';
export {
  CONSTRAINED_PROBLEMS,
  GARDNER_NARROW,
  GARDNER_TOY,
  constrainedSummary,
  MULTI_OBJECTIVE_PROBLEMS,
  dtlz2,
  nsga2,
  randomSearchMulti,
  runConstrained,
  runMultiObjective,
  zdt1,
  zdt2,
  type ConstrainedBenchmarkRun,
  type ConstrainedProblem,
  type MultiObjectiveBenchmarkRun,
  type MultiObjectiveProblem,
  type Nsga2Options,
} from './moo-bench.js';
