// `servesim optimize` killed with SIGKILL mid-run, then `--resume`d: no finished evaluation is lost or
// re-simulated, and the result equals an uninterrupted run. Runs the built CLI (npm test builds first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'servesim');
const dir = mkdtempSync(join(tmpdir(), 'servesim-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const strategyPath = join(dir, 'strategy.yaml');
writeFileSync(
  strategyPath,
  `name: kill-resume
workload_spec: ${join(root, 'presets', 'workloads', 'mixed-production.yaml')}
seeds: 42,43
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --num-instances 4
  - --num-requests 500
  - --scheduler priority-fcfs
  - --priority-policy slo-tiered
parameters:
  - {name: base_critical, flag: --slo-base-critical, type: real, low: 5, high: 20}
  - {name: max_tokens, flag: --max-num-scheduled-tokens, type: integer, low: 256, high: 4096}
objective: {metric: critical_ttft_p99_ms, direction: minimize}
`,
);
const common = ['optimize', strategyPath, '--n-calls', '12', '--n-initial', '4', '--random-state', '7', '--jobs', '1'];

function countEvaluations(storePath: string): number {
  try {
    const db = new Database(storePath, { fileMustExist: true, timeout: 1000 });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM evaluations').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

function runOptimize(store: string, output: string, extra: string[] = []): void {
  const res = spawnSync(process.execPath, [bin, ...common, '--store', store, '--output', output, ...extra], { encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
}

describe('optimize --resume after SIGKILL', () => {
  // The composite surrogate re-learns from the mean metrics stored with each observation, not only the scores: it is
  // killed after its model-based calls began (call 5 on = evaluation 9 on), so the resume re-tells metrics.
  it.each([
    ['the default GP', [] as string[], 8],
    ['--surrogate composite', ['--surrogate', 'composite'], 14],
  ])('with %s: loses no finished evaluation, re-simulates none, and ends where an uninterrupted run ends', async (label, modelFlags, killAfter) => {
    const tag = label.replace(/\W+/g, '-');
    const referenceStore = join(dir, `reference${tag}.sqlite`);
    runOptimize(referenceStore, join(dir, `reference${tag}.json`), modelFlags);
    const totalEvaluations = countEvaluations(referenceStore);

    const store = join(dir, `killed${tag}.sqlite`);
    const child = spawn(process.execPath, [bin, ...common, ...modelFlags, '--store', store, '--output', join(dir, `killed${tag}.json`)], {
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let done = 0;
    while (child.exitCode === null && (done = countEvaluations(store)) < killAfter) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const survived = countEvaluations(store);
    expect(survived).toBeGreaterThanOrEqual(done);
    expect(survived).toBeLessThan(totalEvaluations); // really killed mid-run

    runOptimize(store, join(dir, `resumed${tag}.json`), [...modelFlags, '--resume']);
    const resumed = JSON.parse(readFileSync(join(dir, `resumed${tag}.json`), 'utf8'));
    const reference = JSON.parse(readFileSync(join(dir, `reference${tag}.json`), 'utf8'));
    expect(countEvaluations(store)).toBe(totalEvaluations);
    expect(resumed.simulations_run).toBe(totalEvaluations - survived);
    expect(resumed.trace).toEqual(reference.trace);
    expect(resumed.best_params).toEqual(reference.best_params);
    expect(resumed.best_score).toBe(reference.best_score);
  });
});
