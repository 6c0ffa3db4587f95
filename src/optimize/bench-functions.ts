// Standard test functions and the benchmark behind `npm run bench:optimizer`: GP-BO against random search
// with the same evaluation budget, over several random states. The optimiser only ever sees the objective
// and the search box, never where the optimum is.

import { minimize } from './minimize.js';
import type { OptimizerOptions } from './optimizer.js';
import { Rng, StreamPurpose } from './random.js';
import { type Dimension, type Point, SearchSpace } from './space.js';

export interface BenchmarkProblem {
  name: string;
  space: Dimension[];
  objective: (x: Point) => number;
  nCalls: number;
  /** Known global minimum (for reporting only). */
  globalMinimum: number;
}

/** Branin–Hoo on [−5, 10] × [0, 15]; three global minima of 0.397887. */
export function branin([x1, x2]: Point): number {
  const a = 1;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const r = 6;
  const s = 10;
  const t = 1 / (8 * Math.PI);
  const u = x1 as number;
  const v = x2 as number;
  return a * (v - b * u * u + c * u - r) ** 2 + s * (1 - t) * Math.cos(u) + s;
}

const HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const HARTMANN6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann 6-D on [0, 1]^6; global minimum −3.32237. */
export function hartmann6(x: Point): number {
  let total = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += HARTMANN6_A[i][j] * ((x[j] as number) - HARTMANN6_P[i][j]) ** 2;
    total -= HARTMANN6_ALPHA[i] * Math.exp(-inner);
  }
  return total;
}

export const BENCHMARK_PROBLEMS: readonly BenchmarkProblem[] = [
  {
    name: 'branin',
    space: [
      { kind: 'real', name: 'x1', low: -5, high: 10, prior: 'uniform' },
      { kind: 'real', name: 'x2', low: 0, high: 15, prior: 'uniform' },
    ],
    objective: branin,
    nCalls: 50,
    globalMinimum: 0.397887,
  },
  {
    name: 'hartmann6',
    space: Array.from({ length: 6 }, (_, i) => ({ kind: 'real' as const, name: `x${i + 1}`, low: 0, high: 1, prior: 'uniform' as const })),
    objective: hartmann6,
    nCalls: 100,
    globalMinimum: -3.32237,
  },
];

/** Best value found by `nCalls` uniform random samples from the priors. */
export function randomSearch(objective: (x: Point) => number, dimensions: readonly Dimension[], nCalls: number, randomState: number): number {
  const space = new SearchSpace(dimensions);
  const rng = Rng.derived(randomState, StreamPurpose.extraInitialPoint, 0x5eed);
  let best = Infinity;
  for (let i = 0; i < nCalls; i++) best = Math.min(best, objective(space.samplePoint(rng)));
  return best;
}

export interface BenchmarkRow {
  problem: string;
  nCalls: number;
  globalMinimum: number;
  randomStates: number[];
  optimizerBest: number[];
  randomSearchBest: number[];
  /** Wall time of each optimiser run, ms. */
  optimizerMs: number[];
  /** CPU time (user + system) of each optimiser run, ms: unlike wall time, not inflated by other processes. */
  optimizerCpuMs: number[];
}

export async function runOptimizerBenchmark(
  problems: readonly BenchmarkProblem[] = BENCHMARK_PROBLEMS,
  randomStates: readonly number[] = Array.from({ length: 10 }, (_, i) => i),
  options: OptimizerOptions = {},
  onRun?: (problem: string, randomState: number, best: number, ms: number) => void,
): Promise<BenchmarkRow[]> {
  const rows: BenchmarkRow[] = [];
  for (const problem of problems) {
    const row: BenchmarkRow = {
      problem: problem.name,
      nCalls: problem.nCalls,
      globalMinimum: problem.globalMinimum,
      randomStates: [...randomStates],
      optimizerBest: [],
      randomSearchBest: [],
      optimizerMs: [],
      optimizerCpuMs: [],
    };
    for (const randomState of randomStates) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const result = await minimize(problem.objective, problem.space, { ...options, nCalls: problem.nCalls, randomState });
      const cpu = process.cpuUsage(cpuBefore);
      const ms = performance.now() - started;
      row.optimizerBest.push(result.fun);
      row.optimizerMs.push(ms);
      row.optimizerCpuMs.push((cpu.user + cpu.system) / 1000);
      row.randomSearchBest.push(randomSearch(problem.objective, problem.space, problem.nCalls, randomState));
      onRun?.(problem.name, randomState, result.fun, ms);
    }
    rows.push(row);
  }
  return rows;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
