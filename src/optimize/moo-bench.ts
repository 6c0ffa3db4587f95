// Multi-objective and constrained test problems and the peers behind `npm run bench:moo`: the ParetoOptimizer
// against NSGA-II and random search on ZDT1, ZDT2 and DTLZ2, and constrained EI against the penalty method
// (through the single-objective Optimizer) on constrained toy problems. The optimisers see only the objective
// functions and the search box.

import { minimize } from './minimize.js';
import { ParetoOptimizer, paretoMinimize } from './pareto-optimizer.js';
import { hypervolume, nonDominatedSort } from './pareto.js';
import { Rng } from './random.js';
import { type Dimension, type Point, SearchSpace } from './space.js';

export interface MultiObjectiveProblem {
  name: string;
  space: Dimension[];
  objectives: number;
  evaluate: (x: Point) => number[];
  /** Hypervolume of the true front with the reference point below (for reporting). */
  trueHypervolume: number;
  reference: number[];
}

const unitCube = (dims: number): Dimension[] =>
  Array.from({ length: dims }, (_, i) => ({ kind: 'real' as const, name: `x${i + 1}`, low: 0, high: 1 }));

function zdtG(x: Point): number {
  let sum = 0;
  for (let i = 1; i < x.length; i++) sum += x[i] as number;
  return 1 + (9 * sum) / (x.length - 1);
}

/** ZDT1 (Zitzler, Deb & Thiele 2000): convex front f2 = 1 − √f1 at x2..n = 0. */
export function zdt1(x: Point): number[] {
  const f1 = x[0] as number;
  const g = zdtG(x);
  return [f1, g * (1 - Math.sqrt(f1 / g))];
}

/** ZDT2: concave front f2 = 1 − f1² at x2..n = 0. */
export function zdt2(x: Point): number[] {
  const f1 = x[0] as number;
  const g = zdtG(x);
  return [f1, g * (1 - (f1 / g) ** 2)];
}

/** DTLZ2 with 3 objectives (Deb et al. 2002): front is the unit sphere's positive octant at x3..n = 0.5. */
export function dtlz2(x: Point): number[] {
  let g = 0;
  for (let i = 2; i < x.length; i++) g += ((x[i] as number) - 0.5) ** 2;
  const a = ((x[0] as number) * Math.PI) / 2;
  const b = ((x[1] as number) * Math.PI) / 2;
  return [(1 + g) * Math.cos(a) * Math.cos(b), (1 + g) * Math.cos(a) * Math.sin(b), (1 + g) * Math.sin(a)];
}

export const MULTI_OBJECTIVE_PROBLEMS: readonly MultiObjectiveProblem[] = [
  // True hypervolumes with reference 1.1: 1.21 − ∫(1 − √f) = 0.1 + 2/3 + 0.11; 0.1 + 1/3 + 0.11; 1.331 − π/6.
  { name: 'zdt1', space: unitCube(6), objectives: 2, evaluate: zdt1, trueHypervolume: 0.11 + 0.1 + 2 / 3, reference: [1.1, 1.1] },
  { name: 'zdt2', space: unitCube(6), objectives: 2, evaluate: zdt2, trueHypervolume: 0.11 + 0.1 + 1 / 3, reference: [1.1, 1.1] },
  { name: 'dtlz2', space: unitCube(6), objectives: 3, evaluate: dtlz2, trueHypervolume: 1.331 - Math.PI / 6, reference: [1.1, 1.1, 1.1] },
];

/** Objective vectors of `nCalls` uniform random points. */
export function randomSearchMulti(problem: MultiObjectiveProblem, nCalls: number, randomState: number): number[][] {
  const space = new SearchSpace(problem.space);
  const rng = Rng.derived(randomState, 0x4a4d);
  return Array.from({ length: nCalls }, () => problem.evaluate(space.samplePoint(rng)));
}

export interface Nsga2Options {
  populationSize?: number;
  /** SBX crossover probability per pair. Default 0.9. */
  crossoverProbability?: number;
  /** SBX distribution index. Default 15. */
  crossoverEta?: number;
  /** Polynomial mutation distribution index. Default 20; mutation probability per variable 1/n. */
  mutationEta?: number;
}

/**
 * NSGA-II (Deb et al. 2002) on a box of real variables: binary tournaments on (rank, crowding distance), SBX
 * crossover and polynomial mutation (Deb's bounded forms), elitist (μ + λ) survival by non-dominated sorting and
 * crowding distance. Returns the objective vectors of every evaluation (nCalls of them). Written here because
 * no maintained npm package offers a plain NSGA-II on a box (the JS ones are unmaintained demos).
 */
export function nsga2(
  evaluate: (x: number[]) => number[],
  lower: readonly number[],
  upper: readonly number[],
  nCalls: number,
  randomState: number,
  options: Nsga2Options = {},
): number[][] {
  const size = options.populationSize ?? 20;
  const pc = options.crossoverProbability ?? 0.9;
  const etaC = options.crossoverEta ?? 15;
  const etaM = options.mutationEta ?? 20;
  const n = lower.length;
  const rng = Rng.derived(randomState, 0x45a2);
  const evaluated: number[][] = [];
  const score = (x: number[]): Individual => {
    const f = evaluate(x);
    evaluated.push(f);
    return { x, f, rank: 0, crowding: 0 };
  };
  let population: Individual[] = [];
  for (let i = 0; i < size && evaluated.length < nCalls; i++) {
    population.push(score(lower.map((low, j) => rng.uniform(low, upper[j]))));
  }
  assignRankAndCrowding(population);
  while (evaluated.length < nCalls) {
    const offspring: Individual[] = [];
    while (offspring.length < size && evaluated.length < nCalls) {
      const a = tournament(population, rng);
      const b = tournament(population, rng);
      const [c1, c2] = rng.next() < pc ? sbx(a.x, b.x, lower, upper, etaC, rng) : [[...a.x], [...b.x]];
      for (const child of [c1, c2]) {
        if (offspring.length >= size || evaluated.length >= nCalls) break;
        polynomialMutation(child, lower, upper, etaM, 1 / n, rng);
        offspring.push(score(child));
      }
    }
    population = survive([...population, ...offspring], size);
  }
  return evaluated;
}

interface Individual {
  x: number[];
  f: number[];
  rank: number;
  crowding: number;
}

function tournament(population: readonly Individual[], rng: Rng): Individual {
  const a = population[rng.int(population.length)];
  const b = population[rng.int(population.length)];
  if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
  if (a.crowding !== b.crowding) return a.crowding > b.crowding ? a : b;
  return rng.next() < 0.5 ? a : b;
}

function assignRankAndCrowding(population: Individual[]): number[][] {
  const fronts = nonDominatedSort(population.map((p) => p.f));
  fronts.forEach((front, rank) => {
    for (const i of front) population[i].rank = rank;
    crowdingDistance(front.map((i) => population[i]));
  });
  return fronts;
}

/** Crowding distance within one front: boundary points get ∞, others the normalised perimeter of their cuboid. */
function crowdingDistance(front: Individual[]): void {
  for (const p of front) p.crowding = 0;
  if (front.length === 0) return;
  const objectives = front[0].f.length;
  for (let m = 0; m < objectives; m++) {
    const sorted = [...front].sort((a, b) => a.f[m] - b.f[m]);
    const span = sorted[sorted.length - 1].f[m] - sorted[0].f[m];
    sorted[0].crowding = Infinity;
    sorted[sorted.length - 1].crowding = Infinity;
    if (span <= 0) continue;
    for (let i = 1; i < sorted.length - 1; i++) sorted[i].crowding += (sorted[i + 1].f[m] - sorted[i - 1].f[m]) / span;
  }
}

function survive(combined: Individual[], size: number): Individual[] {
  const fronts = assignRankAndCrowding(combined);
  const next: Individual[] = [];
  for (const front of fronts) {
    const members = front.map((i) => combined[i]);
    if (next.length + members.length <= size) {
      next.push(...members);
    } else {
      members.sort((a, b) => b.crowding - a.crowding);
      next.push(...members.slice(0, size - next.length));
      break;
    }
  }
  return next;
}

/** Simulated binary crossover (Deb & Agrawal 1995), bounded form, each variable with probability 1/2. */
function sbx(p1: readonly number[], p2: readonly number[], lower: readonly number[], upper: readonly number[], eta: number, rng: Rng): [number[], number[]] {
  const c1 = [...p1];
  const c2 = [...p2];
  for (let i = 0; i < p1.length; i++) {
    if (rng.next() > 0.5 || Math.abs(p1[i] - p2[i]) <= 1e-14) continue;
    const y1 = Math.min(p1[i], p2[i]);
    const y2 = Math.max(p1[i], p2[i]);
    const u = rng.next();
    const spread = (beta: number): number => {
      const alpha = 2 - beta ** -(eta + 1);
      return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
    };
    const betaLow = spread(1 + (2 * (y1 - lower[i])) / (y2 - y1));
    const betaHigh = spread(1 + (2 * (upper[i] - y2)) / (y2 - y1));
    let a = 0.5 * (y1 + y2 - betaLow * (y2 - y1));
    let b = 0.5 * (y1 + y2 + betaHigh * (y2 - y1));
    a = Math.min(Math.max(a, lower[i]), upper[i]);
    b = Math.min(Math.max(b, lower[i]), upper[i]);
    if (rng.next() < 0.5) [a, b] = [b, a];
    c1[i] = a;
    c2[i] = b;
  }
  return [c1, c2];
}

/** Polynomial mutation (Deb & Goyal 1996), bounded form, in place. */
function polynomialMutation(x: number[], lower: readonly number[], upper: readonly number[], eta: number, probability: number, rng: Rng): void {
  const power = 1 / (eta + 1);
  for (let i = 0; i < x.length; i++) {
    if (rng.next() >= probability) continue;
    const range = upper[i] - lower[i];
    const d1 = (x[i] - lower[i]) / range;
    const d2 = (upper[i] - x[i]) / range;
    const u = rng.next();
    let deltaq: number;
    if (u < 0.5) {
      const value = 2 * u + (1 - 2 * u) * (1 - d1) ** (eta + 1);
      deltaq = value ** power - 1;
    } else {
      const value = 2 * (1 - u) + 2 * (u - 0.5) * (1 - d2) ** (eta + 1);
      deltaq = 1 - value ** power;
    }
    x[i] = Math.min(Math.max(x[i] + deltaq * range, lower[i]), upper[i]);
  }
}

export interface MultiObjectiveBenchmarkRun {
  problem: string;
  method: 'servesim-ehvi' | 'nsga2' | 'random';
  randomState: number;
  hypervolume: number;
  ms: number;
}

/** One run of a method on a problem; hypervolume of every evaluation made, with the problem's reference. */
export async function runMultiObjective(
  problem: MultiObjectiveProblem,
  method: MultiObjectiveBenchmarkRun['method'],
  nCalls: number,
  randomState: number,
): Promise<MultiObjectiveBenchmarkRun> {
  const started = performance.now();
  let values: number[][];
  if (method === 'servesim-ehvi') {
    values = (await paretoMinimize(problem.evaluate, problem.space, { nCalls, randomState })).funIters;
  } else if (method === 'nsga2') {
    const lower = problem.space.map((d) => (d.kind === 'categorical' ? 0 : d.low));
    const upper = problem.space.map((d) => (d.kind === 'categorical' ? 1 : d.high));
    values = nsga2(problem.evaluate, lower, upper, nCalls, randomState);
  } else {
    values = randomSearchMulti(problem, nCalls, randomState);
  }
  return { problem: problem.name, method, randomState, hypervolume: hypervolume(values, problem.reference), ms: performance.now() - started };
}

export interface ConstrainedProblem {
  name: string;
  space: Dimension[];
  objective: (x: Point) => number;
  /** Feasible iff ≤ 0. */
  constraint: (x: Point) => number;
  nCalls: number;
  description: string;
  /** The constrained minimum (for reporting). */
  optimum: number;
}

/** Gardner et al. 2014's first simulation: min cos(2x)cos(y) + sin(x) s.t. cos(x)cos(y) − sin(x)sin(y) ≤ 0.5 on [0, 6]². */
export const GARDNER_TOY: ConstrainedProblem = {
  name: 'gardner',
  description: 'min cos 2x·cos y + sin x s.t. cos(x + y) ≤ 0.5 on [0, 6]²',
  optimum: -2, // at (3π/2, 0), where cos(x + y) = 0
  space: [
    { kind: 'real', name: 'x', low: 0, high: 6 },
    { kind: 'real', name: 'y', low: 0, high: 6 },
  ],
  objective: ([x, y]) => Math.cos(2 * (x as number)) * Math.cos(y as number) + Math.sin(x as number),
  constraint: ([x, y]) => Math.cos(x as number) * Math.cos(y as number) - Math.sin(x as number) * Math.sin(y as number) - 0.5,
  nCalls: 40,
};

/** Gardner et al. 2014's second simulation: min sin x + y s.t. sin x · sin y ≤ −0.95 on [0, 6]² (a small feasible region). */
export const GARDNER_NARROW: ConstrainedProblem = {
  name: 'gardner-narrow',
  description: 'min sin x + y s.t. sin x·sin y ≤ −0.95 on [0, 6]²',
  optimum: -1 + Math.asin(0.95), // at (3π/2, asin 0.95), on the constraint's boundary
  space: GARDNER_TOY.space,
  objective: ([x, y]) => Math.sin(x as number) + (y as number),
  constraint: ([x, y]) => Math.sin(x as number) * Math.sin(y as number) + 0.95,
  nCalls: 40,
};

export const CONSTRAINED_PROBLEMS: readonly ConstrainedProblem[] = [GARDNER_TOY, GARDNER_NARROW];

export interface ConstrainedBenchmarkRun {
  problem: string;
  method: 'constrained-ei' | 'penalty';
  randomState: number;
  /** Objective and constraint value of every evaluation, in order. */
  evaluations: { objective: number; constraint: number }[];
  ms: number;
}

/**
 * Constrained EI (ParetoOptimizer with one objective and one constraint GP) or the penalty method: the
 * single-objective Optimizer minimising objective + weight × violation, as the lab's penalty form does.
 */
export async function runConstrained(
  problem: ConstrainedProblem,
  method: ConstrainedBenchmarkRun['method'],
  randomState: number,
  penaltyWeight = 100,
): Promise<ConstrainedBenchmarkRun> {
  const started = performance.now();
  let points: Point[] = [];
  if (method === 'constrained-ei') {
    const optimizer = new ParetoOptimizer(problem.space, 1, { randomState, nConstraints: 1 });
    for (let call = 0; call < problem.nCalls; call++) {
      const [x] = optimizer.ask(1);
      optimizer.tell(x, [problem.objective(x)], [problem.constraint(x)]);
      points.push(x);
    }
  } else {
    const penalised = (x: Point): number => problem.objective(x) + penaltyWeight * Math.max(problem.constraint(x), 0);
    points = (await minimize(penalised, problem.space, { nCalls: problem.nCalls, randomState })).xIters;
  }
  const evaluations = points.map((x) => ({ objective: problem.objective(x), constraint: problem.constraint(x) }));
  return { problem: problem.name, method, randomState, evaluations, ms: performance.now() - started };
}

/** Summary of a constrained run: infeasible evaluations, best feasible value, and the cost of reaching `quality`. */
export function constrainedSummary(
  run: ConstrainedBenchmarkRun,
  quality = -Infinity,
): { infeasible: number; bestFeasible: number; reached: boolean; infeasibleBeforeQuality: number } {
  let infeasible = 0;
  let bestFeasible = Infinity;
  let infeasibleBeforeQuality: number | undefined;
  for (const { objective, constraint } of run.evaluations) {
    if (constraint > 0) {
      infeasible++;
      continue;
    }
    bestFeasible = Math.min(bestFeasible, objective);
    if (infeasibleBeforeQuality === undefined && objective <= quality) infeasibleBeforeQuality = infeasible;
  }
  return { infeasible, bestFeasible, reached: infeasibleBeforeQuality !== undefined, infeasibleBeforeQuality: infeasibleBeforeQuality ?? infeasible };
}
