// Held-out validation of `optimize`'s candidates: each candidate against each reference on seeds the search never
// saw, paired per seed, per objective, with a verdict.
//
// Per objective, Δ % = 100 · mean(candidate − reference) / |mean(reference)| on the validation seeds, with the paired
// 95 % t interval (stats.ts). "Better" follows the objective's direction (lower for minimize, higher for maximize);
// "significantly better/worse" means the whole 95 % interval lies on that side of 0.
//
// Verdict of a candidate against a reference:
//   validated       the FIRST objective is significantly better on the held-out seeds, no objective is
//                   significantly worse, and every hard constraint still holds there (mean per-seed slack ≤ 0 on the
//                   held-out seeds, relative targets evaluated on those seeds);
//   over-fitted     not validated, and on some objective the candidate's advantage on the tuning seeds (its paired
//                   Δ % there) lies beyond the favourable end of the held-out 95 % interval — the search saw a
//                   better value than the held-out seeds support;
//   not significant otherwise.
import type { MetricValues } from './metrics.js';
import { formatSeeds } from './seeds.js';
import { pairedComparison } from './stats.js';
import { evaluateRequirement, requirementTargets } from './relative-constraints.js';
import { defaultParameterValues, type Objective, type ParamValues, type Requirement, type Strategy } from './strategy.js';
import { textTableLines } from './text-table.js';

export type Verdict = 'validated' | 'not significant' | 'over-fitted';

export interface ValidationSide {
  /** Per-seed metrics on the tuning seeds and on the validation seeds, in seed order. */
  tuning: readonly MetricValues[];
  validation: readonly MetricValues[];
}

export interface HeldOutConstraint {
  text: string;
  /** Mean over the held-out seeds of the per-seed slack (relative-constraints.ts); ≤ 0 holds. */
  mean_slack: number;
  feasible: boolean;
}

export interface ValidationCandidate extends ValidationSide {
  /** Call number (from 1). */
  call: number;
  params: ParamValues;
  /** The strategy's hard constraints evaluated on the held-out seeds (none: nothing to check). */
  heldOutConstraints?: HeldOutConstraint[];
}

export interface ValidationReference extends ValidationSide {
  name: string;
  file: string;
}

export interface ObjectiveValidation {
  metric: string;
  direction: Objective['direction'];
  /** Paired Δ % on the tuning seeds (the advantage the search saw). */
  tuning_diff_pct: number;
  diff_pct: number;
  ci_low_pct: number;
  ci_high_pct: number;
  p_value: number;
  significantly_better: boolean;
  significantly_worse: boolean;
  /** The tuning Δ % lies beyond the favourable end of the held-out interval. */
  tuning_outside_ci: boolean;
}

export interface CandidateValidation {
  call: number;
  params: ParamValues;
  reference: string;
  objectives: ObjectiveValidation[];
  held_out_constraints: HeldOutConstraint[];
  verdict: Verdict;
}

export interface ValidationReport {
  tuning_seeds: number[];
  validation_seeds: number[];
  confidence: number;
  references: Array<{ name: string; file: string }>;
  /** One per candidate and reference, candidates in the order given. */
  rows: CandidateValidation[];
}

function metricColumn(perSeed: readonly MetricValues[], metric: string): number[] {
  return perSeed.map((m) => m[metric] ?? NaN);
}

export function compareObjective(objective: Objective, candidate: ValidationSide, reference: ValidationSide): ObjectiveValidation {
  const heldOut = pairedComparison(metricColumn(reference.validation, objective.metric), metricColumn(candidate.validation, objective.metric));
  const tuning = pairedComparison(metricColumn(reference.tuning, objective.metric), metricColumn(candidate.tuning, objective.metric));
  const lowerIsBetter = objective.direction === 'minimize';
  const significantlyBetter = heldOut.significant && (lowerIsBetter ? heldOut.ciHighPct < 0 : heldOut.ciLowPct > 0);
  const significantlyWorse = heldOut.significant && !significantlyBetter;
  const outside = lowerIsBetter ? tuning.diffPct < heldOut.ciLowPct : tuning.diffPct > heldOut.ciHighPct;
  return {
    metric: objective.metric,
    direction: objective.direction,
    tuning_diff_pct: tuning.diffPct,
    diff_pct: heldOut.diffPct,
    ci_low_pct: heldOut.ciLowPct,
    ci_high_pct: heldOut.ciHighPct,
    p_value: heldOut.pValue,
    significantly_better: significantlyBetter,
    significantly_worse: significantlyWorse,
    tuning_outside_ci: outside,
  };
}

export function verdictOf(objectives: readonly ObjectiveValidation[], constraintsHold = true): Verdict {
  if (objectives[0]!.significantly_better && !objectives.some((o) => o.significantly_worse) && constraintsHold) return 'validated';
  if (objectives.some((o) => o.tuning_outside_ci)) return 'over-fitted';
  return 'not significant';
}

/** Every candidate against every reference, candidates in the given order. */
export function validateCandidates(
  objectives: readonly Objective[],
  candidates: readonly ValidationCandidate[],
  references: readonly ValidationReference[],
  seeds: { tuning: number[]; validation: number[] },
): ValidationReport {
  const rows: CandidateValidation[] = [];
  for (const candidate of candidates) {
    for (const reference of references) {
      const perObjective = objectives.map((o) => compareObjective(o, candidate, reference));
      const constraints = candidate.heldOutConstraints ?? [];
      rows.push({
        call: candidate.call,
        params: candidate.params,
        reference: reference.name,
        objectives: perObjective,
        held_out_constraints: constraints,
        verdict: verdictOf(perObjective, constraints.every((c) => c.feasible)),
      });
    }
  }
  return {
    tuning_seeds: seeds.tuning,
    validation_seeds: seeds.validation,
    confidence: 0.95,
    references: references.map((r) => ({ name: r.name, file: r.file })),
    rows,
  };
}

function pct(v: number): string {
  return Number.isNaN(v) ? 'n/a' : `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
}

/** The validation table: one line per candidate and reference, Δ % [95 % CI] per objective, tuning Δ %, verdict. */
export function formatValidation(report: ValidationReport, objectives: readonly Objective[]): string {
  const header = ['call', 'vs', ...objectives.map((o) => `${o.metric} ${o.direction === 'minimize' ? '↓' : '↑'} Δ% [95% CI] (tuning Δ%)`), 'verdict'];
  const body = report.rows.map((r) => [
    String(r.call),
    r.reference,
    ...r.objectives.map((o) => `${pct(o.diff_pct)} [${pct(o.ci_low_pct)}, ${pct(o.ci_high_pct)}]${o.significantly_better ? ' +' : o.significantly_worse ? ' −' : ''} (${pct(o.tuning_diff_pct)})`),
    r.verdict,
  ]);
  const lines = [
    `held-out validation on seeds ${formatSeeds(report.validation_seeds)} (tuned on ${formatSeeds(report.tuning_seeds)}): paired Δ % vs each reference, ` +
      '95 % t interval; + significantly better, − significantly worse',
    ...textTableLines([header, ...body], (col) => col <= 1 || col === header.length - 1, { rule: true }),
  ];
  const checked = new Map(report.rows.filter((r) => r.held_out_constraints.length > 0).map((r) => [r.call, r.held_out_constraints]));
  if (checked.size > 0) {
    lines.push(
      'hard constraints on the held-out seeds (violated: mean per-seed slack > 0, in the metric\'s unit): ' +
        [...checked]
          .map(([call, cs]) => {
            const broken = cs.filter((c) => !c.feasible);
            return `call ${call}: ${broken.length === 0 ? 'all hold' : broken.map((c) => `${c.text} violated (${c.mean_slack > 0 ? '+' : ''}${c.mean_slack.toPrecision(3)})`).join(', ')}`;
          })
          .join('; '),
    );
  }
  const validated = report.rows.filter((r) => r.verdict === 'validated');
  lines.push(
    validated.length === 0
      ? 'no candidate is validated against any reference'
      : `validated: ${validated.map((r) => `call ${r.call} vs ${r.reference}`).join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The slice of StrategyEvaluator validation needs. */
interface PointEvaluator {
  evaluatePoint(strategy: Strategy, params: ParamValues, seeds: readonly number[]): Promise<Array<{ seed: number; metrics: MetricValues }>>;
}

/**
 * Evaluates the candidates (points of `strategy`) and the references (at their defaults) on the tuning and the
 * validation seeds — every evaluation submitted at once, results read in a fixed order — and validates them.
 */
export async function runValidation(
  strategy: Strategy,
  objectives: readonly Objective[],
  candidates: ReadonlyArray<{ call: number; params: ParamValues }>,
  references: readonly Strategy[],
  seeds: { tuning: number[]; validation: number[] },
  evaluator: PointEvaluator,
  /** `strategy`'s hard constraints and the strategies they compare with (by absolute file). */
  constraints: { requirements: readonly Requirement[]; targets: ReadonlyMap<string, Strategy> } = { requirements: [], targets: new Map() },
): Promise<ValidationReport> {
  const both = (s: Strategy, params: ParamValues) => {
    const tuning = evaluator.evaluatePoint(s, params, seeds.tuning);
    const validation = evaluator.evaluatePoint(s, params, seeds.validation);
    const pending = Promise.all([tuning, validation]);
    pending.catch(() => undefined); // reported when its turn comes
    return pending;
  };
  const candidateRuns = candidates.map((c) => both(strategy, c.params));
  const targetRuns = new Map(
    requirementTargets(constraints.requirements).map((file) => {
      const target = constraints.targets.get(file)!;
      const pending = evaluator.evaluatePoint(target, defaultParameterValues(target), seeds.validation);
      pending.catch(() => undefined);
      return [file, pending] as const;
    }),
  );
  const targetValidation = new Map<string, Array<{ seed: number; metrics: MetricValues }>>();
  for (const [file, pending] of targetRuns) targetValidation.set(file, await pending);
  const referenceRuns = references.map((r) => both(r, defaultParameterValues(r)));
  const metricsOf = (es: ReadonlyArray<{ metrics: MetricValues }>) => es.map((e) => e.metrics);
  const evaluatedCandidates: ValidationCandidate[] = [];
  for (const [i, c] of candidates.entries()) {
    const [tuning, validation] = await candidateRuns[i]!;
    const heldOutConstraints = constraints.requirements.map((r): HeldOutConstraint => {
      const outcome = evaluateRequirement(r, validation, r.target.kind === 'strategy' ? targetValidation.get(r.target.file) : undefined);
      return { text: r.text, mean_slack: outcome.meanSlack, feasible: outcome.feasible };
    });
    evaluatedCandidates.push({ ...c, tuning: metricsOf(tuning), validation: metricsOf(validation), heldOutConstraints });
  }
  const evaluatedReferences: ValidationReference[] = [];
  for (const [i, r] of references.entries()) {
    const [tuning, validation] = await referenceRuns[i]!;
    evaluatedReferences.push({ name: r.name, file: r.file, tuning: metricsOf(tuning), validation: metricsOf(validation) });
  }
  return validateCandidates(objectives, evaluatedCandidates, evaluatedReferences, seeds);
}
