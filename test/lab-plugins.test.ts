// Plugins in the strategy lab: strategies load and check plugin flags, evaluations are keyed by the plugin's code
// (editing it never reuses a stored result), and optimize searches a plugin parameter on worker threads.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { createSimulationRunner } from '../src/lab/backend.js';
import { StrategyEvaluator } from '../src/lab/evaluate.js';
import { inProcessPool } from '../src/lab/pool.js';
import { TrialStore } from '../src/lab/store.js';
import { loadStrategy } from '../src/lab/strategy.js';

const ROOT = new URL('..', import.meta.url).pathname;
const WORKLOAD = join(ROOT, 'presets/workloads/mixed-production.yaml');

function plugin(body: string): string {
  return `
export default {
  axis: 'priority',
  name: 'aged',
  params: { weight: { type: 'float', default: 1e-6, min: 0, help: 'priority per µs of age' } },
  create: (p) => ({ compute: (req, now) => ${body} }),
};
`;
}

function setUp(extra = ''): { dir: string; pluginFile: string; strategyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-lab-plugins-'));
  const pluginFile = join(dir, 'aged.ts');
  writeFileSync(pluginFile, plugin('p.weight * (now - req.arrivalTime)'));
  const strategyFile = join(dir, 'aged.yaml');
  writeFileSync(
    strategyFile,
    `name: aged
workload_spec: ${WORKLOAD}
plugins: [./aged.ts]
seeds: 42,43
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --num-instances 2
  - --num-requests 150
  - --scheduler priority-fcfs
  - --priority-policy aged
parameters:
  - {name: weight, flag: --aged.weight, type: real, low: 0, high: 0.001, default: 0.00001}
objective: {metric: critical_ttft_p99_ms, direction: minimize}
${extra}`,
  );
  return { dir, pluginFile, strategyFile };
}

function strategyError(extra: string, replace?: [string, string]): string {
  const { strategyFile } = setUp(extra);
  if (replace) writeFileSync(strategyFile, readFileSync(strategyFile, 'utf8').replace(replace[0], replace[1]));
  try {
    loadStrategy(strategyFile);
  } catch (error) {
    return (error as Error).message;
  }
  return '(loaded)';
}

describe('strategies with plugins', () => {
  it('turn plugins into absolute --plugin flags', () => {
    const { strategyFile, pluginFile } = setUp();
    const strategy = loadStrategy(strategyFile);
    expect(strategy.fixedArgs.slice(0, 2)).toEqual(['--plugin', pluginFile]);
  });

  it('check plugin flags and values against the flag table when they load', () => {
    expect(strategyError('', ['--aged.weight, type: real', '--aged.wieght, type: real'])).toMatch(
      /parameters\[0\]\.flag: unknown run flag --aged\.wieght/,
    );
    expect(strategyError('', ['low: 0, high', 'low: -1, high'])).toMatch(/parameters\[0\]\.low: --aged\.weight must be a finite value >= 0, got -1/);
    expect(strategyError('', ['--num-requests 150', '--num-requests many'])).toMatch(/fixed_args: invalid argument "many" for "--num-requests"/);
    expect(strategyError('', ['--priority-policy aged', '--priority-policy aged --aged.nope 3'])).toMatch(/fixed_args: unknown flag: --aged\.nope/);
    expect(strategyError('', ['plugins: [./aged.ts]', 'plugins: [./missing.ts]'])).toMatch(/fixed_args: plugin .*missing\.ts: no such file/);
  });
});

describe('trial store identity', () => {
  it('re-simulates after the plugin changes, and reuses results while it does not', async () => {
    const { strategyFile, pluginFile, dir } = setUp();
    const run = createSimulationRunner();
    const store = TrialStore.open(join(dir, 'trials.sqlite'));
    const evaluator = new StrategyEvaluator({ pool: inProcessPool(async (task) => run(task)), store });
    const strategy = loadStrategy(strategyFile);
    const params = { weight: 1e-5 };
    const first = await evaluator.evaluateSeed(strategy, params, 42);
    const again = await evaluator.evaluateSeed(loadStrategy(strategyFile), params, 42);
    expect([first.cached, again.cached]).toEqual([false, true]);
    expect(again.metrics).toEqual(first.metrics);

    // The opposite ordering: newest first.
    writeFileSync(pluginFile, plugin('-p.weight * (now - req.arrivalTime)'));
    const edited = await evaluator.evaluateSeed(loadStrategy(strategyFile), params, 42);
    expect(edited.cached).toBe(false);
    expect(edited.metrics.critical_ttft_p99_ms).not.toBe(first.metrics.critical_ttft_p99_ms);
    expect(evaluator.simulated).toBe(2);
    store.close();
  });
});

describe('optimize', () => {
  it('searches a plugin parameter on two worker threads', async () => {
    const { strategyFile, dir } = setUp();
    let stdout = '';
    let stderr = '';
    const io = { cwd: dir, writeStdout: (t: string) => void (stdout += t), writeStderr: (t: string) => void (stderr += t), env: {} };
    const code = await runCli(
      ['optimize', strategyFile, '--n-calls', '4', '--n-initial', '3', '--jobs', '2', '--store', join(dir, 's.sqlite'), '--output', join(dir, 'best.json')],
      io,
    );
    expect(stderr).not.toMatch(/internal error/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/best parameters:\n {2}weight = /);
    expect(stdout).toMatch(/simulations run 8, /);
    const best = JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')) as { best_args: string[] };
    expect(best.best_args.join(' ')).toMatch(/--aged\.weight/);
  }, 60_000);
});

describe('ledger with a failing row', () => {
  it('finishes, records the failed seeds in the row and exits with status 3', async () => {
    const { dir, strategyFile } = setUp();
    writeFileSync(join(dir, 'aged.ts'), plugin('Number.NaN'));
    const base = join(dir, 'base.yaml');
    writeFileSync(base, readFileSync(strategyFile, 'utf8').replace('name: aged', 'name: base').replace('--priority-policy aged', '--priority-policy constant'));
    const ledger = join(dir, 'ledger.yaml');
    writeFileSync(ledger, `seeds: 42,43\nbaseline: "0"\nentries:\n  - {id: "0", name: Base, strategy: base.yaml}\n  - {id: "1", name: Broken, strategy: aged.yaml}\n`);
    let stdout = '';
    let stderr = '';
    const io = { cwd: dir, writeStdout: (t: string) => void (stdout += t), writeStderr: (t: string) => void (stderr += t), env: { SERVESIM_PROGRESS: 'plain' } };
    const code = await runCli(['ledger', ledger, '--jobs', '1', '--store', join(dir, 'l.sqlite'), '--out', join(dir, 'out')], io);
    expect(code).toBe(3);
    expect(stderr).toMatch(/ledger: 2 of 4 evaluations failed \(row 1: seeds 42, 43\); their rows say why \(exit status 3\)\n$/);
    expect(stdout).toMatch(/\| 1 \| Broken \|.*Failed on every seed \(42, 43\): .*aged\.ts: priority policy "aged" compute\(\) returned NaN for request_\d+ at t=\d+ µs/);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'ledger.json'), 'utf8')) as { failed_evaluations: number; rows: Array<{ failed_seeds: unknown[] }> };
    expect(report.failed_evaluations).toBe(2);
    expect(report.rows[0]!.failed_seeds).toEqual([]);
  }, 60_000);
});
