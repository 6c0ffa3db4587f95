// `--trace-level decisions` (docs/spec-notes.md, Decision trace): only the summary is ever printed, so only its inputs are kept.
import type { TraceSummary } from '../types.js';
import { effectiveLoad, type RouterState } from '../policies/router-state.js';

export class DecisionTrace {
  private admitted = 0;
  private rejected = 0;
  private routings = 0;
  private regretSum = 0;
  private regretMax = 0;
  private readonly targetCounts: Int32Array;
  private readonly counterfactualK: number;

  constructor(
    private readonly instanceIds: readonly string[],
    counterfactualK: number,
  ) {
    this.targetCounts = new Int32Array(instanceIds.length);
    this.counterfactualK = counterfactualK;
  }

  recordAdmission(admitted: boolean): void {
    if (admitted) this.admitted++;
    else this.rejected++;
  }

  /**
   * Regret = best candidate score − chosen score (≥ 0), candidates scored by the policy's composite score or by
   * −EffectiveLoad when the policy has none. The top-k list itself is never printed; its head is the global best.
   */
  recordRouting(target: number, scores: Float64Array | null, state: RouterState): void {
    this.targetCounts[target]++;
    this.routings++;
    if (this.counterfactualK <= 0) return;
    const score = (i: number): number => (scores !== null ? scores[i] : -effectiveLoad(state, i));
    let best = score(0);
    for (let i = 1; i < state.numInstances; i++) best = Math.max(best, score(i));
    let regret = best - score(target);
    if (regret < 0) regret = 0;
    this.regretSum += regret;
    if (regret > this.regretMax) this.regretMax = regret;
  }

  summary(): TraceSummary {
    const targetDistribution: Array<[string, number]> = [];
    this.instanceIds.forEach((id, i) => {
      if (this.targetCounts[i] > 0) targetDistribution.push([id, this.targetCounts[i]]);
    });
    targetDistribution.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return {
      totalDecisions: this.admitted + this.rejected,
      admitted: this.admitted,
      rejected: this.rejected,
      uniqueTargets: targetDistribution.length,
      targetDistribution,
      meanRegret: this.routings > 0 ? this.regretSum / this.routings : 0,
      maxRegret: this.regretMax,
    };
  }
}
