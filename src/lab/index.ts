// The strategy lab as a library: strategies, metrics, evaluation with a trial store, optimisation, compare, ledger.
export {
  loadStrategy,
  parseStrategy,
  defaultParameterValues,
  type Strategy,
  type ParameterSpec,
  type ParamValues,
  type Objective,
  type Constraint,
} from './strategy.js';
export { extractMetrics, METRIC_NAMES, SLO_CLASSES, type MetricValues } from './metrics.js';
export { scoreSeed, scorePoint, constraintViolation, meanMetrics, type SeedScore, type PenaltyMode } from './objective.js';
export { parseSeeds, formatSeeds } from './seeds.js';
export { buildRunArgv, configHash } from './runargs.js';
export { StrategyEvaluator, type SeedEvaluation } from './evaluate.js';
export { TrialStore } from './store.js';
export { inProcessPool, workerPool, type EvaluationPool, type EvalTask, type EvalOutcome } from './pool.js';
export { optimizeStrategy } from './optimize-strategy.js';
export { gpOptimizerFactory, searchSpaceOf, type OptimizeSettings, type OptimizeResult, type RunSettingsRecord } from './optimize.js';
export { optimizeWithSeedRacing, PROMOTION_Z, type RacingResult, type RacingTuning } from './seed-racing.js';
export { compositeOptimizerFactory, optimizerFactoryFor, type Surrogate } from './composite.js';
export { exportTrial, listEvaluations, listRun, summarizeRun, type ExportedTrial, type RunListing, type RunSummary } from './trials.js';
export { compareStrategies, buildComparison, formatCompareTable, type CompareResult } from './compare.js';
export { loadLedger, parseLedger, runLedger, formatLedgerMarkdown, type LedgerReport } from './ledger.js';
export { pairedComparison, studentTQuantile } from './stats.js';
export { createSimulationRunner } from './backend.js';
export { labSubcommands } from './subcommands.js';
