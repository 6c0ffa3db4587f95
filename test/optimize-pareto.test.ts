import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServesimError } from '../src/errors.js';
import {
  GARDNER_NARROW,
  HypervolumeBoxes,
  ParetoOptimizer,
  Rng,
  SearchSpace,
  constrainedSummary,
  dominates,
  dtlz2,
  expectedImprovement,
  hypervolume,
  nonDominatedIndices,
  nonDominatedSort,
  nsga2,
  paretoMinimize,
  randomSearchMulti,
  runConstrained,
  zdt1,
  type Dimension,
  type MultiObjectiveProblem,
} from '../src/optimize/index.js';
import * as library from '../src/index.js';

describe('hypervolume', () => {
  it('2-D staircase, hand-computed; dominated, duplicate and out-of-reference points add nothing', () => {
    // (4−1)(4−3) + (4−2)(3−2) + (4−3)(2−1) = 3 + 2 + 1
    expect(hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4])).toBe(6);
    expect(hypervolume([[3, 1], [3, 3], [2, 2], [1, 3], [2, 2], [5, 0], [0, 4]], [4, 4])).toBe(6);
    expect(hypervolume([], [1, 1])).toBe(0);
    expect(hypervolume([[1, 1]], [1, 2])).toBe(0); // on the reference in one objective: no volume
  });

  it('3-D and 4-D, hand-computed by inclusion–exclusion', () => {
    expect(hypervolume([[1, 1, 1]], [2, 3, 4])).toBe(6);
    // boxes 2·2·1 and 1·1·2 overlapping in [1,2]³
    expect(hypervolume([[0, 0, 1], [1, 1, 0]], [2, 2, 2])).toBe(5);
    // three boxes of 2, pairwise and triple overlaps [1,2]³: 6 − 3 + 1
    expect(hypervolume([[0, 1, 1], [1, 0, 1], [1, 1, 0]], [2, 2, 2])).toBe(4);
    // 8·1 + 1·2 − 1
    expect(hypervolume([[0, 0, 0, 1], [1, 1, 1, 0]], [2, 2, 2, 2])).toBe(9);
  });

  it('agrees with a Monte-Carlo estimate on random 3-D and 4-D sets', () => {
    const rng = new Rng(11);
    for (const d of [3, 4]) {
      const points = Array.from({ length: 25 }, () => Array.from({ length: d }, () => rng.next()));
      const reference = new Array<number>(d).fill(1.1);
      let hits = 0;
      const samples = 40_000;
      for (let s = 0; s < samples; s++) {
        const z = reference.map((r) => rng.next() * r);
        if (points.some((p) => p.every((v, j) => v <= z[j]))) hits++;
      }
      const estimate = (hits / samples) * 1.1 ** d;
      expect(Math.abs(hypervolume(points, reference) - estimate)).toBeLessThan(4 * Math.sqrt((estimate * 1.1 ** d) / samples));
    }
  });

  it('reproduces the true-front hypervolumes of ZDT1, ZDT2 and DTLZ2 (0.877, 0.543, 0.807) on dense fronts', () => {
    const n = 20_000;
    const f1 = Array.from({ length: n }, (_, i) => i / (n - 1));
    const zdt1Front = f1.map((f) => [f, 1 - Math.sqrt(f)]);
    const zdt2Front = f1.map((f) => [f, 1 - f * f]);
    expect(hypervolume(zdt1Front, [1.1, 1.1]).toFixed(3)).toBe('0.877');
    expect(hypervolume(zdt2Front, [1.1, 1.1]).toFixed(3)).toBe('0.543');
    // DTLZ2's front is the unit sphere's positive octant. Points on a 120 × 120 angle grid dominate less than the
    // true front; the lowest corner of each grid patch dominates more: the true value lies between, and so must
    // an exact hypervolume of each set.
    const m = 120;
    const angle = (i: number): number => (i / (m - 1)) * (Math.PI / 2);
    const inner: number[][] = [];
    const outer: number[][] = [];
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < m; k++) {
        inner.push(dtlz2([i / (m - 1), k / (m - 1), 0.5, 0.5, 0.5, 0.5]));
        if (i + 1 < m && k + 1 < m) {
          outer.push([Math.cos(angle(i + 1)) * Math.cos(angle(k + 1)), Math.cos(angle(i + 1)) * Math.sin(angle(k)), Math.sin(angle(i))]);
        }
      }
    }
    const truth = 1.331 - Math.PI / 6;
    const lower = hypervolume(inner, [1.1, 1.1, 1.1]);
    const upper = hypervolume(outer, [1.1, 1.1, 1.1]);
    expect(lower).toBeLessThan(truth);
    expect(upper).toBeGreaterThan(truth);
    expect(upper - lower).toBeLessThan(0.012);
    expect(((lower + upper) / 2).toFixed(3)).toBe('0.807');
  });

  it('rejects mismatched dimensions', () => {
    expect(() => hypervolume([[1, 2]], [3, 3, 3])).toThrow(ServesimError);
    expect(() => hypervolume([[1, 2], [1]], [3, 3])).toThrow(ServesimError);
  });
});

describe('non-dominated sorting', () => {
  const points = [
    [1, 2], // 0: front
    [2, 1], // 1: front
    [1, 2], // 2: duplicate of 0 → behind it
    [2, 2], // 3: dominated by 0, 1 and 2
    [1, 3], // 4: tie in the first objective with 0, worse in the second
    [0, 5], // 5: front
  ];

  it('keeps the first of identical points and drops ties that are worse somewhere', () => {
    expect(nonDominatedIndices(points)).toEqual([0, 1, 5]);
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 2], [1, 2])).toBe(false);
  });

  it('sorts into fronts: a later duplicate one front behind, points it beats one further', () => {
    expect(nonDominatedSort(points)).toEqual([[0, 1, 5], [2], [3, 4]]);
    expect(nonDominatedSort([])).toEqual([]);
  });

  it('on random sets: first front = non-dominated indices, every point is in one front, each later point beaten by the front before', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), { maxLength: 30 }), (tuples) => {
        const set = tuples.map((t) => [...t]);
        const fronts = nonDominatedSort(set);
        if (set.length === 0) return fronts.length === 0;
        expect(fronts[0]).toEqual(nonDominatedIndices(set));
        expect(fronts.flat().sort((a, b) => a - b)).toEqual(set.map((_, i) => i));
        const beats = (i: number, k: number): boolean => dominates(set[i], set[k]) || (i < k && set[i].every((v, j) => v === set[k][j]));
        for (let r = 1; r < fronts.length; r++) {
          for (const k of fronts[r]) expect(fronts[r - 1].some((i) => beats(i, k))).toBe(true);
          for (const k of fronts[r]) for (const i of fronts[r]) expect(beats(i, k)).toBe(false);
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});

describe('exact EHVI (box decomposition)', () => {
  it('with one objective is EI at the best value', () => {
    const boxes = new HypervolumeBoxes([[0.3]], [1.1]);
    for (const [mean, std] of [[0.5, 0.2], [0.1, 0.05], [2, 1]]) {
      expect(boxes.expectedImprovement([mean], [std])).toBeCloseTo(expectedImprovement(mean, std, 0.3, 0), 12);
    }
  });

  it('matches Monte-Carlo hypervolume improvement in 2-D and 3-D, with gradients matching finite differences', () => {
    const rng = new Rng(5);
    for (const d of [2, 3]) {
      const raw = Array.from({ length: 12 }, () => Array.from({ length: d }, () => rng.next()));
      const points = nonDominatedIndices(raw).map((i) => raw[i]);
      const reference = new Array<number>(d).fill(1.1);
      const boxes = new HypervolumeBoxes(points, reference);
      const mean = Array.from({ length: d }, () => 0.3 + 0.4 * rng.next());
      const std = Array.from({ length: d }, () => 0.1 + 0.2 * rng.next());
      const gradient = new Float64Array(2 * d);
      const exact = boxes.expectedImprovement(mean, std, gradient);
      const base = hypervolume(points, reference);
      const samples = 20_000;
      let sum = 0;
      let sumSq = 0;
      for (let s = 0; s < samples; s++) {
        const y = mean.map((m, j) => m + std[j] * rng.normal());
        const gain = hypervolume([...points, y], reference) - base;
        sum += gain;
        sumSq += gain * gain;
      }
      const estimate = sum / samples;
      const standardError = Math.sqrt((sumSq / samples - estimate ** 2) / samples);
      expect(Math.abs(exact - estimate)).toBeLessThan(4 * standardError + 1e-9);
      const h = 1e-6;
      for (let j = 0; j < d; j++) {
        const up = [...mean];
        const down = [...mean];
        up[j] += h;
        down[j] -= h;
        expect(gradient[j]).toBeCloseTo((boxes.expectedImprovement(up, std) - boxes.expectedImprovement(down, std)) / (2 * h), 6);
        const sUp = [...std];
        const sDown = [...std];
        sUp[j] += h;
        sDown[j] -= h;
        expect(gradient[d + j]).toBeCloseTo((boxes.expectedImprovement(mean, sUp) - boxes.expectedImprovement(mean, sDown)) / (2 * h), 6);
      }
    }
  });
});

const SMALL_SPACE: Dimension[] = [
  { kind: 'real', name: 'a', low: 0, high: 1 },
  { kind: 'real', name: 'b', low: 0, high: 1 },
  { kind: 'integer', name: 'c', low: 0, high: 4 },
];
const smallObjectives = (x: readonly (number | string | boolean)[]): number[] => {
  const [a, b, c] = x as number[];
  return [a + 0.1 * c, (1 - a) ** 2 + (b - 0.5) ** 2 + 0.05 * c];
};
const FAST = { nCandidates: 200, nInitial: 6 } as const;

describe('ParetoOptimizer', () => {
  function run(randomState: number, steps: number, constraints = 0): ParetoOptimizer {
    const optimizer = new ParetoOptimizer(SMALL_SPACE, 2, { ...FAST, randomState, nConstraints: constraints });
    for (let i = 0; i < steps; i++) {
      const [x] = optimizer.ask(1);
      const f = smallObjectives(x);
      optimizer.tell(x, f, constraints > 0 ? [0.6 - (x[0] as number)] : []);
    }
    return optimizer;
  }

  it('ask is pure: twice without tell, and after re-telling the same observations, gives the same batch', () => {
    const a = run(3, 10);
    const first = a.ask(3);
    expect(a.ask(3)).toEqual(first);
    expect(a.ask(1)).toEqual(first.slice(0, 1)); // batch slots do not depend on the batch size
    const b = new ParetoOptimizer(SMALL_SPACE, 2, { ...FAST, randomState: 3 });
    for (const o of a.observations()) b.tell(o.x, o.fun);
    expect(b.ask(3)).toEqual(first);
    // Resuming mid-run (bulk tell) reproduces the uninterrupted run's next proposals.
    const uninterrupted = run(3, 14);
    const resumed = new ParetoOptimizer(SMALL_SPACE, 2, { ...FAST, randomState: 3 });
    for (const o of uninterrupted.observations().slice(0, 12)) resumed.tell(o.x, o.fun);
    expect(resumed.ask(1)).toEqual([uninterrupted.observations()[12].x]);
  });

  it('with a fixed reference point that most observations do not reach, proposals stay valid and pure', () => {
    const told = run(5, 10).observations();
    const make = (): ParetoOptimizer => {
      const o = new ParetoOptimizer(SMALL_SPACE, 2, { ...FAST, randomState: 5, referencePoint: [0.5, 0.5] });
      for (const t of told) o.tell(t.x, t.fun);
      return o;
    };
    const batch = make().ask(2);
    expect(make().ask(2)).toEqual(batch);
    for (const x of batch) expect(() => new SearchSpace(SMALL_SPACE).validatePoint(x)).not.toThrow();
  });

  it('batch points are distinct and valid', () => {
    const batch = run(1, 9).ask(4);
    expect(new Set(batch.map((x) => JSON.stringify(x))).size).toBe(4);
    for (const x of batch) expect(Number.isInteger(x[2])).toBe(true);
  });

  it('is deterministic per random state and differs between states', () => {
    const once = run(7, 12).observations();
    expect(run(7, 12).observations()).toEqual(once);
    expect(run(8, 12).observations()).not.toEqual(once);
  });

  it('front() lists the feasible non-dominated observations in observation order', () => {
    const optimizer = run(2, 14, 1);
    const observations = optimizer.observations();
    const feasible = observations.filter((o) => o.feasible);
    const expected = nonDominatedIndices(feasible.map((o) => o.fun)).map((i) => feasible[i]);
    expect(optimizer.front()).toEqual(expected.map((o) => ({ x: o.x, fun: o.fun })));
    for (const point of optimizer.front()) expect((point.x[0] as number) >= 0.6).toBe(true);
  });

  it('rejects bad input with a clear error', () => {
    expect(() => new ParetoOptimizer(SMALL_SPACE, 0)).toThrow(/nObjectives/);
    expect(() => new ParetoOptimizer(SMALL_SPACE, 2, { referencePoint: [1] })).toThrow(/referencePoint must be 2 finite numbers/);
    expect(() => new ParetoOptimizer(SMALL_SPACE, 2, { nCandidates: 0 })).toThrow('ParetoOptimizer option nCandidates must be an integer >= 1, got 0');
    const optimizer = new ParetoOptimizer(SMALL_SPACE, 2, { nConstraints: 1 });
    expect(() => optimizer.tell([0.5, 0.5, 1], [1], [0])).toThrow(/expected 2 objective values/);
    expect(() => optimizer.tell([0.5, 0.5, 1], [1, 2])).toThrow(/expected 1 constraint values/);
    expect(() => optimizer.tell([0.5, 0.5, 1], [1, Number.NaN], [0])).toThrow(/finite/);
    expect(() => optimizer.ask(0)).toThrow(/positive integer/);
    expect(optimizer.observationCount).toBe(0);
  });
});

describe('paretoMinimize', () => {
  const problem: MultiObjectiveProblem = {
    name: 'zdt1-3d',
    space: Array.from({ length: 3 }, (_, i) => ({ kind: 'real' as const, name: `x${i}`, low: 0, high: 1 })),
    objectives: 2,
    evaluate: zdt1,
    trueHypervolume: 0.11 + 0.1 + 2 / 3,
    reference: [1.1, 1.1],
  };

  it('is exported from the package root and returns the front of its evaluations', async () => {
    expect(library.paretoMinimize).toBe(paretoMinimize);
    const result = await library.paretoMinimize(problem.evaluate, problem.space, { nCalls: 12, nInitial: 6, randomState: 0 });
    expect(result.xIters).toHaveLength(12);
    expect(result.funIters).toEqual(result.xIters.map((x) => zdt1(x)));
    expect(result.front.map((p) => p.fun)).toEqual(nonDominatedIndices(result.funIters).map((i) => result.funIters[i]));
  });

  it('finds a front with more hypervolume than random search and NSGA-II on the same budget and states', async () => {
    for (const randomState of [0, 1, 2]) {
      const result = await paretoMinimize(problem.evaluate, problem.space, { nCalls: 30, nInitial: 8, randomState });
      const ours = hypervolume(result.funIters, problem.reference);
      expect(ours).toBeGreaterThan(hypervolume(randomSearchMulti(problem, 30, randomState), problem.reference));
      expect(ours).toBeGreaterThan(hypervolume(nsga2(zdt1, [0, 0, 0], [1, 1, 1], 30, randomState, { populationSize: 10 }), problem.reference));
    }
  });

  it('rejects an objective that does not return finite numbers', async () => {
    await expect(paretoMinimize(() => [1, Number.NaN], problem.space, { nCalls: 2 })).rejects.toThrow(/non-empty array of finite numbers/);
  });
});

describe('constrained EI (one objective, constraint GPs)', () => {
  it("reaches the penalty method's final quality with fewer infeasible evaluations, and ends at least as good", async () => {
    let ours = 0;
    let theirs = 0;
    for (const randomState of [0, 1, 2]) {
      const penalty = await runConstrained(GARDNER_NARROW, 'penalty', randomState);
      const quality = constrainedSummary(penalty).bestFeasible;
      const constrained = constrainedSummary(await runConstrained(GARDNER_NARROW, 'constrained-ei', randomState), quality);
      expect(constrained.reached).toBe(true);
      expect(constrained.bestFeasible).toBeLessThanOrEqual(quality);
      ours += constrained.infeasibleBeforeQuality;
      theirs += constrainedSummary(penalty, quality).infeasibleBeforeQuality;
    }
    expect(ours).toBeLessThan(theirs);
  });

  it('while nothing is feasible, proposes points the constraint model expects to be feasible', () => {
    // Feasible only for a > 0.9: the initial design will mostly miss it; the PoF search must head there.
    const optimizer = new ParetoOptimizer(SMALL_SPACE, 1, { ...FAST, randomState: 4, nConstraints: 1 });
    let feasibleAfterDesign = 0;
    for (let i = 0; i < 16; i++) {
      const [x] = optimizer.ask(1);
      const constraint = 0.9 - (x[0] as number);
      optimizer.tell(x, [(x[1] as number) ** 2], [constraint]);
      if (i >= FAST.nInitial && constraint <= 0) feasibleAfterDesign++;
    }
    expect(feasibleAfterDesign).toBeGreaterThanOrEqual(5);
  });
});
