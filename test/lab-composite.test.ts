// `surrogate: composite` (src/lab/composite.ts, src/optimize/composite.ts): one GP per metric and the expected
// improvement of the known on-means score, against the synthetic evaluator of test/lab/helpers.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompositeOptimizer } from '../src/optimize/composite.js';
import { Optimizer } from '../src/optimize/optimizer.js';
import type { Dimension } from '../src/optimize/space.js';
import { compositeOptimizerFactory, optimizerFactoryFor, surrogateOption } from '../src/lab/composite.js';
import { gpOptimizerFactory, type OptimizeSettings } from '../src/lab/optimize.js';
import { optimizeStrategy } from '../src/lab/optimize-strategy.js';
import { loadStrategy } from '../src/lab/strategy.js';
import { countingEvaluator, labSetup, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

const settings: OptimizeSettings = { seeds: [42, 43, 44], nCalls: 12, nInitial: 5, randomState: 42 };
const COMPOSITE_STRATEGY = `${THREE_PARAM_STRATEGY}penalties: on_means\nsurrogate: composite\n`;

function setup(yaml: string, jobs: number, options: Parameters<typeof countingEvaluator>[0] = {}, storeFile?: string) {
  const lab = labSetup(yaml, jobs, options, storeFile);
  return { ...lab, createOptimizer: optimizerFactoryFor(lab.strategy) };
}

describe('CompositeOptimizer', () => {
  const space: Dimension[] = [
    { kind: 'real', name: 'x', low: 0, high: 1 },
    { kind: 'real', name: 'y', low: 0, high: 1 },
  ];
  // Outputs: a smooth bowl and a smooth "load"; the score adds a hinge on the load (kinked, like the lab's penalties).
  const outputsAt = (x: number, y: number) => [1 + (x - 0.7) ** 2 + (y - 0.2) ** 2, x + y];
  const score = (o: readonly number[]) => o[0]! + 20 * Math.max(0, o[1]! - 0.8);

  function run(randomState: number) {
    const optimizer = new CompositeOptimizer(space, { nInitial: 6, randomState }, score);
    const scores: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [p] = optimizer.ask(1);
      const o = outputsAt(p![0] as number, p![1] as number);
      scores.push(score(o));
      optimizer.tell(p!, score(o), o);
    }
    return scores;
  }

  it('starts with the default optimiser\'s space-filling design and is deterministic', () => {
    const composite = new CompositeOptimizer(space, { nInitial: 6, randomState: 5 }, score);
    const plain = new Optimizer(space, { nInitial: 6, randomState: 5 });
    expect(composite.ask(6)).toEqual(plain.ask(6));
    expect(run(3)).toEqual(run(3));
  });

  it('finds the minimum of a kinked composite score (1.005 at (0.65, 0.15), on the hinge x + y = 0.8)', () => {
    // On the hinge x + y = 0.8 the bowl is minimal at (0.65, 0.15): 1 + 0.0025 + 0.0025 = 1.005.
    for (const state of [0, 1, 2]) expect(Math.min(...run(state))).toBeLessThan(1.03);
  });
});

describe('optimize with surrogate: composite', () => {
  it('is identical whatever the parallelism, and evaluates every point on every seed', async () => {
    const runs = [];
    for (const jobs of [1, 2, 5]) {
      const s = setup(COMPOSITE_STRATEGY, jobs, { delays: true });
      const r = await optimizeStrategy(s.strategy, settings, { evaluator: s.evaluator, store: s.store, createOptimizer: s.createOptimizer });
      expect(s.fake.calls).toHaveLength(settings.nCalls * 3);
      runs.push({ trace: r.trace, best: r.best_params, score: r.best_score });
      s.store.close();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('proposes other points than the default GP after the shared design', async () => {
    const composite = setup(COMPOSITE_STRATEGY, 1);
    const plain = setup(`${THREE_PARAM_STRATEGY}penalties: on_means\n`, 1);
    const a = await optimizeStrategy(composite.strategy, settings, { evaluator: composite.evaluator, createOptimizer: composite.createOptimizer });
    const b = await optimizeStrategy(plain.strategy, settings, { evaluator: plain.evaluator, createOptimizer: gpOptimizerFactory });
    expect(a.trace.slice(0, 5).map((t) => t.params)).toEqual(b.trace.slice(0, 5).map((t) => t.params));
    expect(a.trace.slice(5).map((t) => t.params)).not.toEqual(b.trace.slice(5).map((t) => t.params));
  });

  it('resumes after a kill with the same trace (metrics re-told from the store), re-simulating nothing', async () => {
    const reference = setup(COMPOSITE_STRATEGY, 1);
    const uninterrupted = await optimizeStrategy(reference.strategy, settings, {
      evaluator: reference.evaluator,
      store: reference.store,
      createOptimizer: reference.createOptimizer,
    });
    const killed = setup(COMPOSITE_STRATEGY, 2, { failAfter: 25 });
    await expect(
      optimizeStrategy(killed.strategy, settings, { evaluator: killed.evaluator, store: killed.store, createOptimizer: killed.createOptimizer }),
    ).rejects.toThrow('simulated kill');
    await new Promise((r) => setTimeout(r, 20));
    const finished = new Set(killed.fake.calls.map((argv) => JSON.stringify(argv)));
    const resumed = setup(COMPOSITE_STRATEGY, 2, {}, join(killed.dir, 'trials.sqlite'));
    const result = await optimizeStrategy(killed.strategy, settings, {
      evaluator: resumed.evaluator,
      store: resumed.store,
      createOptimizer: resumed.createOptimizer,
      resume: true,
    });
    for (const argv of resumed.fake.calls) expect(finished.has(JSON.stringify(argv))).toBe(false);
    expect(finished.size + resumed.fake.calls.length).toBe(reference.fake.calls.length);
    expect(result.trace).toEqual(uninterrupted.trace);
  });

  it('refuses per-seed penalties and racing, and unknown --surrogate values, with one-line errors', () => {
    const dir = tempDir();
    const perSeed = loadStrategy(writeStrategy(dir, `${THREE_PARAM_STRATEGY}surrogate: composite\n`));
    expect(() => compositeOptimizerFactory(perSeed)).toThrow(/surrogate: composite models the mean metrics, so its constraints need penalties: on_means, got per_seed/);
    const racing = loadStrategy(writeStrategy(dir, `${COMPOSITE_STRATEGY}seed_allocation: racing\n`, 'racing.yaml'));
    expect(() => compositeOptimizerFactory(racing)).toThrow(/surrogate: composite needs every point on every seed/);
    expect(() => surrogateOption('tpe')).toThrow('--surrogate: expected gp or composite, got "tpe"');
    const spelledOut = loadStrategy(writeStrategy(dir, `${THREE_PARAM_STRATEGY}surrogate: gp\nseed_allocation: all\n`, 'default.yaml'));
    expect('surrogate' in spelledOut || 'seedAllocation' in spelledOut).toBe(false);
  });
});
