// Hard constraints (`requirements`), evaluated per seed and aggregated over seeds.
//
// A constraint `metric op target` compares a point's metric on seed s with the target on the SAME seed s: a fixed
// number, or another strategy's value on that seed (the reference runs on the same requests, so the comparison is
// paired and seed-to-seed load differences — e.g. baseline throughput 12.5k–22.2k tokens/s — cancel out).
//
// Per seed, with tol_s the tolerance (a fraction × |target_s|, or absolute):
//   metric <= target:  slack_s = value_s − (target_s + tol_s)
//   metric >= target:  slack_s = (target_s − tol_s) − value_s
//   metric == target:  slack_s = |value_s − target_s| − tol_s
// The constraint's value is the MEAN over seeds of slack_s, and the point is feasible iff that mean is ≤ 0, i.e. the
// point is no worse than the target on the paired mean (for `==` with tolerance 0 every seed must match exactly).
// The optimiser models the mean slack divided by the mean |target_s| (a unitless, comparably scaled output; the sign,
// hence feasibility, is unchanged) with its own GP, for the probability of feasibility.
import { ServesimError } from '../errors.js';
import type { MetricValues } from './metrics.js';
import { metricValue } from './objective.js';
import type { Objective, Requirement } from './strategy.js';

export interface RequirementOutcome {
  text: string;
  /** slack_s per seed, in the metric's unit (≤ 0: satisfied on that seed). */
  perSeedSlack: number[];
  meanSlack: number;
  /** meanSlack / mean |target_s| (or meanSlack when the targets are all 0): what the optimiser models. */
  scaledSlack: number;
  feasible: boolean;
}

/**
 * Evaluates one requirement on the point's per-seed metrics. `targetPerSeed` holds the target strategy's metrics on
 * the same seeds, in the same order (unused for a fixed number).
 */
export function evaluateRequirement(
  requirement: Requirement,
  point: ReadonlyArray<{ seed: number; metrics: MetricValues }>,
  targetPerSeed?: ReadonlyArray<{ seed: number; metrics: MetricValues }>,
): RequirementOutcome {
  if (point.length === 0) throw new ServesimError(`constraint ${requirement.text}: no seeds to evaluate`);
  if (requirement.target.kind === 'strategy') {
    if (!targetPerSeed || targetPerSeed.length !== point.length || targetPerSeed.some((t, i) => t.seed !== point[i]!.seed)) {
      throw new Error(`constraint ${requirement.text}: the reference must be evaluated on the same seeds as the point`);
    }
  }
  const perSeedSlack: number[] = [];
  let targetSum = 0;
  point.forEach(({ seed, metrics }, i) => {
    const value = metricValue(metrics, requirement.metric, seed, `constraint "${requirement.text}":`);
    const target =
      requirement.target.kind === 'value'
        ? requirement.target.value
        : metricValue(targetPerSeed![i]!.metrics, requirement.metric, seed, `constraint "${requirement.text}": reference`);
    const tol = requirement.tolerance.kind === 'relative' ? requirement.tolerance.fraction * Math.abs(target) : requirement.tolerance.value;
    targetSum += Math.abs(target);
    perSeedSlack.push(
      requirement.op === '<=' ? value - (target + tol) : requirement.op === '>=' ? target - tol - value : Math.abs(value - target) - tol,
    );
  });
  let sum = 0;
  for (const s of perSeedSlack) sum += s;
  const meanSlack = sum / perSeedSlack.length;
  const scale = targetSum / perSeedSlack.length;
  return { text: requirement.text, perSeedSlack, meanSlack, scaledSlack: scale > 0 ? meanSlack / scale : meanSlack, feasible: meanSlack <= 0 };
}

/** How much better `--must-dominate`'s first objective must be, as a fraction of the reference's per-seed value. */
export const MUST_DOMINATE_MARGIN = 0.01;

/**
 * `--must-dominate X`: every objective no worse than X on the paired per-seed mean, and the first one better by at
 * least MUST_DOMINATE_MARGIN (1 %) of X's value — "strictly better" as a margin, since an infinitesimal improvement
 * of a noisy metric means nothing.
 */
export function mustDominateRequirements(objectives: readonly Objective[], file: string): Requirement[] {
  const name = file.split('/').pop()!;
  return objectives.map((o, i) => {
    const op = o.direction === 'minimize' ? '<=' : '>=';
    const margin = i === 0;
    return {
      text: `${o.metric} ${op} ${name}${margin ? ` (at least ${MUST_DOMINATE_MARGIN * 100}% better)` : ''}`,
      metric: o.metric,
      op,
      target: { kind: 'strategy', file },
      tolerance: margin ? { kind: 'relative', fraction: -MUST_DOMINATE_MARGIN } : { kind: 'absolute', value: 0 },
    } satisfies Requirement;
  });
}

/** Every distinct strategy file the requirements compare with, in first-use order. */
export function requirementTargets(requirements: readonly Requirement[]): string[] {
  const files: string[] = [];
  for (const r of requirements) if (r.target.kind === 'strategy' && !files.includes(r.target.file)) files.push(r.target.file);
  return files;
}
