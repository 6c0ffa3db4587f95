// The front of a multi-objective `optimize` run and its hypervolume per call.
//
// Front: the non-dominated calls among the FEASIBLE ones (every hard constraint's mean slack ≤ 0), by the vectors
// told to the optimiser (objective means over the tuning seeds, maximised ones negated); of identical vectors the
// first call stands for them. Each front point reports every objective's mean ± 95 % t half-width over the tuning
// seeds, natural sign.
//
// Hypervolume space: objective k is divided by a normaliser's mean on the tuning seeds — the first reference
// strategy when there is one (`references:` / --reference), else call 1 — and negated when maximised, so the
// normaliser sits at ±1 (a normaliser mean of 0 is taken as 1). The reference point is, per objective, the worst of
// the reference strategies (all of them, in this space) + 0.1: the hypervolume counts the region no worse than every
// reference by more than 10 % of the normaliser's value — with the references iter8-opt and baseline, the box
// spanned by the hand-made strategies. With several objectives the same point (in objective units) is the
// optimiser's fixed referencePoint, so the search fills this box instead of chasing the front's extremes.
import { hypervolume, nonDominatedIndices } from '../optimize/pareto.js';
import type { MetricValues } from './metrics.js';
import type { RequirementOutcome } from './relative-constraints.js';
import { meanInterval } from './stats.js';
import type { Objective, ParamValues } from './strategy.js';

export interface FrontPoint {
  call: number;
  params: ParamValues;
  objectives: Array<{ metric: string; direction: Objective['direction']; mean: number; half_width: number }>;
  constraints: Array<{ text: string; mean_slack: number; feasible: boolean }>;
  /** Flags of the point (fixed + searched + derived), without --workload-spec and --seed. */
  args: string[];
}

export interface HypervolumeSettings {
  /** The strategy file whose tuning-seed means normalise the objectives, or "call 1". */
  normalised_by: string;
  /** The strategies whose worst normalised value (+ 0.1) makes the reference point (the normaliser when none). */
  reference_strategies: string[];
  /** |mean| of the normaliser per objective (1 where it is 0). */
  scale: number[];
  reference_point: number[];
  /** Hypervolume of the feasible front after each call (call 1 first). */
  per_call: number[];
}

/** The reference point lies 0.1 beyond the worst reference in every normalised objective. */
export const HYPERVOLUME_MARGIN = 0.1;

export interface Observed {
  call: number;
  params: ParamValues;
  outcome: { objectives: number[]; constraints: number[] };
}

export interface PointDetail {
  perSeed: MetricValues[];
  requirements: RequirementOutcome[];
  args: string[];
}

/** The feasible non-dominated calls, by the first told objective (then call); `detail` reads each one's seeds. */
export async function buildFront(
  observed: readonly Observed[],
  objectives: readonly Objective[],
  detail: (params: ParamValues) => Promise<PointDetail>,
): Promise<FrontPoint[]> {
  const feasible = observed.filter((o) => o.outcome.constraints.every((c) => c <= 0));
  const indices = nonDominatedIndices(feasible.map((o) => o.outcome.objectives));
  const members = indices
    .map((i) => feasible[i]!)
    .sort((a, b) => a.outcome.objectives[0]! - b.outcome.objectives[0]! || a.call - b.call);
  const front: FrontPoint[] = [];
  for (const member of members) {
    const d = await detail(member.params);
    front.push({
      call: member.call,
      params: member.params,
      objectives: objectives.map((o) => {
        const { mean, halfWidth } = meanInterval(d.perSeed.map((m) => m[o.metric] ?? NaN));
        return { metric: o.metric, direction: o.direction, mean, half_width: halfWidth };
      }),
      constraints: d.requirements.map((r) => ({ text: r.text, mean_slack: r.meanSlack, feasible: r.feasible })),
      args: d.args,
    });
  }
  return front;
}

/** Hypervolume of the feasible points so far, one call at a time. */
/** `references`: tuning-seed means of the reference strategies, the first one normalising; none: call 1 does. */
export function hypervolumeTracker(objectives: readonly Objective[], references: ReadonlyArray<{ file: string; means: MetricValues }>) {
  let scale: number[] | undefined;
  let referencePoint: number[] = [];
  const signs = objectives.map((o) => (o.direction === 'minimize' ? 1 : -1));
  const points: number[][] = [];
  const perCall: number[] = [];
  const fix = (anchors: readonly MetricValues[]) => {
    const raw = objectives.map((o) => anchors[0]![o.metric]!);
    scale = raw.map((v) => (Number.isFinite(v) && v !== 0 ? Math.abs(v) : 1));
    referencePoint = objectives.map(
      (o, k) => Math.max(...anchors.map((a) => (signs[k]! * (Number.isFinite(a[o.metric]) ? a[o.metric]! : 0)) / scale![k]!)) + HYPERVOLUME_MARGIN,
    );
  };
  if (references.length > 0) fix(references.map((r) => r.means));
  let current = 0;
  return {
    add(means: MetricValues, feasible: boolean): number {
      if (!scale) fix([means]);
      if (feasible) {
        const z = objectives.map((o, k) => (signs[k]! * means[o.metric]!) / scale![k]!);
        // Only points inside the reference box add volume.
        if (z.every((v, k) => v < referencePoint[k]!)) {
          points.push(z);
          // Dominated points add no volume; keeping the front only keeps each update cheap.
          const kept = nonDominatedIndices(points).map((i) => points[i]!);
          points.splice(0, points.length, ...kept);
          current = hypervolume(points, referencePoint);
        }
      }
      perCall.push(current);
      return current;
    },
    /** The reference point in the optimiser's units (objective means, maximised ones negated). */
    toldReferencePoint(): number[] {
      if (!scale) throw new Error('hypervolume: no reference strategies to place the reference point');
      return referencePoint.map((r, k) => r * scale![k]!);
    },
    settings(): HypervolumeSettings {
      return {
        normalised_by: references[0]?.file ?? 'call 1',
        reference_strategies: references.map((r) => r.file),
        scale: scale ?? [],
        reference_point: referencePoint,
        per_call: [...perCall],
      };
    },
  };
}
