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

// The same for a multi-objective run (real simulator): SIGKILLed and resumed, it ends with the uninterrupted run's
// front, trace, hypervolume and validation; and --jobs 1 and --jobs 2 give byte-identical fronts and summaries.
const paretoHead = `workload_spec: ${join(root, 'presets', 'workloads', 'mixed-production.yaml')}
seeds: 42,43
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --num-instances 4
  - --num-requests 300
  - --scheduler priority-fcfs
  - --priority-policy slo-tiered
`;
writeFileSync(join(dir, 'ref.yaml'), `name: small-ref\n${paretoHead}`);
const paretoStrategyPath = join(dir, 'pareto.yaml');
writeFileSync(
  paretoStrategyPath,
  `name: pareto-kill-resume
${paretoHead}validation_seeds: 44,45,46
references: [ref.yaml]
parameters:
  - {name: base_critical, flag: --slo-base-critical, type: real, low: 5, high: 20}
  - {name: max_tokens, flag: --max-num-scheduled-tokens, type: integer, low: 256, high: 4096}
objectives:
  - {metric: critical_ttft_p99_ms, direction: minimize}
  - {metric: throughput_tps, direction: maximize}
constraints:
  - {require: throughput_tps >= reference, tolerance: 5%}
`,
);
const paretoCommon = ['optimize', paretoStrategyPath, '--n-calls', '9', '--n-initial', '4', '--random-state', '5'];

function runParetoOptimize(store: string, output: string, extra: string[]): { stdout: string } {
  const res = spawnSync(process.execPath, [bin, ...paretoCommon, '--store', store, '--output', output, ...extra], { encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
  return { stdout: res.stdout };
}

/** The parts of a result that must not depend on --jobs or on a kill (timings and counts aside). */
function essentials(file: string) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { trace: r.trace, front: r.front, hypervolume: r.hypervolume.per_call, validation: r.validation, best: r.best_params };
}

describe('multi-objective optimize with the real simulator', () => {
  it('--jobs 1 and --jobs 2 give identical fronts; a SIGKILLed run resumes without losing or re-running an evaluation', async () => {
    const one = runParetoOptimize(join(dir, 'jobs1.sqlite'), join(dir, 'jobs1.json'), ['--jobs', '1']);
    const two = runParetoOptimize(join(dir, 'jobs2.sqlite'), join(dir, 'jobs2.json'), ['--jobs', '2']);
    expect(essentials(join(dir, 'jobs2.json'))).toEqual(essentials(join(dir, 'jobs1.json')));
    const table = (s: string) => s.split('\n').filter((l) => !/simulations run|stored as run|written to/.test(l)).join('\n');
    expect(table(two.stdout)).toBe(table(one.stdout));
    expect(essentials(join(dir, 'jobs1.json')).front.length).toBeGreaterThan(0);
    const totalEvaluations = countEvaluations(join(dir, 'jobs1.sqlite'));

    const store = join(dir, 'pareto-killed.sqlite');
    const child = spawn(process.execPath, [bin, ...paretoCommon, '--jobs', '2', '--store', store, '--output', join(dir, 'pareto-killed.json')], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let done = 0;
    // Past the reference (2) and the initial design (4 x 2), inside the model-based calls.
    while (child.exitCode === null && (done = countEvaluations(store)) < 13) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const survived = countEvaluations(store);
    expect(survived).toBeGreaterThanOrEqual(done);
    expect(survived).toBeLessThan(totalEvaluations); // really killed mid-run

    runParetoOptimize(store, join(dir, 'pareto-resumed.json'), ['--jobs', '2', '--resume']);
    const resumed = JSON.parse(readFileSync(join(dir, 'pareto-resumed.json'), 'utf8'));
    expect(countEvaluations(store)).toBe(totalEvaluations);
    expect(resumed.simulations_run).toBe(totalEvaluations - survived - 3 * (1 + resumed.front.length)); // validation runs after
    expect(essentials(join(dir, 'pareto-resumed.json'))).toEqual(essentials(join(dir, 'jobs1.json')));
  }, 240_000);
});
