// Scoring a strategy point: objective plus constraint penalties, per seed, then the mean over seeds.
//
// Default (`penalties: per_seed`): each seed's score is ±objective + Σ weight × violation, and the point's score is
// the mean over seeds. The seed's iteration-8 script applied the penalties to the means over seeds instead
// (`penalties: on_means`). Both agree whenever a constraint is satisfied on every seed or violated on every seed; when
// it is violated on some seeds only, per-seed scoring penalises more (mean of hinges ≥ hinge of the mean), i.e. it
// prefers points that are safe on every seed. Example: at the seed's iteration-8 optimum the sheddable TTFT P99 is
// 577 / 629 / 591 ms (mean 599 < 600), so on_means scores 70.78 and per_seed 70.78 + 2 × 29.3 / 3 = 90.35.
import { ServesimError } from '../errors.js';
import { explainMissingMetric, type MetricValues } from './metrics.js';
import type { Constraint, Objective } from './strategy.js';

export interface SeedScore {
  seed: number;
  /** The raw objective metric. */
  objectiveValue: number;
  /** Σ weight × violation over constraints. */
  penalty: number;
  /** The minimised quantity: ±objective + penalty (maximised objectives are negated). */
  score: number;
}

/** How far a value is on the wrong side of a constraint (0 when satisfied). */
export function constraintViolation(constraint: Constraint, value: number): number {
  return constraint.direction === 'at_most'
    ? Math.max(0, value - constraint.threshold)
    : Math.max(0, constraint.threshold - value);
}

/** A metric's value on one seed; a missing or NaN value is an error naming `role`, the metric, the seed and why. */
export function metricValue(metrics: MetricValues, metric: string, seed: number, role: string): number {
  const value = metrics[metric];
  if (value === undefined || Number.isNaN(value)) {
    const why = value === undefined ? `metric ${metric} was not produced` : explainMissingMetric(metric, metrics);
    throw new ServesimError(`${role} ${metric} is undefined for seed ${seed}: ${why}`);
  }
  return value;
}

export function scoreSeed(objective: Objective, constraints: readonly Constraint[], metrics: MetricValues, seed: number): SeedScore {
  const read = (metric: string, role: string): number => metricValue(metrics, metric, seed, role);
  const objectiveValue = read(objective.metric, 'objective');
  let penalty = 0;
  constraints.forEach((c, i) => {
    penalty += c.weight * constraintViolation(c, read(c.metric, `constraints[${i}]`));
  });
  const signed = objective.direction === 'minimize' ? objectiveValue : -objectiveValue;
  return { seed, objectiveValue, penalty, score: signed + penalty };
}

/** Mean of per-seed scores, in seed order (summation order fixed for reproducibility). */
export function aggregateScores(scores: readonly SeedScore[]): number {
  if (scores.length === 0) throw new ServesimError('no seeds to score');
  let sum = 0;
  for (const s of scores) sum += s.score;
  return sum / scores.length;
}

export type PenaltyMode = 'per_seed' | 'on_means';

export interface PointScore {
  /** The minimised value of the point. */
  score: number;
  /** Per-seed scores (always with per-seed penalties; shown to users either way). */
  perSeed: SeedScore[];
}

export function scorePoint(
  objective: Objective,
  constraints: readonly Constraint[],
  mode: PenaltyMode,
  evaluations: ReadonlyArray<{ seed: number; metrics: MetricValues }>,
): PointScore {
  const perSeed = evaluations.map((e) => scoreSeed(objective, constraints, e.metrics, e.seed));
  if (mode === 'per_seed') return { score: aggregateScores(perSeed), perSeed };
  const onMeans = scoreSeed(objective, constraints, meanMetrics(evaluations.map((e) => e.metrics)), NaN);
  return { score: onMeans.score, perSeed };
}

/** Mean of every metric over seeds (NaN if any seed lacks it). */
export function meanMetrics(perSeed: readonly MetricValues[]): MetricValues {
  const out: MetricValues = {};
  if (perSeed.length === 0) return out;
  for (const key of Object.keys(perSeed[0]!)) {
    let sum = 0;
    for (const m of perSeed) sum += m[key] ?? NaN;
    out[key] = sum / perSeed.length;
  }
  return out;
}
