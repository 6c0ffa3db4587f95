// `optimize --warm-start-from RUN`: an earlier run's points are the new run's first calls, read back from the store
// (never simulated again), and points the new strategy cannot take are refused before any work.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './lab/helpers.js';
import { runCliCaptured } from './support/cli.js';

const workload = resolve('presets/workloads/mixed-production.yaml');
const strategy = (name: string, criticalHigh: number) =>
  `name: ${name}\nworkload_spec: ${workload}\nseeds: 42,43\nfixed_args:\n  - --model meta-llama/llama-3.1-8b-instruct\n  - --num-instances 2\n  - --num-requests 60\n` +
  '  - --scheduler priority-fcfs\n  - --priority-policy slo-tiered\n' +
  `parameters:\n  - {name: critical, flag: --slo-base-critical, type: real, low: 1, high: ${criticalHigh}, default: 1.5}\n` +
  'objective: {metric: critical_ttft_p99_ms, direction: minimize}\n';

interface Result {
  trace: Array<{ call: number; params: Record<string, number>; score: number }>;
  simulations_run: number;
  evaluations_reused: number;
}

describe('optimize --warm-start-from', () => {
  const dir = tempDir('servesim-warm-');
  let first: Result;

  beforeAll(async () => {
    writeFileSync(join(dir, 'wide.yaml'), strategy('wide', 20));
    writeFileSync(join(dir, 'narrow.yaml'), strategy('narrow', 2));
    const run = await runCliCaptured(['optimize', 'wide.yaml', '--n-calls', '3', '--n-initial', '3', '--jobs', '1', '--store', 's.sqlite', '--output', 'first.json'], dir);
    expect(run.exitCode, run.stderr).toBe(0);
    first = JSON.parse(readFileSync(join(dir, 'first.json'), 'utf8')) as Result;
  }, 60_000);

  it("evaluates the earlier run's points first, from the store", async () => {
    const run = await runCliCaptured(
      ['optimize', 'wide.yaml', '--warm-start-from', '1', '--n-calls', '4', '--n-initial', '1', '--random-state', '7', '--jobs', '1', '--store', 's.sqlite', '--output', 'second.json'],
      dir,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const second = JSON.parse(readFileSync(join(dir, 'second.json'), 'utf8')) as Result;
    expect(second.trace.slice(0, 3).map((t) => [t.params, t.score])).toEqual(first.trace.map((t) => [t.params, t.score]));
    // 3 points × 2 seeds read back (+ the best point's 2 seeds re-read for its metrics, as in every run); only the
    // 4th call is simulated.
    expect([first.evaluations_reused, first.simulations_run]).toEqual([2, 6]);
    expect([second.evaluations_reused, second.simulations_run]).toEqual([8, 2]);
    expect(run.stdout).toMatch(/^strategy wide: 4 calls x 2 seeds \(42,43\), 3 from initial_points \+ 1 initial/);
  }, 60_000);

  it('refuses an unknown run, and a point outside the strategy before any simulation', async () => {
    const unknown = await runCliCaptured(['optimize', 'wide.yaml', '--warm-start-from', '9', '--n-calls', '5', '--store', 's.sqlite'], dir);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/--warm-start-from 9: the trial store has no optimisation run 9 \(its runs: 1, 2\)/);
    const outside = first.trace.findIndex((t) => t.params.critical! > 2) + 1;
    const narrow = await runCliCaptured(['optimize', 'narrow.yaml', '--warm-start-from', '1', '--n-calls', '5', '--store', 's.sqlite'], dir);
    expect(narrow.exitCode).toBe(1);
    expect(narrow.stderr).toContain(`--warm-start-from 1: call ${outside}: `);
    expect(narrow.stdout).toBe('');
  }, 60_000);
});
