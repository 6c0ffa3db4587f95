import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StrategyEvaluator } from '../src/lab/evaluate.js';
import { gpOptimizerFactory, type OptimizeSettings } from '../src/lab/optimize.js';
import { optimizeStrategy } from '../src/lab/optimize-strategy.js';
import { inProcessPool } from '../src/lab/pool.js';
import { TrialStore } from '../src/lab/store.js';
import { loadStrategy } from '../src/lab/strategy.js';
import { countingEvaluator, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

const settings: OptimizeSettings = { seeds: [42, 43, 44], nCalls: 12, nInitial: 5, randomState: 42 };

function setup(jobs: number, options: Parameters<typeof countingEvaluator>[0] = {}, storeFile?: string) {
  const dir = tempDir();
  const strategy = loadStrategy(writeStrategy(dir, THREE_PARAM_STRATEGY));
  const fake = countingEvaluator(options);
  const store = TrialStore.open(storeFile ?? join(dir, 'trials.sqlite'));
  const evaluator = new StrategyEvaluator({ pool: inProcessPool(fake.evaluate, jobs), store, simVersion: 'test' });
  return { dir, strategy, fake, store, evaluator };
}

describe('optimize with an injected evaluator', () => {
  it('is identical whatever the parallelism', async () => {
    const runs = [];
    for (const jobs of [1, 2, 5]) {
      const { strategy, store, evaluator, fake } = setup(jobs, { delays: true });
      const result = await optimizeStrategy(strategy, settings, { evaluator, store, createOptimizer: gpOptimizerFactory });
      expect(fake.calls.length).toBeLessThanOrEqual(settings.nCalls * 3);
      runs.push({ trace: result.trace, best: result.best_params, score: result.best_score });
      store.close();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    // The toy objective's optimum is 70 + mean seed effect (1) with scorers "b".
    expect(runs[0]!.score).toBeLessThan(90);
  });

  it('reports best point, its per-seed scores, mean metrics and CLI args', async () => {
    const { strategy, store, evaluator } = setup(1);
    const r = await optimizeStrategy(strategy, settings, { evaluator, store, createOptimizer: gpOptimizerFactory });
    expect(r.trace).toHaveLength(12);
    expect(r.trace.at(-1)!.best_so_far).toBe(r.best_score);
    expect(r.best_per_seed.map((s) => s.seed)).toEqual([42, 43, 44]);
    const mean = r.best_per_seed.reduce((a, s) => a + s.score, 0) / 3;
    expect(mean).toBeCloseTo(r.best_score, 12);
    expect(r.best_mean_metrics.critical_ttft_p99_ms).toBeGreaterThan(0);
    expect(r.best_args.slice(0, 5)).toEqual(['--model', 'meta-llama/llama-3.1-8b-instruct', '--num-instances', '8', '--slo-prefill']);
    expect(r.best_args).toContain('--slo-base-critical');
    expect(r.best_command).toMatch(/^servesim run --model .* --seed 42 /);
    expect(r.simulations_run).toBeLessThanOrEqual(36);
  });
});

describe('trial store', () => {
  it('never re-simulates a stored evaluation', async () => {
    const first = setup(2);
    await first.evaluator.evaluatePoint(first.strategy, { base_critical: 10, max_tokens: 2048, scorers: 'a' }, [42, 43, 44]);
    expect(first.fake.calls).toHaveLength(3);
    // Same config, other spelling of the same numbers → same hash → read back; a new seed is simulated.
    const again = await first.evaluator.evaluatePoint(first.strategy, { base_critical: 10.0, max_tokens: 2047.6, scorers: 'a' }, [44, 45]);
    expect(first.fake.calls).toHaveLength(4);
    expect(again[0]!.cached).toBe(true);
    expect(again[1]!.cached).toBe(false);
    expect(first.store.countEvaluations()).toBe(4);

    // A second process (new evaluator, same file) reads everything back.
    const second = setup(1, {}, join(first.dir, 'trials.sqlite'));
    const back = await second.evaluator.evaluatePoint(first.strategy, { base_critical: 10, max_tokens: 2048, scorers: 'a' }, [42, 43, 44, 45]);
    expect(second.fake.calls).toHaveLength(0);
    expect(back.every((e) => e.cached)).toBe(true);
    expect(back[2]!.metrics).toEqual(again[0]!.metrics);

    // Another simulator version must not read stale results.
    const otherVersion = new StrategyEvaluator({ pool: inProcessPool(second.fake.evaluate), store: second.store, simVersion: 'test-2' });
    await otherVersion.evaluatePoint(first.strategy, { base_critical: 10, max_tokens: 2048, scorers: 'a' }, [42]);
    expect(second.fake.calls).toHaveLength(1);
  });

  it('identical evaluations in flight at the same time run once', async () => {
    const { strategy, evaluator, fake } = setup(4, { delays: true });
    const params = { base_critical: 7, max_tokens: 1000, scorers: 'b' };
    await Promise.all([evaluator.evaluatePoint(strategy, params, [1, 2]), evaluator.evaluatePoint(strategy, params, [1, 2])]);
    expect(fake.calls).toHaveLength(2);
  });

  for (const [label, killAt] of [
    ['during the initial design', 8],
    ['during the model-based calls', 25],
  ] as const) {
    it(`resume after a kill ${label} loses nothing and re-simulates nothing`, async () => {
      const reference = setup(1);
      const uninterrupted = await optimizeStrategy(reference.strategy, settings, {
        evaluator: reference.evaluator,
        store: reference.store,
        createOptimizer: gpOptimizerFactory,
      });

      const killed = setup(2, { failAfter: killAt });
      await expect(
        optimizeStrategy(killed.strategy, settings, { evaluator: killed.evaluator, store: killed.store, createOptimizer: gpOptimizerFactory }),
      ).rejects.toThrow('simulated kill');
      await new Promise((r) => setTimeout(r, 20)); // let evaluations already running finish, as a real process would not
      const finished = new Set(killed.fake.calls.map((argv) => JSON.stringify(argv)));
      expect(killed.store.countEvaluations()).toBe(finished.size);

      const resumed = setup(2, {}, join(killed.dir, 'trials.sqlite'));
      const messages: string[] = [];
      const result = await optimizeStrategy(killed.strategy, settings, {
        evaluator: resumed.evaluator,
        store: resumed.store,
        createOptimizer: gpOptimizerFactory,
        resume: true,
        log: (m) => messages.push(m),
      });
      expect(messages[0]).toMatch(/^resuming run 1 of toy: \d+ call\(s\) already done$/);
      for (const argv of resumed.fake.calls) expect(finished.has(JSON.stringify(argv))).toBe(false);
      expect(finished.size + resumed.fake.calls.length).toBe(reference.fake.calls.length);
      // Same proposals and scores as the run that was never interrupted.
      expect(result.trace).toEqual(uninterrupted.trace);
      expect(result.best_params).toEqual(uninterrupted.best_params);
      expect(resumed.store.getRun(1)!.status).toBe('done');
    });
  }

  it('an aborted loop (progress callback throwing) resumes from the stored observations', async () => {
    const { strategy, store, evaluator } = setup(1);
    await expect(
      optimizeStrategy(strategy, settings, {
        evaluator,
        store,
        createOptimizer: gpOptimizerFactory,
        onCall: (p) => {
          if (p.done === 7) throw new Error('abort');
        },
      }),
    ).rejects.toThrow('abort');
    expect(store.observations(1)).toHaveLength(7);
    const simulatedBefore = evaluator.simulated;
    const replayed: boolean[] = [];
    const result = await optimizeStrategy(strategy, settings, {
      evaluator,
      store,
      createOptimizer: gpOptimizerFactory,
      resume: true,
      onCall: (p) => replayed.push(p.replayed),
    });
    expect(replayed).toEqual([...Array(7).fill(true), ...Array(5).fill(false)]);
    expect(evaluator.simulated - simulatedBefore).toBeLessThanOrEqual(5 * 3);
    expect(result.trace).toHaveLength(12);
  });
});
