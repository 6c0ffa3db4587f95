import fc from 'fast-check';
import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { ServesimError } from '../src/errors.js';
import {
  type Dimension,
  GaussianProcess,
  Optimizer,
  type OptimizerOptions,
  type Point,
  Rng,
  SearchSpace,
  expectedImprovement,
  lowerConfidenceBound,
  matern52,
  minimize,
  normalCdf,
  pointToRecord,
  probabilityOfImprovement,
  recordToPoint,
} from '../src/optimize/index.js';
import { acquisitionCost } from '../src/optimize/acquisition.js';
import { matern52RadialFactor } from '../src/optimize/kernel.js';
import { likelihoodWorkspace, negativeLogMarginalLikelihood } from '../src/optimize/gp.js';
import { minimizeBounded } from '../src/optimize/lbfgsb.js';
import { choleskyWithJitter, inverseFromCholesky } from '../src/optimize/linalg.js';

const FAST = { nCandidates: 400 } as const;

describe('Matérn-5/2 kernel', () => {
  it('matches (1 + √5 r + 5r²/3) exp(−√5 r) at known distances', () => {
    // Reference values computed independently (Python, math module).
    expect(matern52(0)).toBe(1);
    expect(matern52(0.5)).toBeCloseTo(0.8286491424181255, 14);
    expect(matern52(1)).toBeCloseTo(0.5239941088318203, 14);
    expect(matern52(2)).toBeCloseTo(0.13866021913850426, 14);
  });

  it('radial factor is −(1/r) dk/dr', () => {
    for (const r of [0.1, 0.7, 1.5]) {
      const h = 1e-6;
      const derivative = (matern52(r + h) - matern52(r - h)) / (2 * h);
      expect(matern52RadialFactor(r)).toBeCloseTo(-derivative / r, 7);
    }
    expect(matern52RadialFactor(0)).toBeCloseTo(5 / 3, 14);
  });
});

describe('linear algebra', () => {
  it('Cholesky and inverse agree with ml-matrix', () => {
    const rng = new Rng(7);
    const n = 12;
    const b = Matrix.zeros(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b.set(i, j, rng.uniform(-1, 1));
    const spd = b.mmul(b.transpose()).add(Matrix.eye(n, n).mul(0.1));
    const flat = Float64Array.from(spd.to1DArray());
    const factor = choleskyWithJitter(flat, n)!;
    expect(factor.jitter).toBe(0);
    const reference = new CholeskyDecomposition(spd).lowerTriangularMatrix.to1DArray();
    reference.forEach((v, i) => expect(factor.lower[i]).toBeCloseTo(v, 10));
    const ours = inverseFromCholesky(factor.lower, n);
    inverse(spd)
      .to1DArray()
      .forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 8));
  });

  it('adds jitter to a singular covariance instead of failing', () => {
    const singular = Float64Array.from([1, 1, 1, 1]);
    const factor = choleskyWithJitter(singular, 2)!;
    expect(factor.jitter).toBeGreaterThan(0);
  });
});

describe('Gaussian process posterior', () => {
  const hyper = { amplitude: 1.5, lengthScales: [0.4], noise: 1e-3 };

  it('two-point 1-D example matches the closed form with a hand-inverted 2×2 covariance', () => {
    const xs = [0.2, 0.7];
    const ys = [1, 3];
    // normalize_y: mean 2, population std 1 → normalised outputs −1, +1
    const yn = [-1, 1];
    const k = (a: number, b: number): number => hyper.amplitude * matern52(Math.abs(a - b) / hyper.lengthScales[0]);
    const k11 = k(xs[0], xs[0]) + hyper.noise;
    const k12 = k(xs[0], xs[1]);
    const k22 = k(xs[1], xs[1]) + hyper.noise;
    const det = k11 * k22 - k12 * k12;
    const kinv = [
      [k22 / det, -k12 / det],
      [-k12 / det, k11 / det],
    ];
    const gp = GaussianProcess.withHyperparameters(
      xs.map((x) => [x]),
      ys,
      hyper,
    );
    for (const x of [0, 0.2, 0.45, 0.9]) {
      const ks = [k(x, xs[0]), k(x, xs[1])];
      const a = [kinv[0][0] * ks[0] + kinv[0][1] * ks[1], kinv[1][0] * ks[0] + kinv[1][1] * ks[1]]; // K⁻¹ k*
      const mean = 2 + 1 * (a[0] * yn[0] + a[1] * yn[1]);
      const variance = hyper.amplitude - (ks[0] * a[0] + ks[1] * a[1]);
      const prediction = gp.predict([x]);
      expect(prediction.mean).toBeCloseTo(mean, 10);
      expect(prediction.std).toBeCloseTo(Math.sqrt(variance), 10);
    }
  });

  it('matches a dense reference on random 2-D data, and batch/gradient predictions agree', () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 9 }, () => [rng.next(), rng.next()]);
    const ys = xs.map(([a, b]) => Math.sin(6 * a) + b * b + 5);
    const h = { amplitude: 0.8, lengthScales: [0.3, 0.6], noise: 1e-4 };
    const gp = GaussianProcess.withHyperparameters(xs, ys, h);
    const mean = ys.reduce((s, v) => s + v, 0) / ys.length;
    const scale = Math.sqrt(ys.reduce((s, v) => s + (v - mean) ** 2, 0) / ys.length);
    const kernel = (a: number[], b: number[]): number =>
      h.amplitude * matern52(Math.hypot((a[0] - b[0]) / h.lengthScales[0], (a[1] - b[1]) / h.lengthScales[1]));
    const K = new Matrix(xs.map((a, i) => xs.map((b, j) => kernel(a, b) + (i === j ? h.noise : 0))));
    const Kinv = inverse(K);
    const alpha = Kinv.mmul(Matrix.columnVector(ys.map((y) => (y - mean) / scale)));
    const queries = [
      [0.1, 0.1],
      [0.5, 0.9],
      [0.95, 0.4],
    ];
    const flat = Float64Array.from(queries.flat());
    const batch = gp.predictBatch(flat, queries.length);
    queries.forEach((q, i) => {
      const ks = Matrix.rowVector(xs.map((x) => kernel(q, x)));
      const expectedMean = ks.mmul(alpha).get(0, 0) * scale + mean;
      const expectedStd = Math.sqrt(h.amplitude - ks.mmul(Kinv).mmul(ks.transpose()).get(0, 0)) * scale;
      expect(batch.mean[i]).toBeCloseTo(expectedMean, 9);
      expect(batch.std[i]).toBeCloseTo(expectedStd, 9);
      const dMean = new Float64Array(2);
      const dStd = new Float64Array(2);
      const p = gp.predictWithGradient(q, dMean, dStd);
      expect(p.mean).toBeCloseTo(expectedMean, 9);
      expect(p.std).toBeCloseTo(expectedStd, 9);
      for (let d = 0; d < 2; d++) {
        const step = 1e-6;
        const up = [...q];
        const down = [...q];
        up[d] += step;
        down[d] -= step;
        const fdMean = (gp.predict(up).mean - gp.predict(down).mean) / (2 * step);
        const fdStd = (gp.predict(up).std - gp.predict(down).std) / (2 * step);
        expect(dMean[d]).toBeCloseTo(fdMean, 5);
        expect(dStd[d]).toBeCloseTo(fdStd, 5);
      }
    });
  });

  it('log marginal likelihood gradient matches finite differences', () => {
    const rng = new Rng(11);
    const n = 10;
    const dims = 3;
    const inputs = Float64Array.from({ length: n * dims }, () => rng.next());
    const y = Float64Array.from({ length: n }, (_, i) => Math.cos(3 * inputs[i * dims]) + inputs[i * dims + 1]);
    const workspace = likelihoodWorkspace(inputs, n, dims);
    const theta = Float64Array.from([0.3, Math.log(0.5), Math.log(0.8), Math.log(1.7), Math.log(1e-2)]);
    const gradient = new Float64Array(theta.length);
    negativeLogMarginalLikelihood(inputs, dims, y, theta, gradient, workspace);
    for (let j = 0; j < theta.length; j++) {
      const step = 1e-5;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] += step;
      down[j] -= step;
      const fd =
        (negativeLogMarginalLikelihood(inputs, dims, y, up, null, workspace) -
          negativeLogMarginalLikelihood(inputs, dims, y, down, null, workspace)) /
        (2 * step);
      expect(gradient[j]).toBeCloseTo(fd, 5);
    }
  });

  it('fitting recovers a long length scale for an irrelevant input (ARD)', () => {
    const rng = new Rng(5);
    const xs = Array.from({ length: 25 }, () => [rng.next(), rng.next()]);
    const ys = xs.map(([a]) => Math.sin(5 * a));
    const gp = GaussianProcess.fit(xs, ys, { rng: new Rng(1) });
    const [relevant, irrelevant] = gp.hyperparameters.lengthScales;
    expect(irrelevant).toBeGreaterThan(5 * relevant);
    expect(gp.predict([0.5, 0.5]).mean).toBeCloseTo(Math.sin(2.5), 1);
  });
});

describe('acquisition functions', () => {
  it('expected improvement matches the closed form at known points', () => {
    // Reference values: Python with math.erfc.
    expect(expectedImprovement(0, 1, 0, 0)).toBeCloseTo(0.3989422804014327, 6);
    expect(expectedImprovement(1, 2, 0, 0.5)).toBeCloseTo(0.2623338357443066, 6);
    expect(expectedImprovement(-0.3, 0.2, 0.1, 0.01)).toBeCloseTo(0.39193959800032413, 6);
    expect(expectedImprovement(-1, 0, 0, 0)).toBe(1); // no uncertainty: the plain improvement
    expect(expectedImprovement(1, 0, 0, 0)).toBe(0);
  });

  it('probability of improvement and LCB', () => {
    expect(normalCdf(-0.75)).toBeCloseTo(0.2266273523768682, 7);
    expect(probabilityOfImprovement(-0.3, 0.2, 0.1, 0.01)).toBeCloseTo(0.9744119404783613, 6);
    expect(lowerConfidenceBound(2, 0.5, 1.96)).toBeCloseTo(1.02, 12);
  });

  it('cost derivatives match finite differences', () => {
    const parameters = { bestObserved: 0.2, xi: 0.01, kappa: 1.96 };
    for (const name of ['EI', 'PI', 'LCB'] as const) {
      const c = acquisitionCost(name, 0.1, 0.3, parameters);
      const h = 1e-6;
      const fdMean = (acquisitionCost(name, 0.1 + h, 0.3, parameters).value - acquisitionCost(name, 0.1 - h, 0.3, parameters).value) / (2 * h);
      const fdStd = (acquisitionCost(name, 0.1, 0.3 + h, parameters).value - acquisitionCost(name, 0.1, 0.3 - h, parameters).value) / (2 * h);
      expect(c.dMean).toBeCloseTo(fdMean, 5);
      expect(c.dStd).toBeCloseTo(fdStd, 5);
    }
  });
});

describe('bounded L-BFGS', () => {
  it('finds a minimum on the boundary (Rosenbrock with x ≤ 0.5)', () => {
    const rosenbrock = (x: Float64Array, g: Float64Array): number => {
      const [a, b] = x;
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const result = minimizeBounded(rosenbrock, [-1.2, 1], [-2, -2], [0.5, 2], { maxIterations: 500 });
    expect(result.x[0]).toBeCloseTo(0.5, 6);
    expect(result.x[1]).toBeCloseTo(0.25, 4);
  });
});

const mixedSpace: Dimension[] = [
  { kind: 'real', name: 'rate', low: 1e-3, high: 10, prior: 'log-uniform' },
  { kind: 'real', name: 'share', low: -1, high: 1, prior: 'uniform' },
  { kind: 'integer', name: 'batch', low: 1, high: 64 },
  { kind: 'integer', name: 'blocks', low: 16, high: 4096, prior: 'log-uniform' },
  { kind: 'categorical', name: 'policy', categories: ['fcfs', 'sjf', 'priority'] },
  { kind: 'categorical', name: 'flag', categories: [true, false] },
];

describe('search space', () => {
  const space = new SearchSpace(mixedSpace);

  it('lays out one column per numeric dimension and one per category', () => {
    expect(space.transformedSize).toBe(4 + 3 + 2);
    expect(space.continuousColumns).toEqual([0, 1]);
  });

  it('transforms known points as specified', () => {
    const z = space.transform([0.1, 0, 1, 4096, 'sjf', false]);
    expect(z[0]).toBeCloseTo(0.5, 12); // log10: −3 … 1, so 0.1 sits half way
    expect(z[1]).toBeCloseTo(0.5, 12);
    expect(z[2]).toBe(0);
    expect(z[3]).toBeCloseTo(1, 12);
    expect(Array.from(z.slice(4))).toEqual([0, 1, 0, 0, 1]);
  });

  it('round-trips every valid point (property)', () => {
    const point = fc.tuple(
      fc.double({ min: 1e-3, max: 10, noNaN: true }),
      fc.double({ min: -1, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 16, max: 4096 }),
      fc.constantFrom('fcfs', 'sjf', 'priority'),
      fc.boolean(),
    );
    fc.assert(
      fc.property(point, (p) => {
        const z = space.transform(p);
        for (const v of z) expect(v >= 0 && v <= 1).toBe(true);
        const back = space.inverseTransform(z);
        expect(back[0] as number).toBeCloseTo(p[0], 9);
        expect(back[1] as number).toBeCloseTo(p[1], 12);
        expect(back.slice(2)).toEqual(p.slice(2));
      }),
    );
  });

  it('decodes any vector in the unit cube to a valid point (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 9, maxLength: 9 }), (z) => {
        const point = space.inverseTransform(z);
        expect(() => space.validatePoint(point)).not.toThrow();
        expect(Number.isInteger(point[2]) && Number.isInteger(point[3])).toBe(true);
      }),
    );
  });

  it('samples integers uniformly, including both ends', () => {
    const small = new SearchSpace([{ kind: 'integer', name: 'k', low: 0, high: 3 }]);
    const rng = new Rng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[small.samplePoint(rng)[0] as number]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it('converts points to and from name → value records', () => {
    const point: Point = [0.5, 0.25, 8, 256, 'priority', true];
    const record = pointToRecord(mixedSpace, point);
    expect(record).toEqual({ rate: 0.5, share: 0.25, batch: 8, blocks: 256, policy: 'priority', flag: true });
    expect(recordToPoint(mixedSpace, record)).toEqual(point);
    expect(() => recordToPoint(mixedSpace, { ...record, extra: 1 })).toThrow(/unknown dimension "extra"/);
  });

  it('rejects invalid spaces and points with clear errors', () => {
    const bad = (dims: unknown, message: RegExp): void => {
      expect(() => new SearchSpace(dims as Dimension[])).toThrow(ServesimError);
      expect(() => new SearchSpace(dims as Dimension[])).toThrow(message);
    };
    bad([], /at least one dimension/);
    bad([{ kind: 'real', name: 'a', low: 1, high: 1 }], /"a": low must be < high/);
    bad([{ kind: 'real', name: 'a', low: 0, high: 1, prior: 'log-uniform' }], /"a": a log-uniform prior needs low > 0/);
    bad([{ kind: 'integer', name: 'k', low: 0.5, high: 3 }], /"k": integer bounds must be integers/);
    bad([{ kind: 'categorical', name: 'c', categories: [] }], /"c": categories must be a non-empty array/);
    bad([{ kind: 'categorical', name: 'c', categories: ['x', 'x'] }], /duplicate category "x"/);
    bad(
      [
        { kind: 'real', name: 'a', low: 0, high: 1 },
        { kind: 'integer', name: 'a', low: 0, high: 3 },
      ],
      /"a": duplicate dimension name/,
    );
    bad([{ kind: 'ordinal', name: 'o' }], /kind must be 'real', 'integer' or 'categorical'/);
    expect(() => space.transform([20, 0, 1, 16, 'sjf', true])).toThrow(/"rate": 20 is outside \[0.001, 10\]/);
    expect(() => space.transform([1, 0, 1.5, 16, 'sjf', true])).toThrow(/"batch": expected an integer/);
    expect(() => space.transform([1, 0, 1, 16, 'lifo', true])).toThrow(/"policy": "lifo" is not one of/);
    expect(() => space.transform([1, 0])).toThrow(/point must be an array of 6 values/);
  });
});

const quadratic = ([x, y]: Point): number => ((x as number) - 0.3) ** 2 + ((y as number) + 0.2) ** 2;
const square: Dimension[] = [
  { kind: 'real', name: 'x', low: -1, high: 1, prior: 'uniform' },
  { kind: 'real', name: 'y', low: -1, high: 1, prior: 'uniform' },
];

describe('minimize', () => {
  it('converges on a quadratic', async () => {
    const result = await minimize(quadratic, square, { nCalls: 20, nInitial: 6, randomState: 1, ...FAST });
    expect(result.fun).toBeLessThan(1e-3);
    expect(result.xIters).toHaveLength(20);
    expect(result.funIters).toEqual(result.xIters.map(quadratic));
    expect(result.models.length).toBeGreaterThan(0);
  });

  it('is deterministic for a fixed randomState and differs across states', async () => {
    const run = (randomState: number) => minimize(quadratic, square, { nCalls: 12, nInitial: 5, randomState, ...FAST });
    const [a, b, c] = await Promise.all([run(4), run(4), run(5)]);
    expect(a.xIters).toEqual(b.xIters);
    expect(a.funIters).toEqual(b.funIters);
    expect(a.xIters).not.toEqual(c.xIters);
  });

  it('handles a mixed space without repeating points, and reports sources', async () => {
    const sources: string[] = [];
    const objective = ([rate, share, batch, blocks, policy, flag]: Point): number =>
      (Math.log10(rate as number) + 1) ** 2 +
      ((share as number) - 0.5) ** 2 +
      (((batch as number) - 12) / 64) ** 2 +
      (Math.log2(blocks as number) - 9) ** 2 / 20 +
      (policy === 'sjf' ? 0 : 0.5) +
      (flag ? 0 : 0.2);
    const result = await minimize(objective, mixedSpace, {
      nCalls: 18,
      nInitial: 8,
      randomState: 2,
      ...FAST,
      onIteration: (info) => void sources.push(info.source),
    });
    const keys = result.xIters.map((p) => JSON.stringify(p));
    expect(new Set(keys).size).toBe(keys.length);
    result.xIters.forEach((p) => expect(() => new SearchSpace(mixedSpace).validatePoint(p)).not.toThrow());
    expect(sources.slice(0, 8).every((s) => s === 'initial')).toBe(true);
    expect(sources.slice(8).every((s) => ['EI', 'PI', 'LCB'].includes(s))).toBe(true);
  });

  it('counts initialPoints as observations and stops when onIteration returns true', async () => {
    const initialPoints = [
      { x: [0.3, -0.2], y: 0 },
      { x: [1, 1], y: quadratic([1, 1]) },
    ];
    const result = await minimize(quadratic, square, {
      nCalls: 10,
      nInitial: 4,
      initialPoints,
      ...FAST,
      onIteration: (info) => info.iteration === 3,
    });
    expect(result.xIters).toHaveLength(5);
    expect(result.fun).toBe(0);
    expect(result.x).toEqual([0.3, -0.2]);
  });

  it('evaluates constant-liar batches in parallel', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const objective = async (x: Point): Promise<number> => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((resolve) => setTimeout(resolve, 1));
      concurrent--;
      return quadratic(x);
    };
    const result = await minimize(objective, square, { nCalls: 20, nInitial: 6, batchSize: 4, randomState: 3, ...FAST });
    expect(maxConcurrent).toBe(4);
    expect(new Set(result.xIters.map((p) => JSON.stringify(p))).size).toBe(20);
    expect(result.fun).toBeLessThan(0.01);
  });

  it('never repeats a point of a small discrete space until it is exhausted', async () => {
    const tiny: Dimension[] = [
      { kind: 'categorical', name: 'c', categories: ['a', 'b', 'c'] },
      { kind: 'integer', name: 'k', low: 0, high: 1 },
    ];
    const objective = ([c, k]: Point): number => (c === 'b' ? 0 : 1) + (k as number);
    const six = await minimize(objective, tiny, { nCalls: 6, nInitial: 2, randomState: 0, ...FAST });
    expect(new Set(six.xIters.map((p) => JSON.stringify(p))).size).toBe(6);
    expect(six.fun).toBe(0);
    const more = await minimize(objective, tiny, { nCalls: 8, nInitial: 2, randomState: 0, ...FAST });
    expect(more.xIters).toHaveLength(8);
  });

  it('rejects a non-finite objective value', async () => {
    await expect(minimize(() => NaN, square, { nCalls: 2 })).rejects.toThrow(/objective returned NaN/);
  });
});

describe('Optimizer ask/tell', () => {
  const options = { nInitial: 5, randomState: 9, ...FAST };

  function runSequential(steps: number, extra: OptimizerOptions = {}): Point[] {
    const optimizer = new Optimizer(square, { ...options, ...extra });
    const asked: Point[] = [];
    for (let i = 0; i < steps; i++) {
      const x = optimizer.ask();
      asked.push(x);
      optimizer.tell(x, quadratic(x));
    }
    return asked;
  }

  function resumeAndContinue(stored: Point[], steps: number, extra: OptimizerOptions = {}): Point[] {
    const optimizer = new Optimizer(square, { ...options, ...extra });
    optimizer.tell(stored, stored.map(quadratic));
    const asked = [...stored];
    while (asked.length < steps) {
      const x = optimizer.ask();
      asked.push(x);
      optimizer.tell(x, quadratic(x));
    }
    return asked;
  }

  it('resuming from stored observations reproduces the uninterrupted run (gp_hedge)', () => {
    const uninterrupted = runSequential(14);
    expect(resumeAndContinue(uninterrupted.slice(0, 9), 14)).toEqual(uninterrupted);
    // Resuming inside the initial design works the same way.
    expect(resumeAndContinue(uninterrupted.slice(0, 3), 14)).toEqual(uninterrupted);
  });

  it('resuming reproduces the run for a single acquisition function too', () => {
    const uninterrupted = runSequential(12, { acqFunc: 'EI' });
    expect(resumeAndContinue(uninterrupted.slice(0, 8), 12, { acqFunc: 'EI' })).toEqual(uninterrupted);
  });

  it('ask is idempotent until tell, and batches are deterministic for a fixed size', () => {
    const makeBatches = (): Point[][] => {
      const optimizer = new Optimizer(square, options);
      const batches: Point[][] = [];
      for (let round = 0; round < 4; round++) {
        const batch = optimizer.ask(3);
        expect(optimizer.ask(3)).toEqual(batch);
        batches.push(batch);
        optimizer.tell(batch, batch.map(quadratic));
      }
      return batches;
    };
    const first = makeBatches();
    expect(makeBatches()).toEqual(first);
    const all = first.flat().map((p) => JSON.stringify(p));
    expect(new Set(all).size).toBe(all.length);
  });

  it('a resumed batch run matches the uninterrupted one', () => {
    const optimizer = new Optimizer(square, options);
    const told: Point[] = [];
    const batches: Point[][] = [];
    for (let round = 0; round < 4; round++) {
      const batch = optimizer.ask(2);
      batches.push(batch);
      told.push(...batch);
      optimizer.tell(batch, batch.map(quadratic));
    }
    const resumed = new Optimizer(square, options);
    const stored = told.slice(0, 6);
    resumed.tell(stored, stored.map(quadratic));
    expect(resumed.ask(2)).toEqual(batches[3]);
  });

  it('validates what it is told', () => {
    const optimizer = new Optimizer(square, options);
    expect(() => optimizer.tell([0, 2], 1)).toThrow(/"y": 2 is outside \[-1, 1\]/);
    expect(() => optimizer.tell([0, 0], Infinity)).toThrow(/finite number/);
    expect(() => optimizer.tell([[0, 0]], [1, 2])).toThrow(/1 points but 2 values/);
    expect(optimizer.observationCount).toBe(0);
    expect(() => new Optimizer(square, { acqFunc: 'UCB' as never })).toThrow(/acqFunc must be one of/);
    expect(() => new Optimizer(square, { nInitial: -1 })).toThrow(/nInitial must be an integer >= 0/);
  });
});
