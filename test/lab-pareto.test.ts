// Multi-objective `optimize` on the lab's synthetic evaluator: front, hard constraints against a reference evaluated
// once per seed, hypervolume per call, determinism across --jobs, resume after a kill, and the CLI's validation.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { runLabCommand } from '../src/lab/commands.js';
import { StrategyEvaluator } from '../src/lab/evaluate.js';
import { gpOptimizerFactory, paretoOptimizerFactory, type OptimizeSettings } from '../src/lab/optimize.js';
import { optimizeStrategy } from '../src/lab/optimize-strategy.js';
import { inProcessPool } from '../src/lab/pool.js';
import { TrialStore } from '../src/lab/store.js';
import { summarizeRun } from '../src/lab/trials.js';
import { hypervolumeTracker } from '../src/lab/pareto.js';
import { loadStrategy, type Strategy } from '../src/lab/strategy.js';
import { countingEvaluator, flagValue, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

const TOY = `
name: toy-front
workload_spec: workload.yaml
seeds: 42,43,44
validation_seeds: 45-49
references: [ref.yaml]
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
parameters:
  - {name: base_critical, flag: --slo-base-critical, type: real, low: 5, high: 20}
  - {name: max_tokens, flag: --max-num-scheduled-tokens, type: integer, low: 768, high: 4096}
objectives:
  - {metric: critical_ttft_p99_ms, direction: minimize}
  - {metric: throughput_tps, direction: maximize}
constraints:
  - {require: throughput_tps >= reference, tolerance: 2%}
`;
// The reference: fakeMetrics gives throughput 17000 − (2048 − tokens) + seed effect, so tokens ≥ ~2000 are feasible.
const REF = `
name: ref
workload_spec: workload.yaml
seeds: 42,43,44
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --max-num-scheduled-tokens 2500
  - --slo-base-critical 16
`;

const settings: OptimizeSettings = { seeds: [42, 43, 44], nCalls: 14, nInitial: 6, randomState: 3 };

function setup(jobs: number, options: Parameters<typeof countingEvaluator>[0] = {}, storeFile?: string, dir = tempDir()) {
  const strategyFile = writeStrategy(dir, TOY);
  writeFileSync(join(dir, 'ref.yaml'), REF);
  const strategy = loadStrategy(strategyFile);
  const ref = loadStrategy(join(dir, 'ref.yaml'));
  const fake = countingEvaluator(options);
  const store = TrialStore.open(storeFile ?? join(dir, 'trials.sqlite'));
  const evaluator = new StrategyEvaluator({ pool: inProcessPool(fake.evaluate, jobs), store, simVersion: 'test' });
  const deps = {
    evaluator,
    store,
    createOptimizer: gpOptimizerFactory,
    createVectorOptimizer: paretoOptimizerFactory,
    strategies: new Map<string, Strategy>([[ref.file, ref]]),
    hypervolumeReferences: [ref.file],
  };
  return { dir, strategy, ref, fake, store, evaluator, deps };
}

describe('hypervolume per call', () => {
  it('normalises by the first reference and puts the reference point 0.1 beyond the worst reference', () => {
    const objectives = [
      { metric: 'critical_ttft_p99_ms', direction: 'minimize' as const },
      { metric: 'throughput_tps', direction: 'maximize' as const },
    ];
    const tracker = hypervolumeTracker(objectives, [
      { file: '/a.yaml', means: { critical_ttft_p99_ms: 100, throughput_tps: 1000 } },
      { file: '/b.yaml', means: { critical_ttft_p99_ms: 300, throughput_tps: 900 } },
    ]);
    // z(a) = [1, −1], z(b) = [3, −0.9] → reference point [3.1, −0.8].
    expect(tracker.add({ critical_ttft_p99_ms: 400, throughput_tps: 2000 }, true)).toBe(0); // outside the box
    expect(tracker.add({ critical_ttft_p99_ms: 100, throughput_tps: 1000 }, false)).toBe(0); // infeasible
    expect(tracker.add({ critical_ttft_p99_ms: 100, throughput_tps: 1000 }, true)).toBeCloseTo(2.1 * 0.2, 12);
    // + [2, −1.1]: the union of two boxes = 2.1·0.2 + (3.1 − 2)·(1.1 − 1.0)
    expect(tracker.add({ critical_ttft_p99_ms: 200, throughput_tps: 1100 }, true)).toBeCloseTo(0.42 + 1.1 * 0.1, 12);
    const settings = tracker.settings();
    expect(settings.reference_point.map((v) => +v.toFixed(12))).toEqual([3.1, -0.8]);
    expect(settings.scale).toEqual([100, 1000]);
    // The optimiser's reference point, in its units (means, maximised negated): critical 310 ms, throughput ≥ 800.
    expect(tracker.toldReferencePoint().map((v) => +v.toFixed(9))).toEqual([310, -800]);
    expect(settings.per_call).toHaveLength(4);
  });
});

describe('multi-objective optimize', () => {
  it('gives the same trace and front whatever --jobs; the front is feasible and non-dominated', async () => {
    const runs = [];
    for (const jobs of [1, 2]) {
      const { strategy, deps, fake, store } = setup(jobs, { delays: true });
      const result = await optimizeStrategy(strategy, settings, deps);
      // The reference ran once per seed (before call 1), never again.
      const refRuns = fake.calls.filter((argv) => flagValue(argv, '--slo-base-critical') === '16' && flagValue(argv, '--max-num-scheduled-tokens') === '2500');
      expect(refRuns).toHaveLength(3);
      expect(result.hypervolume!.normalised_by).toBe(join(strategy.file, '..', 'ref.yaml'));
      runs.push({ trace: result.trace, front: result.front, hv: { ...result.hypervolume!, normalised_by: 'ref.yaml', reference_strategies: [] } });
      store.close();
    }
    expect(runs[1]).toEqual(runs[0]);
    const { trace, front, hv } = runs[0]!;
    expect(trace).toHaveLength(14);
    expect(front!.length).toBeGreaterThan(0);
    for (const p of front!) {
      const t = trace.find((x) => x.call === p.call)!;
      expect(t.feasible).toBe(true);
      expect(p.constraints[0]!.feasible).toBe(true);
      // No feasible call beats a front point on both objectives.
      for (const other of trace.filter((x) => x.feasible)) {
        const better = other.objectives![0]! <= p.objectives[0]!.mean && other.objectives![1]! >= p.objectives[1]!.mean;
        const strictly = other.objectives![0]! < p.objectives[0]!.mean || other.objectives![1]! > p.objectives[1]!.mean;
        expect(better && strictly).toBe(false);
      }
      expect(p.objectives[0]!.half_width).toBeGreaterThan(0);
    }
    // Front sorted by the first objective; the hypervolume per call is the 2-D area dominated by the feasible calls so
    // far in the space normalised by the reference's means (critical / ref, −throughput / ref), up to ref + 0.1.
    expect(front!.map((p) => p.objectives[0]!.mean)).toEqual([...front!.map((p) => p.objectives[0]!.mean)].sort((a, b) => a - b));
    expect(hv!.reference_point).toEqual([1.1, -0.9]);
    const area = (upTo: number) => {
      const pts = trace
        .slice(0, upTo)
        .filter((t) => t.feasible)
        .map((t) => [t.objectives![0]! / hv!.scale[0]!, -t.objectives![1]! / hv!.scale[1]!] as const)
        .filter(([a, b]) => a < 1.1 && b < -0.9)
        .sort((p, q) => p[0] - q[0]);
      let total = 0;
      let ceiling = -0.9;
      for (const [a, b] of pts) {
        if (b < ceiling) {
          total += (1.1 - a) * (ceiling - b);
          ceiling = b;
        }
      }
      return total;
    };
    trace.forEach((t, i) => expect(t.hypervolume).toBeCloseTo(area(i + 1), 12));
    expect(hv!.per_call.at(-1)!).toBeGreaterThan(0);
    expect(hv!.per_call).toEqual(trace.map((t) => t.hypervolume));
  });

  it('--resume only continues a run whose constraint references are unchanged (they are part of the run key)', async () => {
    const killed = setup(1, { failAfter: 12 });
    await expect(optimizeStrategy(killed.strategy, settings, killed.deps)).rejects.toThrow('simulated kill');
    const changedRef = { ...killed.ref, fixedArgs: killed.ref.fixedArgs.map((a) => (a === '2500' ? '2400' : a)) };
    expect(changedRef.fixedArgs).toContain('2400');
    const again = setup(1, {}, join(killed.dir, 'trials.sqlite'), killed.dir);
    const messages: string[] = [];
    await optimizeStrategy(killed.strategy, { ...settings, nCalls: 7 }, {
      ...again.deps,
      strategies: new Map([[changedRef.file, changedRef]]),
      resume: true,
      log: (m) => messages.push(m),
    });
    expect(messages[0]).toBe('no unfinished run of toy-front with these settings; starting a new one');
    const same = setup(1, {}, join(killed.dir, 'trials.sqlite'), killed.dir);
    const resumedMessages: string[] = [];
    await optimizeStrategy(killed.strategy, { ...settings, nCalls: 7 }, { ...same.deps, resume: true, log: (m) => resumedMessages.push(m) });
    expect(resumedMessages[0]).toMatch(/^resuming run 1 of toy-front: \d+ call\(s\) already done$/);
  });

  it('an objective undefined on a seed is a one-line error naming it', async () => {
    const dir = tempDir();
    const { strategy, deps } = setup(1, {}, undefined, dir);
    const broken = { ...strategy, objectives: [strategy.objectives![0]!, { metric: 'critical_ttft_mean_ms', direction: 'minimize' as const }] };
    await expect(optimizeStrategy(broken, settings, deps)).rejects.toThrow(
      'objective critical_ttft_mean_ms is undefined for seed 42: metric critical_ttft_mean_ms was not produced',
    );
  });

  it('stores each call’s objective and constraint vectors; resume after a kill re-simulates nothing and ends identically', async () => {
    const reference = setup(1);
    const uninterrupted = await optimizeStrategy(reference.strategy, settings, reference.deps);
    const observations = reference.store.observations(1);
    expect(observations).toHaveLength(14);
    const first = observations[0]!;
    expect(first.objectives).toEqual([first.meanMetrics.critical_ttft_p99_ms, -first.meanMetrics.throughput_tps!]);
    expect(first.constraints).toHaveLength(1);
    // `servesim trials` names the same best call as optimize: the lowest score among the feasible calls.
    const summary = summarizeRun(reference.store, reference.store.getRun(1)!);
    expect(summary.best_call).toBe(uninterrupted.best_call);
    expect(observations[summary.best_call! - 1]!.constraints!.every((c) => c <= 0)).toBe(true);
    const lowest = observations.reduce((a, b) => (b.score < a.score ? b : a));
    expect(lowest.constraints!.some((c) => c > 0)).toBe(true); // the toy's lowest critical TTFT needs a small, infeasible budget
    expect(summary.best_score).toBeGreaterThan(lowest.score);

    const killed = setup(2, { failAfter: 30 });
    await expect(optimizeStrategy(killed.strategy, settings, killed.deps)).rejects.toThrow('simulated kill');
    await new Promise((r) => setTimeout(r, 20));
    const finished = new Set(killed.fake.calls.map((argv) => JSON.stringify(argv)));
    expect(killed.store.countEvaluations()).toBe(finished.size);

    const resumed = setup(2, {}, join(killed.dir, 'trials.sqlite'), killed.dir);
    const result = await optimizeStrategy(killed.strategy, settings, { ...resumed.deps, resume: true });
    for (const argv of resumed.fake.calls) expect(finished.has(JSON.stringify(argv))).toBe(false);
    expect(finished.size + resumed.fake.calls.length).toBe(reference.fake.calls.length);
    expect(result.trace).toEqual(uninterrupted.trace);
    expect(result.front).toEqual(uninterrupted.front);
    expect(result.hypervolume!.per_call).toEqual(uninterrupted.hypervolume!.per_call);
  });
});

function capture(cwd: string): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { cwd, env: {}, out, err, writeStdout: (t) => void out.push(t), writeStderr: (t) => void err.push(t) };
}

describe('servesim optimize with objectives (CLI, synthetic evaluator)', () => {
  const overrides = () => {
    const fake = countingEvaluator();
    return { progressBar: false, createPool: (jobs: number) => inProcessPool(fake.evaluate, jobs) };
  };
  function project(): string {
    const dir = tempDir();
    writeStrategy(dir, TOY);
    writeFileSync(join(dir, 'ref.yaml'), REF);
    return dir;
  }

  it('prints the front, the hypervolume per call and the held-out validation, and writes them all as JSON', async () => {
    const dir = project();
    const io = capture(dir);
    const args = ['strategy.yaml', '--n-calls', '10', '--n-initial', '5', '--random-state', '3', '--jobs', '2', '--output', 'out.json'];
    expect(await runLabCommand('optimize', args, io, overrides())).toBe(0);
    const stdout = io.out.join('');
    expect(stdout).toMatch(/^strategy toy-front: 10 calls x 3 seeds \(42-44\), 5 initial, random state 3\n/);
    expect(stdout).toContain('objectives (each call: the mean over its 3 seeds): critical_ttft_p99_ms ↓, throughput_tps ↑\n');
    expect(stdout).toContain('hard constraints (feasible iff the mean over seeds of the per-seed slack is <= 0): throughput_tps >= reference (ref.yaml) (tolerance 2%)\n');
    expect(stdout).toMatch(/front: \d+ non-dominated of \d+ feasible calls \(of 10\); mean ± 95 % CI over the tuning seeds\n/);
    expect(stdout).toMatch(/hypervolume per call \(objectives \/ ref\.yaml's tuning-seed means, maximised ones negated; reference point ref\.yaml \+ 0\.1 = \[1\.10, -0\.90\]\):\n +1-10 +(\d\.\d{4} ?){10}\n/);
    expect(stdout).toMatch(/held-out validation on seeds 45-49 \(tuned on 42-44\)/);
    expect(io.err.join('')).toMatch(/validating \d+ point\(s\) and 1 reference\(s\) on held-out seeds 45-49/);

    const result = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    expect(result.front.length).toBeGreaterThan(0);
    expect(result.hypervolume.per_call).toHaveLength(10);
    expect(result.validation.validation_seeds).toEqual([45, 46, 47, 48, 49]);
    expect(result.validation.rows).toHaveLength(result.front.length);
    for (const row of result.validation.rows) {
      expect(row.reference).toBe('ref');
      expect(['validated', 'not significant', 'over-fitted']).toContain(row.verdict);
      expect(row.objectives.map((o: { metric: string }) => o.metric)).toEqual(['critical_ttft_p99_ms', 'throughput_tps']);
      // The hard constraint re-checked against the reference on the held-out seeds.
      expect(row.held_out_constraints).toHaveLength(1);
      expect(row.held_out_constraints[0].text).toBe('throughput_tps >= reference (ref.yaml) (tolerance 2%)');
      expect(row.held_out_constraints[0].feasible).toBe(row.held_out_constraints[0].mean_slack <= 0);
    }
    // The store holds the vectors of every call.
    const db = new Database(join(dir, '.servesim/trials.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT objectives_json, constraints_json FROM observations ORDER BY call_index').all() as Array<Record<string, string>>;
    db.close();
    expect(rows).toHaveLength(10);
    expect(JSON.parse(rows[0]!.objectives_json!)).toHaveLength(2);
    expect(JSON.parse(rows[0]!.constraints_json!)).toHaveLength(1);
  });

  it('one objective: the summary of today plus validation of the 3 best distinct points', async () => {
    const dir = tempDir();
    writeStrategy(dir, THREE_PARAM_STRATEGY);
    writeFileSync(join(dir, 'ref.yaml'), REF);
    const io = capture(dir);
    const args = ['strategy.yaml', '--n-calls', '8', '--n-initial', '4', '--validate-seeds', '50-54', '--reference', 'ref.yaml', '--output', 'o.json'];
    expect(await runLabCommand('optimize', args, io, overrides())).toBe(0);
    const stdout = io.out.join('');
    expect(stdout).toMatch(/best score [\d.]+ at call \d+ \(minimised: critical_ttft_p99_ms \+ 2 constraint penalties per seed\)/);
    expect(stdout).toContain('held-out validation on seeds 50-54 (tuned on 42-44)');
    const result = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8'));
    expect(result.front).toBeUndefined();
    const scores = [...result.trace].sort((a, b) => a.score - b.score || a.call - b.call);
    expect(result.validation.rows.map((r: { call: number }) => r.call)).toEqual(scores.slice(0, 3).map((t) => t.call));
    expect(result.validation.rows[0].call).toBe(result.best_call);
  });

  it('--must-dominate adds one paired constraint per objective', async () => {
    const dir = project();
    const io = capture(dir);
    const args = ['strategy.yaml', '--n-calls', '6', '--n-initial', '5', '--must-dominate', 'ref.yaml', '--validate-top', '1', '--output', 'o.json'];
    expect(await runLabCommand('optimize', args, io, overrides())).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8'));
    expect(result.requirements).toEqual([
      'throughput_tps >= reference (ref.yaml) (tolerance 2%)',
      'critical_ttft_p99_ms <= ref.yaml (at least 1% better)',
      'throughput_tps >= ref.yaml',
    ]);
    expect(result.validation.rows.length).toBeLessThanOrEqual(1);
  });

  const errors: Array<[string, string[], RegExp]> = [
    ['overlapping validation seeds', ['--validate-seeds', '44-46'], /^--validate-seeds: must not overlap the tuning seeds \(42-44\); both list 44$/],
    ['a missing --reference file', ['--seeds', '1,2', '--validate-seeds', '3', '--reference', 'nope.yaml'], /strategy file .*nope\.yaml: cannot read/],
  ];
  for (const [label, extra, pattern] of errors) {
    it(`rejects ${label} before any simulation`, async () => {
      const dir = project();
      const fake = countingEvaluator();
      const error = await runLabCommand('optimize', ['strategy.yaml', ...extra], capture(dir), {
        progressBar: false,
        createPool: (jobs) => inProcessPool(fake.evaluate, jobs),
      }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(pattern);
      expect(fake.calls).toHaveLength(0);
    });
  }

  it('--validate-top needs validation seeds; validation needs a reference', async () => {
    const dir = project();
    writeFileSync(join(dir, 'bare.yaml'), TOY.replace('validation_seeds: 45-49\n', '').replace('references: [ref.yaml]\n', '').replace(/constraints:\n.*\n/, ''));
    const run = (extra: string[]) => runLabCommand('optimize', ['bare.yaml', ...extra], capture(dir), overrides()).catch((e: unknown) => (e as Error).message);
    expect(await run(['--validate-top', '2'])).toBe('--validate-top: only meaningful with --validate-seeds (or validation_seeds in the strategy)');
    expect(await run(['--validate-seeds', '50-52'])).toBe(
      '--reference: validation on held-out seeds needs a strategy to compare with (--reference FILE, or references: in bare.yaml)',
    );
  });
});

describe('trial store schema 2', () => {
  it('a version-1 store (even one without the marker) gains the vector columns; its rows read back unchanged', () => {
    const file = join(tempDir(), 'v1.sqlite');
    const db = new Database(file);
    db.exec(`
      CREATE TABLE evaluations (id INTEGER PRIMARY KEY, config_hash TEXT NOT NULL, seed INTEGER NOT NULL, sim_version TEXT NOT NULL,
        strategy TEXT NOT NULL, params_json TEXT NOT NULL, argv_json TEXT NOT NULL, metrics_json TEXT NOT NULL, wall_ms REAL NOT NULL,
        created_at TEXT NOT NULL, UNIQUE (config_hash, seed, sim_version));
      CREATE TABLE optimization_runs (id INTEGER PRIMARY KEY, strategy TEXT NOT NULL, run_key TEXT NOT NULL, settings_json TEXT NOT NULL,
        status TEXT NOT NULL, result_json TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE observations (run_id INTEGER NOT NULL REFERENCES optimization_runs (id), call_index INTEGER NOT NULL,
        params_json TEXT NOT NULL, score REAL NOT NULL, mean_metrics_json TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (run_id, call_index));
      INSERT INTO optimization_runs VALUES (1, 'old', 'k', '{}', 'running', NULL, 't', 't');
      INSERT INTO observations VALUES (1, 0, '{"x":1}', 7.5, '{"rejected":0}', 't');
      PRAGMA user_version = 1;
    `);
    db.close();
    const store = TrialStore.open(file);
    expect(store.observations(1)).toEqual([{ callIndex: 0, params: { x: 1 }, score: 7.5, meanMetrics: { rejected: 0 } }]);
    store.addObservation(1, { callIndex: 1, params: { x: 2 }, score: 1, meanMetrics: {}, objectives: [1, -2], constraints: [0.5] });
    expect(store.observations(1)[1]).toMatchObject({ objectives: [1, -2], constraints: [0.5] });
    store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    check.close();
    // Opening again (already version 2) changes nothing.
    const again = TrialStore.open(file);
    expect(again.observations(1)).toHaveLength(2);
    again.close();
  });
});
