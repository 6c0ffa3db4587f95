// Exact expected hypervolume improvement (EHVI) for independent Gaussian predictions, every objective minimised.
//
// The region a new point y can add to the hypervolume is the part of the box below the reference that the
// current front does not dominate. It is split once per step into disjoint axis-aligned boxes [l, u] on the grid
// of the front's coordinates (a cell of that grid is either wholly dominated or wholly not, and the cells of a
// column along the last objective are non-dominated from the bottom up, so each column merges into one box).
// Inside a box the improvement is Π_j (u_j − max(l_j, y_j))⁺ = Π_j [(u_j − y_j)⁺ − (l_j − y_j)⁺], and with
// independent y_j ~ N(μ_j, σ_j²) its expectation factorises:
//   EHVI = Σ_boxes Π_j [ψ_j(u_j) − ψ_j(l_j)],   ψ_j(a) = E[(a − y_j)⁺] = (a − μ_j) Φ(z) + σ_j φ(z), z = (a − μ_j)/σ_j,
// with ψ(−∞) = 0. This is exact in any number of objectives (the decomposition of Yang et al. 2019 / BoTorch's
// box decompositions, here the simple grid one); with d objectives and m front points there are at most
// (m + 1)^(d − 1) boxes, and ψ is evaluated only at the m + 1 grid values of each objective, so scoring a
// candidate costs O(d·m + d·boxes).

import { normalCdf, normalPdf } from './acquisition.js';

export class HypervolumeBoxes {
  readonly objectives: number;
  /** Per objective: the grid values (front coordinates below the reference, then the reference), ascending. */
  readonly grids: readonly Float64Array[];
  /**
   * Box corners as indices into the ψ tables (0 = −∞, k + 1 = grids[j][k]), box-major: lower[b·d + j], upper[b·d + j].
   */
  readonly lower: Int32Array;
  readonly upper: Int32Array;
  readonly count: number;

  /** Decomposition of the region below `reference` not dominated by `front` (points at or beyond it ignored). */
  constructor(front: readonly (readonly number[])[], reference: readonly number[]) {
    const d = reference.length;
    this.objectives = d;
    const inside = front.filter((p) => p.every((v, j) => v < reference[j]));
    const grids: Float64Array[] = [];
    const ranks: Int32Array[] = [];
    for (let j = 0; j < d; j++) {
      const values = [...new Set(inside.map((p) => p[j]))].sort((a, b) => a - b);
      const grid = Float64Array.from([...values, reference[j]]);
      grids.push(grid);
      ranks.push(Int32Array.from(inside, (p) => values.indexOf(p[j])));
    }
    this.grids = grids;
    // Enumerate cells over the first d − 1 objectives; cell i_j spans [grid[i_j − 1], grid[i_j]] (grid[−1] = −∞).
    // A point p dominates the cell's lower corner in objective j when rank_j(p) < i_j; the column's cells in the
    // last objective are then non-dominated below the lowest such p's last rank.
    const lower: number[] = [];
    const upper: number[] = [];
    const head = d - 1;
    const sizes = grids.slice(0, head).map((g) => g.length);
    const cell = new Array<number>(head).fill(0);
    const lastGrid = grids[head];
    const sameTail = (box: number): boolean => {
      for (let j = 1; j < head; j++) if (lower[box + j] !== cell[j]) return false;
      return true;
    };
    for (;;) {
      let top = lastGrid.length; // cells 0..top−1 of the last objective are non-dominated
      for (let p = 0; p < inside.length; p++) {
        let below = true;
        for (let j = 0; j < head && below; j++) if (ranks[j][p] >= cell[j]) below = false;
        if (below) top = Math.min(top, ranks[head][p] + 1);
      }
      // Cells are visited with the first objective innermost: a cell continuing the previous box along it (same
      // other indices, same top) widens that box instead of adding one, which cuts the count several-fold.
      const previous = lower.length - d;
      if (top > 0 && head > 0 && cell[0] > 0 && previous >= 0 && upper[previous] === cell[0] && upper[previous + head] === top && sameTail(previous)) {
        upper[previous] = cell[0] + 1;
      } else if (top > 0) {
        for (let j = 0; j < head; j++) {
          lower.push(cell[j]); // ψ-table index of grid[cell − 1] (0 = −∞)
          upper.push(cell[j] + 1);
        }
        lower.push(0);
        upper.push(top);
      }
      let j = 0;
      while (j < head && ++cell[j] === sizes[j]) cell[j++] = 0;
      if (j === head) break;
    }
    this.lower = Int32Array.from(lower);
    this.upper = Int32Array.from(upper);
    this.count = lower.length / d;
  }

  /**
   * EHVI at predictive means/stds (one per objective). When `gradient` is given, writes ∂EHVI/∂μ_j into
   * gradient[j] and ∂EHVI/∂σ_j into gradient[d + j].
   */
  expectedImprovement(mean: ArrayLike<number>, std: ArrayLike<number>, gradient?: Float64Array, tables = this.tables()): number {
    const d = this.objectives;
    const { psi, dPsiMean, dPsiStd } = tables;
    for (let j = 0; j < d; j++) {
      const grid = this.grids[j];
      const row = j * tables.width;
      psi[row] = 0;
      dPsiMean[row] = 0;
      dPsiStd[row] = 0;
      const s = std[j];
      for (let k = 0; k < grid.length; k++) {
        const gap = grid[k] - mean[j];
        const z = gap / s;
        const cdf = normalCdf(z);
        const pdf = normalPdf(z);
        psi[row + k + 1] = gap * cdf + s * pdf;
        dPsiMean[row + k + 1] = -cdf;
        dPsiStd[row + k + 1] = pdf;
      }
    }
    const sides = tables.sides;
    let total = 0;
    if (gradient) gradient.fill(0, 0, 2 * d);
    for (let b = 0; b < this.count; b++) {
      let product = 1;
      for (let j = 0; j < d; j++) {
        const row = j * tables.width;
        const side = psi[row + this.upper[b * d + j]] - psi[row + this.lower[b * d + j]];
        sides[j] = side;
        product *= side;
      }
      total += product;
      if (!gradient) continue;
      for (let j = 0; j < d; j++) {
        let others = 1;
        for (let k = 0; k < d; k++) if (k !== j) others *= sides[k];
        const row = j * tables.width;
        const up = row + this.upper[b * d + j];
        const low = row + this.lower[b * d + j];
        gradient[j] += others * (dPsiMean[up] - dPsiMean[low]);
        gradient[d + j] += others * (dPsiStd[up] - dPsiStd[low]);
      }
    }
    return total;
  }

  /** Scratch space for expectedImprovement (reuse it across calls to avoid allocation). */
  tables(): EhviTables {
    const width = Math.max(...this.grids.map((g) => g.length)) + 1;
    const size = this.objectives * width;
    return {
      width,
      psi: new Float64Array(size),
      dPsiMean: new Float64Array(size),
      dPsiStd: new Float64Array(size),
      sides: new Float64Array(this.objectives),
    };
  }
}

export interface EhviTables {
  width: number;
  psi: Float64Array;
  dPsiMean: Float64Array;
  dPsiStd: Float64Array;
  sides: Float64Array;
}
