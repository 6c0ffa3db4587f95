import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { ServesimError } from '../src/errors.js';
import { runLabCommand, type LabIO } from '../src/lab/commands.js';
import { inProcessPool } from '../src/lab/pool.js';
import { labSubcommands } from '../src/lab/subcommands.js';
import { countingEvaluator, fakeMetrics, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

function capture(cwd: string): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { cwd, env: {}, out, err, writeStdout: (t) => void out.push(t), writeStderr: (t) => void err.push(t) };
}

function fakeOverrides(fake = countingEvaluator()): Partial<LabIO> {
  return { progressBar: false, createPool: (jobs) => inProcessPool(fake.evaluate, jobs) };
}

describe('lab subcommands', () => {
  it('are registered with summaries and help', async () => {
    expect(labSubcommands.map((s) => s.name)).toEqual(['optimize', 'compare', 'sweep', 'ablate', 'ledger', 'trials', 'export', 'report', 'dashboard', 'worker']);
    const byName = (name: string) => labSubcommands.find((s) => s.name === name)!;
    const help = await byName('optimize').help();
    expect(help).toContain('Usage: servesim optimize [options] <strategy>');
    expect(help).toContain('--resume');
    expect(await byName('ledger').help()).toContain('--out <dir>');
    expect(await byName('worker').help()).toContain('Usage: servesim worker [options]');
  });

  it('optimize prints a summary, writes the JSON result and plain progress lines', async () => {
    const dir = tempDir();
    writeStrategy(dir, THREE_PARAM_STRATEGY);
    const io = capture(dir);
    const code = await runLabCommand(
      'optimize',
      ['strategy.yaml', '--n-calls', '8', '--n-initial', '4', '--jobs', '2', '--output', 'out/result.json'],
      io,
      fakeOverrides(),
    );
    expect(code).toBe(0);
    const stdout = io.out.join('');
    expect(stdout).toMatch(/^strategy toy: 8 calls x 3 seeds \(42-44\), 4 initial, random state 42\n/);
    expect(stdout).toMatch(/best score [\d.]+ at call \d+ \(minimised: critical_ttft_p99_ms \+ 2 constraint penalties per seed\)/);
    expect(stdout).toContain('run it: servesim run --model meta-llama/llama-3.1-8b-instruct');
    const progress = io.err.join('');
    expect(progress).toMatch(/optimize toy: 8\/8 calls \| score [\d.]+ \| best [\d.]+ \| sims 24 \|/);
    const result = JSON.parse(readFileSync(join(dir, 'out/result.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['best_params', 'best_score', 'best_mean_metrics', 'best_args', 'best_command', 'trace']),
    );
    expect((result.trace as unknown[]).length).toBe(8);
    expect(existsSync(join(dir, '.servesim/trials.sqlite'))).toBe(true);

    // A second identical run simulates nothing: every evaluation comes from the store.
    const again = capture(dir);
    const fake = countingEvaluator();
    await runLabCommand('optimize', ['strategy.yaml', '--n-calls', '8', '--n-initial', '4'], again, fakeOverrides(fake));
    expect(fake.calls).toHaveLength(0);
    expect(again.out.join('')).toContain('simulations run 0, reused ');
  });

  it('compare prints the paired table or JSON', async () => {
    const dir = tempDir();
    writeStrategy(dir, THREE_PARAM_STRATEGY, 'a.yaml');
    writeFileSync(join(dir, 'b.yaml'), THREE_PARAM_STRATEGY.replace('default: 10}', 'default: 12}'));
    const io = capture(dir);
    expect(await runLabCommand('compare', ['a.yaml', 'b.yaml', '--seeds', '42-46', '--jobs', '1'], io, fakeOverrides())).toBe(0);
    const crit = (base: number, seed: number) => fakeMetrics(['--slo-base-critical', String(base), '--seed', String(seed)]).critical_ttft_p99_ms!;
    const seeds = [42, 43, 44, 45, 46];
    const meanA = seeds.reduce((s, seed) => s + crit(10, seed), 0) / 5;
    const meanB = seeds.reduce((s, seed) => s + crit(12, seed), 0) / 5;
    const row = new RegExp(`critical\\s+ttft_p99_ms\\s+${meanA.toFixed(2)}\\s+${meanB.toFixed(2)}\\s+${((100 * (meanB - meanA)) / meanA).toFixed(1)}\\s+\\[`);
    expect(io.out.join('')).toMatch(row);
    const json = capture(dir);
    await runLabCommand('compare', ['a.yaml', 'b.yaml', '--json'], json, fakeOverrides());
    const parsed = JSON.parse(json.out.join('')) as { seeds: number[]; rows: unknown[] };
    expect(parsed.seeds).toEqual([42, 43, 44]);
    expect(parsed.rows.length).toBeGreaterThan(20);
  });

  it('ledger writes ledger.md and ledger.json', async () => {
    const dir = tempDir();
    writeStrategy(dir, THREE_PARAM_STRATEGY, 'a.yaml');
    writeFileSync(join(dir, 'b.yaml'), THREE_PARAM_STRATEGY.replace('default: 10}', 'default: 12}'));
    writeFileSync(join(dir, 'ledger.yaml'), 'baseline: "0"\nentries:\n  - {id: "0", name: A, strategy: a.yaml}\n  - {id: "1", name: B, strategy: b.yaml}\n');
    const io = capture(dir);
    expect(await runLabCommand('ledger', ['ledger.yaml', '--seeds', '42,43', '--out', 'report'], io, fakeOverrides())).toBe(0);
    const md = readFileSync(join(dir, 'report/ledger.md'), 'utf8');
    expect(md).toMatch(/\| 1 \| B \| Crit: -4\.4%, Std: -4\.4%, Shed: -3\.8% \| 0\.0% \| n\/a \| 0 \| /);
    const json = JSON.parse(readFileSync(join(dir, 'report/ledger.json'), 'utf8')) as { rows: Array<{ id: string; name: string; mean: Record<string, number>; per_seed: Record<string, Record<string, number>> }> };
    expect(json.rows.map((r) => [r.id, r.name])).toEqual([['0', 'A'], ['1', 'B']]);
    const crit = (seed: number) => fakeMetrics(['--slo-base-critical', '12', '--seed', String(seed)]).critical_ttft_p99_ms!;
    expect(json.rows[1]!.per_seed.critical_ttft_p99_ms).toEqual({ '42': crit(42), '43': crit(43) });
    expect(json.rows[1]!.mean.critical_ttft_p99_ms).toBe((crit(42) + crit(43)) / 2);
    expect(io.out.join('')).toContain('written: report/ledger.md, report/ledger.json');
  });

  it.each([
    [['optimize', 'nope.yaml'], /strategy file .*nope\.yaml: cannot read \(ENOENT\)/],
    [['optimize', 'strategy.yaml', '--seeds', '1,x'], /--seeds: "x" is not a seed/],
    [['optimize', 'strategy.yaml', '--n-calls', '0'], /--n-calls: expected an integer >= 1, got "0"/],
    [['optimize', 'strategy.yaml', '--n-initial', '50'], /--n-initial: expected an integer in \[1, --n-calls=40\], got 50/],
    [['optimize', 'strategy.yaml', '--jobs', '0'], /--jobs: expected an integer >= 1, got "0"/],
    [['compare', 'strategy.yaml', 'other.yaml'], /strategy file .*other\.yaml: cannot read/],
  ])('bad input %j → one-line ServesimError', async (argv, pattern) => {
    const dir = tempDir();
    writeStrategy(dir, THREE_PARAM_STRATEGY);
    const [name, ...rest] = argv as [string, ...string[]];
    const error = await runLabCommand(name as 'optimize', rest, capture(dir), fakeOverrides()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServesimError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).not.toContain('\n');
  });

  it('usage errors come back as exit status 1 with commander\'s message', async () => {
    const io = capture(tempDir());
    expect(await runLabCommand('compare', [], io, fakeOverrides())).toBe(1);
    expect(io.err.join('')).toContain("error: missing required argument 'strategies'");
    await expect(runLabCommand('compare', ['only-one.yaml'], io, fakeOverrides())).rejects.toThrow('compare: expected at least two strategy files, got 1');
  });
});

// One real simulation end to end: a tiny optimisation, in this thread (--jobs 1) and on the worker pool (--jobs 2).
const workerBuilt = existsSync(resolve('dist/lab/worker.js'));
describe.runIf(workerBuilt)('real simulations', () => {
  it('optimize gives identical results with --jobs 1 and --jobs 2', async () => {
    const dir = tempDir();
    const workload = resolve('presets/workloads/mixed-production.yaml');
    writeFileSync(
      join(dir, 'tiny.yaml'),
      `name: tiny\nworkload_spec: ${workload}\nseeds: 42,43\nfixed_args:\n  - --model meta-llama/llama-3.1-8b-instruct\n  - --num-instances 2\n  - --num-requests 60\n` +
        '  - --scheduler priority-fcfs\n  - --priority-policy slo-tiered\n' +
        'parameters:\n  - {name: base, flag: --slo-base-critical, type: real, low: 1, high: 20}\n  - {name: tokens, flag: --max-num-scheduled-tokens, type: integer, low: 256, high: 4096}\n' +
        'objective: {metric: critical_ttft_p99_ms, direction: minimize}\n',
    );
    const results: unknown[] = [];
    for (const jobs of ['1', '2']) {
      const io = capture(dir);
      const code = await runLabCommand(
        'optimize',
        ['tiny.yaml', '--n-calls', '5', '--n-initial', '3', '--jobs', jobs, '--store', `store-${jobs}.sqlite`, '--output', `r${jobs}.json`],
        io,
        { progressBar: false },
      );
      expect(code).toBe(0);
      const r = JSON.parse(readFileSync(join(dir, `r${jobs}.json`), 'utf8')) as Record<string, unknown>;
      expect(r.simulations_run).toBe(10);
      results.push({ trace: r.trace, best: r.best_params, metrics: r.best_mean_metrics });
    }
    expect(results[1]).toEqual(results[0]);
  });
});
