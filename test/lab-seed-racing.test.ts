// `seed_allocation: racing` (src/lab/seed-racing.ts) against the synthetic evaluator of test/lab/helpers.ts, whose
// seeds shift every metric by a per-seed offset (the structure racing exploits).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServesimError } from '../src/errors.js';
import { gpOptimizerFactory, runKeyOf, type OptimizeSettings } from '../src/lab/optimize.js';
import { optimizeStrategy } from '../src/lab/optimize-strategy.js';
import { seedAllocationOption, subsetCalibration, type RacingResult } from '../src/lab/seed-racing.js';
import { loadStrategy } from '../src/lab/strategy.js';
import { countingEvaluator, labSetup, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

const settings: OptimizeSettings = { seeds: [42, 43, 44], nCalls: 16, nInitial: 6, randomState: 3 };
const RACING_STRATEGY = `${THREE_PARAM_STRATEGY}seed_allocation: racing\n`;

const setup = labSetup;

async function race(jobs: number, options: Parameters<typeof countingEvaluator>[0] = {}) {
  const s = setup(RACING_STRATEGY, jobs, options);
  const result = (await optimizeStrategy(s.strategy, settings, { evaluator: s.evaluator, store: s.store, createOptimizer: gpOptimizerFactory })) as RacingResult;
  return { ...s, result };
}

describe('seed racing', () => {
  it('stays within n-calls x seeds simulations, proposes more points, and reports only fully evaluated points', async () => {
    const { result, fake } = await race(1);
    expect(fake.calls.length).toBeLessThanOrEqual(settings.nCalls * 3);
    expect(result.simulations_total).toBe(fake.calls.length);
    const traced = result.trace.reduce((n, t) => n + t.seeds_evaluated.length, 0);
    expect(traced).toBe(result.simulations_total);
    // The toy's seed offsets are learnt, so bad proposals are dropped after one or two seeds.
    expect(result.points_dropped).toBeGreaterThan(0);
    expect(result.trace.length).toBeGreaterThan(settings.nCalls);
    expect(result.points_full + result.points_dropped).toBe(result.trace.length);
    const bestCall = result.trace[result.best_call - 1]!;
    expect(bestCall.estimated).toBe(false);
    expect(bestCall.seeds_evaluated).toEqual([42, 43, 44]);
    // The best score is the strategy's own score over all three seeds (per-seed penalties: the mean of per-seed scores).
    const mean = result.best_per_seed.reduce((a, s) => a + s.score, 0) / 3;
    expect(mean).toBeCloseTo(result.best_score, 12);
    for (const t of result.trace) if (t.estimated) expect(t.score).toBeGreaterThan(result.best_score);
  });

  it('is identical whatever the parallelism', async () => {
    const runs = [];
    for (const jobs of [1, 2, 5]) {
      const { result, store } = await race(jobs, { delays: true });
      runs.push({ trace: result.trace, best: result.best_params, score: result.best_score });
      store.close();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('resumes after a kill with the same trace, re-simulating nothing', async () => {
    const reference = await race(1);
    const killed = setup(RACING_STRATEGY, 2, { failAfter: 30 });
    await expect(
      optimizeStrategy(killed.strategy, settings, { evaluator: killed.evaluator, store: killed.store, createOptimizer: gpOptimizerFactory }),
    ).rejects.toThrow('simulated kill');
    await new Promise((r) => setTimeout(r, 20));
    const finished = new Set(killed.fake.calls.map((argv) => JSON.stringify(argv)));
    expect(killed.store.countEvaluations()).toBe(finished.size);

    const resumed = setup(RACING_STRATEGY, 2, {}, join(killed.dir, 'trials.sqlite'));
    const messages: string[] = [];
    const result = (await optimizeStrategy(killed.strategy, settings, {
      evaluator: resumed.evaluator,
      store: resumed.store,
      createOptimizer: gpOptimizerFactory,
      resume: true,
      log: (m) => messages.push(m),
    })) as RacingResult;
    expect(messages[0]).toMatch(/^resuming run 1 of toy: \d+ call\(s\) already done/);
    for (const argv of resumed.fake.calls) expect(finished.has(JSON.stringify(argv))).toBe(false);
    expect(finished.size + resumed.fake.calls.length).toBe(reference.fake.calls.length);
    expect(result.trace).toEqual(reference.result.trace);
    expect(resumed.store.observations(1)).toHaveLength(result.trace.length);
    expect(resumed.store.getRun(1)!.status).toBe('done');
  });

  it('leaves strategies without the key unchanged (same proposals, same run key as `all`)', async () => {
    const plain = setup(THREE_PARAM_STRATEGY, 1);
    const all = setup(`${THREE_PARAM_STRATEGY}seed_allocation: all\n`, 1);
    expect('seedAllocation' in plain.strategy).toBe(false);
    const a = await optimizeStrategy(plain.strategy, settings, { evaluator: plain.evaluator, createOptimizer: gpOptimizerFactory });
    const b = await optimizeStrategy(all.strategy, settings, { evaluator: all.evaluator, createOptimizer: gpOptimizerFactory });
    expect(b.trace).toEqual(a.trace);
    expect(a.trace).toHaveLength(settings.nCalls);
    expect(plain.fake.calls).toHaveLength(settings.nCalls * 3);
    const racing = setup(RACING_STRATEGY, 1);
    expect(runKeyOf(racing.strategy, settings)).not.toBe(runKeyOf(plain.strategy, settings));
  });

  it('calibrates a subset by the median offset and MAD spread of the better half', () => {
    // Scores 10..80 with subset score = score + shift; the worst two (shift 100) are outside the better half.
    const shifts = [5, 50, 7, 3, 5, 6, 100, 100];
    const points = shifts.map((shift, i) => ({ score: 10 * (i + 1), evaluations: [], shift }));
    const { offset, spread } = subsetCalibration(points, (p) => p.score + (p as unknown as { shift: number }).shift);
    // Better half (6 points, the minimum): 3 5 5 6 7 50 → median 5.5; |d − 5.5| → 0.5 0.5 0.5 1.5 2.5 44.5 → MAD 1.
    expect(offset).toBe(5.5);
    expect(spread).toBeCloseTo(1.4826, 12);
  });

  it('rejects an unknown allocation with a one-line error naming the key or flag', () => {
    const dir = tempDir();
    expect(() => loadStrategy(writeStrategy(dir, `${THREE_PARAM_STRATEGY}seed_allocation: sometimes\n`))).toThrow(/seed_allocation/);
    expect(() => seedAllocationOption('sometimes')).toThrow(ServesimError);
    expect(() => seedAllocationOption('sometimes')).toThrow('--seed-allocation: expected all or racing, got "sometimes"');
  });
});
