// `servesim trials` and `servesim export` on a store made by a small real optimisation; calls numbered from 1 in
// every output; a strategy's initial_points evaluated first.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { ServesimError } from '../src/errors.js';
import { StrategyEvaluator } from '../src/lab/evaluate.js';
import { gpOptimizerFactory, type OptimizeSettings } from '../src/lab/optimize.js';
import { optimizeStrategy } from '../src/lab/optimize-strategy.js';
import { inProcessPool } from '../src/lab/pool.js';
import { buildRunArgv, configHash } from '../src/lab/runargs.js';
import { TrialStore } from '../src/lab/store.js';
import { loadStrategy, parseStrategy } from '../src/lab/strategy.js';
import { applySets } from '../src/lab/strategy-variants.js';
import { countingEvaluator, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

function capture(cwd: string): CliIO & { out: string[]; err: string[]; stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    cwd,
    env: { SERVESIM_PROGRESS: 'plain' },
    out,
    err,
    writeStdout: (t) => void out.push(t),
    writeStderr: (t) => void err.push(t),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** Runs `servesim ARGV` in-process through the real CLI dispatch (registration included). */
async function servesim(cwd: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = capture(cwd);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const workload = resolve('presets/workloads/mixed-production.yaml');
const FIXED =
  `workload_spec: ${workload}\nseeds: 42,43\nfixed_args:\n  - --model meta-llama/llama-3.1-8b-instruct\n  - --num-instances 2\n  - --num-requests 60\n` +
  '  - --scheduler priority-fcfs\n  - --priority-policy slo-tiered\n' +
  'parameters:\n  - {name: critical, flag: --slo-base-critical, type: real, low: 1, high: 20, default: 4}\n' +
  '  - {name: tokens, flag: --max-num-scheduled-tokens, type: integer, low: 256, high: 4096, default: 1024}\n' +
  'objective: {metric: critical_ttft_p99_ms, direction: minimize}\n' +
  'constraints:\n  - {metric: throughput_tps, direction: at_least, threshold: 1500, weight: 0.01}\n';
const TINY = `name: tiny\ninitial_points: defaults\n${FIXED}`;
const PLAIN = `name: tiny-plain\n${FIXED}`;

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface TrialsJson {
  runs: Array<{ id: number; strategy: string; status: string; calls: number; best_call: number; best_score: number }>;
  evaluations: Array<{ strategy: string; seed: number; config_hash: string; params: Record<string, unknown>; metrics: Record<string, number | null> }>;
}
interface RunJson {
  run: { id: number; best_call: number; best_score: number; calls: number; initial_points: number };
  calls: Array<{ call: number; params: Record<string, number>; score: number; mean_metrics: Record<string, number | null> }>;
}

describe('trials and export on a store made by a real optimisation', () => {
  const dir = tempDir('servesim-trials-');
  const store = join(dir, 'trials.sqlite');
  let summary = '';
  let result: { best_call: number; best_score: number; trace: Array<{ call: number; score: number; params: Record<string, number> }> };

  beforeAll(async () => {
    writeFileSync(join(dir, 'tiny.yaml'), TINY);
    writeFileSync(join(dir, 'plain.yaml'), PLAIN);
    const run = await servesim(dir, [
      'optimize', 'tiny.yaml', '--n-calls', '4', '--n-initial', '3', '--jobs', '1', '--store', 'trials.sqlite', '--output', 'result.json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    summary = run.stdout;
    result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as typeof result;
    // The same search space without initial_points: its design is what tiny's calls 2-4 must be.
    const plain = await servesim(dir, ['optimize', 'plain.yaml', '--n-calls', '3', '--n-initial', '3', '--jobs', '1', '--store', 'trials.sqlite']);
    expect(plain.code, plain.stderr).toBe(0);
  }, 60_000);

  it('are listed by `servesim --help` and have their own --help', async () => {
    const top = await servesim(dir, ['--help']);
    expect(top.stdout).toMatch(/\n {2}trials {2,}list a trial store/);
    expect(top.stdout).toMatch(/\n {2}export {2,}write call K of optimisation run N/);
    const help = await servesim(dir, ['trials', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: servesim trials [options] [store]');
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('Calls are numbered from 1');
    const exportHelp = await servesim(dir, ['help', 'export']);
    expect(exportHelp.stdout).toContain('--call <k>');
    expect((await servesim(dir, ['optimize', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('Calls are numbered from 1 everywhere');
  });

  it('list the evaluations and runs without changing the store', async () => {
    const before = { bytes: sha(store), files: readdirSync(dir).sort() };
    const text = await servesim(dir, ['trials', 'trials.sqlite']);
    expect(text.code, text.stderr).toBe(0);
    // tiny-plain's calls are tiny's calls 2-4, so all its evaluations were read back from the store, none added.
    expect(text.stdout).toMatch(/^trial store trials\.sqlite: 8 evaluations, 2 optimisation runs\n/);
    expect(text.stdout).toMatch(/\n\s+1\s+tiny\s+done\s+4\/4\s+42,43\s+[\d.]+\s+\d\s+20\d\d-/);
    expect(text.stdout).toMatch(/\n\s+2\s+tiny-plain\s+done\s+3\/3\s+42,43\s+/);
    expect(text.stdout.match(/\ntiny\s+4[23]\s+[0-9a-f]{12}\s/g)).toHaveLength(8);

    const json = JSON.parse((await servesim(dir, ['trials', 'trials.sqlite', '--json'])).stdout) as TrialsJson;
    expect(json.runs.map((r) => [r.id, r.strategy, r.status, r.calls])).toEqual([[1, 'tiny', 'done', 4], [2, 'tiny-plain', 'done', 3]]);
    expect(json.evaluations).toHaveLength(8);
    const csv = (await servesim(dir, ['trials', 'trials.sqlite', '--csv'])).stdout.trim().split('\n');
    expect(csv[0]).toBe('strategy,seed,config_hash,sim_version,critical,tokens,ttft_p99_ms,critical_ttft_p99_ms,standard_ttft_p99_ms,sheddable_ttft_p99_ms,throughput_tps,rejected,wall_ms,created_at');
    expect(csv).toHaveLength(9);
    const runCsv = (await servesim(dir, ['trials', 'trials.sqlite', '--run', '1', '--csv'])).stdout.trim().split('\n');
    expect(runCsv[0]).toBe('call,critical,tokens,score,critical_ttft_p99_ms,throughput_tps,ttft_p99_ms,standard_ttft_p99_ms,sheddable_ttft_p99_ms,rejected');
    expect(runCsv.slice(1).map((line) => line.split(',')[0])).toEqual(['1', '2', '3', '4']);

    // Not one byte of the store changed, and no -wal/-shm file was left behind.
    expect(sha(store)).toBe(before.bytes);
    expect(readdirSync(dir).sort()).toEqual(before.files);
  });

  it('number calls from 1 in the summary, the JSON output and `trials --run`', async () => {
    const k = Number(/best score ([\d.]+) at call (\d+) /.exec(summary)![2]);
    expect(result.best_call).toBe(k);
    expect(result.trace.map((t) => t.call)).toEqual([1, 2, 3, 4]);
    expect(result.trace[k - 1]!.score).toBe(result.best_score);
    expect(summary).toContain(`stored as run 1: servesim trials trials.sqlite --run 1; servesim export trials.sqlite --run 1 --call ${k}`);

    const listing = JSON.parse((await servesim(dir, ['trials', 'trials.sqlite', '--run', '1', '--json'])).stdout) as RunJson;
    expect(listing.run.best_call).toBe(k);
    expect(listing.run.best_score).toBe(result.best_score);
    expect(listing.calls.map((c) => c.call)).toEqual([1, 2, 3, 4]);
    expect(listing.calls.map((c) => c.score)).toEqual(result.trace.map((t) => t.score));
    expect(listing.calls.map((c) => c.params)).toEqual(result.trace.map((t) => t.params));

    const text = (await servesim(dir, ['trials', 'trials.sqlite', '--run', '1'])).stdout;
    expect(text).toContain(`best score ${result.best_score.toFixed(4)} at call ${k}\n`);
    expect(text).toMatch(new RegExp(`\\n\\s*${k} .* ${result.best_score.toFixed(4)} `));
  });

  it('evaluate initial_points first: call 1 is the defaults, then the design a run without them starts with', async () => {
    const tiny = JSON.parse((await servesim(dir, ['trials', 'trials.sqlite', '--run', '1', '--json'])).stdout) as RunJson;
    const plain = JSON.parse((await servesim(dir, ['trials', 'trials.sqlite', '--run', '2', '--json'])).stdout) as RunJson;
    expect(tiny.run.initial_points).toBe(1);
    expect(tiny.calls[0]!.params).toEqual({ critical: 4, tokens: 1024 });
    expect(tiny.calls.slice(1).map((c) => c.params)).toEqual(plain.calls.map((c) => c.params));
    expect(summary).toMatch(/^strategy tiny: 4 calls x 2 seeds \(42,43\), 1 from initial_points \+ 3 initial, random state 42\n/);
  });

  it('export a call as a strategy that compare re-simulates to exactly the stored metrics', async () => {
    const call = 3; // a space-filling point: real-valued parameters must survive the round trip exactly
    const exported = await servesim(dir, ['export', 'trials.sqlite', '--run', '1', '--call', String(call), '--out', 'out/exported.yaml']);
    expect(exported.code, exported.stderr).toBe(0);
    const file = join(dir, 'out/exported.yaml');
    const yaml = readFileSync(file, 'utf8');
    expect(yaml).not.toMatch(/^parameters:/m);
    expect(yaml).toContain(`workload_spec: ${workload}`);
    expect(yaml).toMatch(/^seeds: 42,43$/m);
    const strategy = loadStrategy(file);
    expect(strategy.name).toBe(`tiny-run1-call${call}`);
    expect(strategy.parameters).toEqual([]);
    expect(strategy.objective).toEqual({ metric: 'critical_ttft_p99_ms', direction: 'minimize' });
    expect(strategy.constraints).toEqual([{ metric: 'throughput_tps', direction: 'at_least', threshold: 1500, weight: 0.01 }]);

    const listing = JSON.parse((await servesim(dir, ['trials', 'trials.sqlite', '--run', '1', '--json'])).stdout) as RunJson;
    const params = listing.calls[call - 1]!.params;
    const stored = (JSON.parse((await servesim(dir, ['trials', 'trials.sqlite', '--json'])).stdout) as TrialsJson).evaluations.filter(
      (e) => e.strategy === 'tiny' && JSON.stringify(e.params) === JSON.stringify(params),
    );
    expect(stored.map((e) => e.seed)).toEqual([42, 43]);
    // Same simulation input as the stored trial: the same store key.
    for (const e of stored) expect(configHash(buildRunArgv(strategy, {}, e.seed), dirname(file))).toBe(e.config_hash);

    // Re-simulated from scratch (a fresh store), compare gives exactly the stored metrics, seed by seed.
    const compare = await servesim(dir, ['compare', 'out/exported.yaml', 'out/exported.yaml', '--json', '--jobs', '1', '--store', 'fresh.sqlite']);
    expect(compare.code, compare.stderr).toBe(0);
    const perSeed = (JSON.parse(compare.stdout) as { per_seed: { a: Record<string, Record<string, number | null>> } }).per_seed.a;
    for (const e of stored) expect(perSeed[String(e.seed)]).toEqual(e.metrics);

    // The printed `servesim run` command is that same simulation for the first seed.
    const command = /run it \(seed 42\): servesim run (.*)\n/.exec(exported.stdout)![1]!;
    expect(yaml).toContain(`#   servesim run ${command}\n`);
    const run = await servesim(dir, ['run', ...command.split(' ')]);
    expect(run.code, run.stderr).toBe(0);
    const at = run.stdout.indexOf('"instance_id": "cluster"');
    const block = JSON.parse(run.stdout.slice(run.stdout.lastIndexOf('{', at), run.stdout.indexOf('\n}', at) + 2)) as Record<string, number>;
    const seed42 = stored.find((e) => e.seed === 42)!.metrics;
    for (const key of ['ttft_p99_ms', 'e2e_p99_ms', 'tokens_per_sec', 'completed_requests', 'scheduling_delay_p99_ms']) {
      expect(block[key], key).toBe(seed42[key]);
    }
  }, 60_000);

  it('export writes to stdout without --out, and needs --strategy for a run recorded without its strategy', async () => {
    const printed = await servesim(dir, ['export', 'trials.sqlite', '--run', '1', '--call', '1']);
    expect(printed.code, printed.stderr).toBe(0);
    const strategy = parseStrategy(printed.stdout, join(dir, 'x.yaml'));
    expect(strategy.fixedArgs).toEqual([
      '--model', 'meta-llama/llama-3.1-8b-instruct', '--num-instances', '2', '--num-requests', '60', '--scheduler', 'priority-fcfs',
      '--priority-policy', 'slo-tiered', '--slo-base-critical', '4', '--max-num-scheduled-tokens', '1024',
    ]);

    // A store written before runs kept their strategy.
    const old = join(dir, 'old.sqlite');
    copyFileSync(store, old);
    const db = new Database(old);
    db.exec("UPDATE optimization_runs SET settings_json = json_remove(settings_json, '$.strategy', '$.workload_sha256')");
    db.close();
    await expect(servesim(dir, ['export', 'old.sqlite', '--run', '1', '--call', '1'])).resolves.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^--run 1: trial store old\.sqlite does not hold the strategy of this run .*give its file with --strategy FILE\n$/),
    });
    const fallback = await servesim(dir, ['export', 'old.sqlite', '--run', '1', '--call', '1', '--strategy', 'tiny.yaml']);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stdout.replaceAll('old.sqlite', 'trials.sqlite')).toBe(printed.stdout);
    const wrong = await servesim(dir, ['export', 'old.sqlite', '--run', '1', '--call', '1', '--strategy', 'plain.yaml']);
    expect(wrong.stderr).toMatch(/^--strategy .*plain\.yaml: not the strategy run 1 optimised/);
  });

  it.each([
    [['trials', 'missing.sqlite'], /^trial store missing\.sqlite: no such file\n$/],
    [['trials', 'trials.sqlite', '--run', '9'], /^--run 9: trial store trials\.sqlite has no optimisation run 9 \(its runs: 1, 2\)\n$/],
    [['trials', 'trials.sqlite', '--run', '0'], /^--run: expected an integer >= 1, got "0"\n$/],
    [['trials', 'trials.sqlite', '--csv', '--json'], /^trials: --json and --csv exclude each other\n$/],
    [['export', 'trials.sqlite', '--run', '1', '--call', '5'], /^--call 5: run 1 of tiny has calls 1-4 \(calls are numbered from 1\)\n$/],
    [['export', 'trials.sqlite', '--run', '1', '--call', '0'], /^--call: expected an integer >= 1, got "0"\n$/],
    [['export', 'trials.sqlite', '--run', '3', '--call', '1'], /^--run 3: trial store trials\.sqlite has no optimisation run 3/],
    [['export', 'missing.sqlite', '--run', '1', '--call', '1'], /^trial store missing\.sqlite: no such file\n$/],
  ])('%j fails with one line', async (argv, pattern) => {
    const before = sha(store);
    const r = await servesim(dir, argv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(sha(store)).toBe(before);
  });

  it('read a store that another process is writing, committed rows included, creating no file', async () => {
    copyFileSync(store, join(dir, 'live.sqlite'));
    const writer = TrialStore.open(join(dir, 'live.sqlite'));
    try {
      const [first] = writer.evaluations();
      writer.putEvaluation({ ...first!, seed: 99, createdAt: new Date().toISOString() });
      expect(existsSync(join(dir, 'live.sqlite-wal'))).toBe(true);
      const files = readdirSync(dir).sort();
      const r = await servesim(dir, ['trials', 'live.sqlite', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout) as TrialsJson;
      expect(json.evaluations.map((e) => e.seed).at(-1)).toBe(99);
      expect(json.evaluations).toHaveLength(9);
      expect(readdirSync(dir).sort()).toEqual(files);
    } finally {
      writer.close();
    }
  });

  it('refuse a database that is not a servesim store and leave it unchanged', async () => {
    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES (1)');
    db.close();
    const before = sha(foreign);
    for (const argv of [['trials', 'foreign.db'], ['export', 'foreign.db', '--run', '1', '--call', '1']]) {
      const r = await servesim(dir, argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('trial store foreign.db: not a servesim trial store (tables notes); it was left unchanged\n');
    }
    expect(sha(foreign)).toBe(before);
    expect(existsSync(`${foreign}-wal`)).toBe(false);
  });
});

describe('initial_points', () => {
  const settings: OptimizeSettings = { seeds: [42, 43, 44], nCalls: 9, nInitial: 4, randomState: 42 };
  const WITH_POINTS = THREE_PARAM_STRATEGY.replace('objective:', 'initial_points: [{max_tokens: 1024, scorers: b}, defaults]\nobjective:');

  function setup(yaml: string, storeFile?: string) {
    const dir = tempDir();
    const strategy = loadStrategy(writeStrategy(dir, yaml));
    const store = TrialStore.open(storeFile ?? join(dir, 'trials.sqlite'));
    const evaluator = new StrategyEvaluator({ pool: inProcessPool(countingEvaluator().evaluate, 2), store, simVersion: 'test' });
    return { dir, strategy, store, evaluator };
  }

  it('are evaluated first, in order (omitted parameters take their defaults), then the same design as without them', async () => {
    const a = setup(WITH_POINTS);
    const r = await optimizeStrategy(a.strategy, settings, { evaluator: a.evaluator, store: a.store, createOptimizer: gpOptimizerFactory });
    expect(r.trace.slice(0, 2).map((t) => t.params)).toEqual([
      { base_critical: 10, max_tokens: 1024, scorers: 'b' },
      { base_critical: 10, max_tokens: 2048, scorers: 'a' },
    ]);
    expect(a.store.observations(r.run_id!).slice(0, 2).map((o) => o.callIndex)).toEqual([0, 1]);
    const b = setup(THREE_PARAM_STRATEGY);
    const plain = await optimizeStrategy(b.strategy, { ...settings, nCalls: 4 }, { evaluator: b.evaluator, store: b.store, createOptimizer: gpOptimizerFactory });
    expect(r.trace.slice(2, 6).map((t) => t.params)).toEqual(plain.trace.map((t) => t.params));
  });

  it('resume deterministically after a stop among the initial points', async () => {
    const reference = setup(WITH_POINTS);
    const uninterrupted = await optimizeStrategy(reference.strategy, settings, {
      evaluator: reference.evaluator,
      store: reference.store,
      createOptimizer: gpOptimizerFactory,
    });
    const killed = setup(WITH_POINTS);
    const stop = (p: { done: number }) => {
      if (p.done === 1) throw new Error('stop');
    };
    await expect(
      optimizeStrategy(killed.strategy, settings, { evaluator: killed.evaluator, store: killed.store, createOptimizer: gpOptimizerFactory, onCall: stop }),
    ).rejects.toThrow('stop');
    expect(killed.store.observations(1)).toHaveLength(1);
    const resumed = await optimizeStrategy(killed.strategy, settings, {
      evaluator: killed.evaluator,
      store: killed.store,
      createOptimizer: gpOptimizerFactory,
      resume: true,
    });
    expect(resumed.run_id).toBe(1);
    expect(resumed.trace).toEqual(uninterrupted.trace);
  });

  it('count towards --n-calls, on top of --n-initial', async () => {
    const { strategy, store, evaluator } = setup(WITH_POINTS);
    await expect(
      optimizeStrategy(strategy, { ...settings, nCalls: 5 }, { evaluator, store, createOptimizer: gpOptimizerFactory }),
    ).rejects.toThrow('--n-calls: expected at least 6 (2 initial_points of toy + --n-initial 4), got 5');
  });

  const noDefault = (y: string) => y.replace(', default: 2048}', '}');
  it.each([
    ['initial_points: defaults', /initial_points: parameter "max_tokens" has no default/, noDefault],
    ['initial_points: [{base_critical: 5}]', /initial_points\[0\]: no value for "max_tokens" \(and it has no default\)/, noDefault],
    ['initial_points: [{nope: 1}]', /initial_points\[0\]\.nope: unknown parameter "nope"; parameters: base_critical, max_tokens, scorers/, undefined],
    ['initial_points: [{max_tokens: 100}]', /initial_points\[0\]\.max_tokens: expected a value in \[768, 4096\], got 100/, undefined],
    ['initial_points: [{max_tokens: 1000.5}]', /initial_points\[0\]\.max_tokens: expected an integer, got 1000\.5/, undefined],
    ['initial_points: [{scorers: c}]', /initial_points\[0\]\.scorers: expected one of the categories \(a \| b\), got "c"/, undefined],
    ['initial_points: []', /initial_points: expected "defaults" or a non-empty list of points/, undefined],
  ])('%s is checked when the strategy loads', (line, pattern, edit) => {
    const dir = tempDir();
    const yaml = (edit ?? ((y: string) => y))(THREE_PARAM_STRATEGY.replace('objective:', `${line}\nobjective:`));
    let error: unknown;
    try {
      loadStrategy(writeStrategy(dir, yaml));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServesimError);
    expect((error as Error).message).toMatch(pattern);
  });

  it('are inherited by a variant without the parameters it no longer searches, and follow --set', async () => {
    const dir = tempDir();
    writeStrategy(dir, WITH_POINTS, 'base.yaml');
    writeFileSync(join(dir, 'variant.yaml'), 'extends: base.yaml\nname: variant\nremove_parameters: [scorers]\nfixed_args: [--routing-scorers b]\n');
    const variant = loadStrategy(join(dir, 'variant.yaml'));
    expect(variant.initialPoints).toEqual([
      { base_critical: 10, max_tokens: 1024 },
      { base_critical: 10, max_tokens: 2048 },
    ]);
    // A variant that searches nothing (for compare or a ledger row) drops them.
    writeFileSync(join(dir, 'fixed.yaml'), 'extends: base.yaml\nname: fixed\nremove_parameters: [base_critical, max_tokens, scorers]\n');
    expect(loadStrategy(join(dir, 'fixed.yaml')).initialPoints).toBeUndefined();
    const set = applySets(loadStrategy(join(dir, 'base.yaml')), ['max-num-scheduled-tokens=1024'], dir);
    expect(set.initialPoints).toEqual([
      { base_critical: 10, scorers: 'b' },
      { base_critical: 10, scorers: 'a' },
    ]);
  });
});
