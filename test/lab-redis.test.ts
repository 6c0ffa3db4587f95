// The Redis backend end to end, on a real Redis (SERVESIM_TEST_REDIS_URL; skipped without one unless CI requires it):
// `servesim worker` processes (the built CLI) and lab commands with --backend, with faults injected — a worker
// SIGKILLed mid-job, the coordinator SIGKILLed and resumed, a deterministic failure, a worker of another version,
// an unreachable Redis, a password URL. Locks and polls are shortened through the environment so recovery takes
// about a second. Each test uses its own queue, obliterated afterwards.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_VERSION } from '../src/version.js';
import { runCliCaptured } from './support/cli.js';
import { testRedisUrl } from './support/services.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'servesim');
const redisUrl = testRedisUrl();
const dir = mkdtempSync(join(tmpdir(), 'servesim-redis-'));
const FAST = { SERVESIM_WORKER_LOCK_MS: '1000', SERVESIM_WORKER_STALLED_INTERVAL_MS: '500', SERVESIM_REDIS_POLL_MS: '500', SERVESIM_PROGRESS: 'plain' };
const runId = randomBytes(4).toString('hex');
const queues: string[] = [];
const workers: ChildProcess[] = [];

function queueName(label: string): string {
  const name = `test-${runId}-${label}`;
  queues.push(name);
  return name;
}

afterAll(async () => {
  for (const child of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (redisUrl) {
    for (const name of queues) {
      const queue = new Queue(name, { connection: { url: redisUrl } });
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const strategyPath = join(dir, 'strategy.yaml');
writeFileSync(
  strategyPath,
  `name: redis-backend
workload_spec: ${join(root, 'presets', 'workloads', 'mixed-production.yaml')}
seeds: 42,43
fixed_args:
  - --model meta-llama/llama-3.1-8b-instruct
  - --num-instances 4
  - --num-requests 200
  - --scheduler priority-fcfs
  - --priority-policy slo-tiered
parameters:
  - {name: base_critical, flag: --slo-base-critical, type: real, low: 5, high: 20, default: 10}
  - {name: max_tokens, flag: --max-num-scheduled-tokens, type: integer, low: 256, high: 4096, default: 2048}
objective: {metric: critical_ttft_p99_ms, direction: minimize}
`,
);
const optimizeArgs = ['optimize', strategyPath, '--n-calls', '6', '--n-initial', '3', '--random-state', '7'];

interface WorkerProcess {
  child: ChildProcess;
  log: () => string;
  /** The worker's BullMQ name (from its "connected … as NAME:" line). */
  name: string;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startWorker(queue: string, url = redisUrl!, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [bin, 'worker', '--redis', url, '--queue', queue, '--concurrency', '1'], {
    // TMPDIR: a SIGKILLed worker's input directory is removed with the test's directory.
    env: { ...process.env, ...FAST, TMPDIR: dir, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.push(child);
  let text = '';
  child.stderr!.on('data', (chunk) => (text += chunk));
  const name = await until(() => / as (\S+): /.exec(text)?.[1] ?? (child.exitCode !== null ? `exited: ${text}` : undefined), 'a worker to connect');
  expect(name).not.toMatch(/^exited/);
  return { child, log: () => text, name };
}

function stopWorker(worker: WorkerProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => worker.child.on('exit', (code) => resolve(code)));
  worker.child.kill('SIGTERM');
  return exited;
}

function evaluationCounts(store: string): { rows: number; distinct: number } {
  const db = new Database(store, { fileMustExist: true, readonly: true });
  try {
    const rows = (db.prepare('SELECT COUNT(*) AS n FROM evaluations').get() as { n: number }).n;
    const distinct = (db.prepare('SELECT COUNT(*) AS n FROM (SELECT DISTINCT config_hash, seed FROM evaluations)').get() as { n: number }).n;
    return { rows, distinct };
  } finally {
    db.close();
  }
}

function countRows(store: string): number {
  try {
    return evaluationCounts(store).rows;
  } catch {
    return 0; // not created yet
  }
}

const doneJobs = (worker: WorkerProcess): string[] => [...worker.log().matchAll(/job (\S+): done in \d+ ms$/gm)].map((m) => m[1]!);
const doneLines = (worker: WorkerProcess): number => doneJobs(worker).length;

describe.skipIf(!redisUrl)('lab commands on the Redis backend', () => {
  let reference: { trace: unknown; best_params: unknown; best_score: number };
  let referenceEvaluations: number;

  beforeAll(async () => {
    const store = join(dir, 'local.sqlite');
    const local = await runCliCaptured([...optimizeArgs, '--jobs', '1', '--store', store, '--output', join(dir, 'local.json')], dir, FAST);
    expect(local.exitCode, local.stderr).toBe(0);
    reference = JSON.parse(readFileSync(join(dir, 'local.json'), 'utf8'));
    referenceEvaluations = evaluationCounts(store).rows;
  });

  it('three workers, one SIGKILLed mid-job: the job goes to another worker; result and store equal the local run', async () => {
    const queue = queueName('kill-worker');
    const pool = await Promise.all([startWorker(queue), startWorker(queue), startWorker(queue)]);
    const victim = pool[0]!;
    const store = join(dir, 'kill-worker.sqlite');
    const run = runCliCaptured([...optimizeArgs, '--backend', redisUrl!, '--queue', queue, '--store', store, '--output', join(dir, 'kill-worker.json')], dir, FAST);

    const bull = new Queue(queue, { connection: { url: redisUrl! } });
    try {
      const victimJob = await until(async () => (await bull.getActive()).find((job) => job.processedBy === victim.name)?.id, 'the victim to take a job');
      victim.child.kill('SIGKILL');
      const outcome = await run;
      expect(outcome.exitCode, outcome.stderr).toBe(0);
      expect(outcome.stderr).toContain('3 workers, 3 simulation slots');

      const result = JSON.parse(readFileSync(join(dir, 'kill-worker.json'), 'utf8'));
      expect(result.trace).toEqual(reference.trace);
      expect(result.best_params).toEqual(reference.best_params);
      expect(result.best_score).toBe(reference.best_score);
      expect(evaluationCounts(store)).toEqual({ rows: referenceEvaluations, distinct: referenceEvaluations });

      // Stalled-job recovery really happened: the killed worker's job was finished by a survivor.
      const job = (await Job.fromId(bull, victimJob))!;
      expect(await job.getState()).toBe('completed');
      expect(job.processedBy).not.toBe(victim.name);
      expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
    } finally {
      await bull.close();
    }
    // Graceful stop: SIGTERM → exit 0.
    expect(await Promise.all(pool.slice(1).map(stopWorker))).toEqual([0, 0]);
  });

  it('the coordinator SIGKILLed mid-run: --resume collects the jobs finished meanwhile, none is simulated twice', async () => {
    const queue = queueName('kill-coordinator');
    const pool = await Promise.all([startWorker(queue), startWorker(queue)]);
    const store = join(dir, 'kill-coordinator.sqlite');
    const backend = ['--backend', redisUrl!, '--queue', queue, '--store', store];
    const coordinator = spawn(process.execPath, [bin, ...optimizeArgs, ...backend], { env: { ...process.env, ...FAST }, stdio: 'ignore' });
    const killed = new Promise((resolve) => coordinator.on('exit', (_code, signal) => resolve(signal)));
    // Early in the initial design (6 jobs handed out at once), so jobs are still queued or running at the kill.
    await until(() => countRows(store) >= 2 || undefined, 'two stored evaluations');
    coordinator.kill('SIGKILL');
    expect(await killed).toBe('SIGKILL');
    const survived = countRows(store);
    expect(survived).toBeLessThan(referenceEvaluations);

    // The workers finish what the dead coordinator had queued.
    const bull = new Queue(queue, { connection: { url: redisUrl! } });
    try {
      await until(async () => {
        const counts = await bull.getJobCounts('waiting', 'active', 'delayed');
        return counts.waiting + counts.active + counts.delayed === 0 || undefined;
      }, 'the queue to drain');
    } finally {
      await bull.close();
    }
    const simulatedBeforeResume = pool.reduce((n, w) => n + doneLines(w), 0);
    expect(simulatedBeforeResume).toBeGreaterThan(survived); // results in Redis that the store does not have

    const resumed = await runCliCaptured([...optimizeArgs, ...backend, '--resume', '--output', join(dir, 'resumed.json')], dir, FAST);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'resumed.json'), 'utf8'));
    expect(result.trace).toEqual(reference.trace);
    expect(result.best_params).toEqual(reference.best_params);
    expect(evaluationCounts(store)).toEqual({ rows: referenceEvaluations, distinct: referenceEvaluations });
    // Every evaluation was simulated exactly once over both coordinators.
    expect(pool.reduce((n, w) => n + doneLines(w), 0)).toBe(referenceEvaluations);
    await Promise.all(pool.map(stopWorker));
  });

  it('a deterministic failure comes back as the local error (same message and exit status) and is not retried', async () => {
    const queue = queueName('bad-input');
    const worker = await startWorker(queue);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync(strategyPath, 'utf8')
        .replace('name: redis-backend', 'name: bad-bandwidth')
        .replace('  - --num-requests 200', '  - --num-requests 50\n  - --kv-cpu-blocks 100\n  - --kv-transfer-bandwidth 0'),
    );
    const compare = ['compare', strategyPath, bad, '--seeds', '42'];
    const local = await runCliCaptured([...compare, '--jobs', '1', '--store', join(dir, 'bad-local.sqlite')], dir, FAST);
    const remote = await runCliCaptured([...compare, '--backend', redisUrl!, '--queue', queue, '--store', join(dir, 'bad-remote.sqlite')], dir, FAST);
    expect(local.exitCode).toBe(1);
    expect(local.stderr).toContain('strategy bad-bandwidth, seed 42: --kv-transfer-bandwidth must be a finite value > 0');
    expect(remote.exitCode).toBe(local.exitCode);
    const lastLine = (text: string) => text.trimEnd().split('\n').pop();
    expect(lastLine(remote.stderr)).toBe(lastLine(local.stderr));

    const bull = new Queue(queue, { connection: { url: redisUrl! } });
    try {
      const failedReply = (await bull.getCompleted()).find((job) => job.returnvalue?.ok === false)!;
      expect(failedReply.returnvalue).toMatchObject({ ok: false, userError: true, exitCode: 1 });
      expect(failedReply.attemptsMade).toBe(1);
      expect(await bull.getFailedCount()).toBe(0);
    } finally {
      await bull.close();
    }
    expect(worker.log()).toMatch(/simulation failed \(exit status 1\): --kv-transfer-bandwidth/);
    expect(await stopWorker(worker)).toBe(0);
  });

  it('a worker refuses a job of another simulator version: failed on the job with the reason, once, and the worker goes on', async () => {
    const queue = queueName('version');
    const worker = await startWorker(queue);
    const bull = new Queue(queue, { connection: { url: redisUrl! } });
    try {
      const job = await bull.add('simulate', { simVersion: '0.0.1+sim0', argv: ['--model', 'x'], inputs: [] }, { attempts: 3 });
      await until(async () => (await job.getState()) === 'failed' || undefined, 'the job to fail');
      const failed = (await Job.fromId(bull, job.id!))!;
      expect(failed.failedReason).toBe(
        `worker ${worker.name} runs simulator ${SIMULATOR_VERSION}, the job needs 0.0.1+sim0: run the same servesim version on the coordinator and every worker`,
      );
      expect(failed.attemptsMade).toBe(1);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await bull.close();
    }
    expect(await stopWorker(worker)).toBe(0);
  });

  it('plugins (with their imports) and policy bundles travel as content: same results as a local run', async () => {
    const queue = queueName('plugins');
    const worker = await startWorker(queue);
    const examples = join(root, 'examples', 'plugins');
    const files: Record<string, string> = {
      // Each plugin imports its policy from a file elsewhere: the worker must get the bundle, not the path.
      'plugins/copy.ts': `export { default } from '${join(examples, 'slo-tiered-copy.ts')}';\n`,
      'plugins/edf.ts': `export { default } from '${join(examples, 'edf-priority.ts')}';\n`,
      'bundles/edf.yaml': 'plugins: [../plugins/edf.ts]\npriority:\n  policy: edf\n  edf.critical_budget: 40000\n',
      'copy.yaml': readFileSync(strategyPath, 'utf8')
        .replace('name: redis-backend', 'name: plugin-copy\nplugins: [plugins/copy.ts]')
        .replace('--priority-policy slo-tiered', '--priority-policy slo-tiered-copy'),
      'bundle.yaml': readFileSync(strategyPath, 'utf8')
        .replace('name: redis-backend', 'name: policy-bundle')
        .replace('  - --priority-policy slo-tiered', '  - --policy-config bundles/edf.yaml'),
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const compare = ['compare', strategyPath, join(dir, 'copy.yaml'), join(dir, 'bundle.yaml'), '--seeds', '42,43', '--json'];
    const local = await runCliCaptured([...compare, '--jobs', '1', '--store', join(dir, 'plugins-local.sqlite')], dir, FAST);
    const remote = await runCliCaptured([...compare, '--backend', redisUrl!, '--queue', queue, '--store', join(dir, 'plugins-remote.sqlite')], dir, FAST);
    expect(local.exitCode, local.stderr).toBe(0);
    expect(remote.exitCode, remote.stderr).toBe(0);
    expect(remote.stdout).toBe(local.stdout);

    const bull = new Queue(queue, { connection: { url: redisUrl! } });
    try {
      const jobs = await bull.getCompleted();
      expect(jobs).toHaveLength(6);
      for (const job of jobs) {
        // No path of this machine left in a job's argv: every input is shipped (in/<digest>/<name>).
        expect(job.data.argv.filter((arg: string) => arg.startsWith('/'))).toEqual([]);
      }
      const bundleJob = jobs.find((job) => job.data.argv.includes('--policy-config'))!;
      expect(bundleJob.data.inputs.map((input: { path: string }) => input.path.replace(/^in\/[0-9a-f]{32}\//, ''))).toEqual(
        expect.arrayContaining(['edf.yaml', 'plugin-0-edf.js', 'mixed-production.yaml']),
      );
    } finally {
      await bull.close();
    }
    expect(await stopWorker(worker)).toBe(0);
  });

  it('a password in the URL never reaches output, logs or the store', async () => {
    const user = `servesim-test-${runId}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const admin = new Queue(queueName('acl-admin'), { connection: { url: redisUrl! } });
    const client = await admin.client;
    await client.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    try {
      const secretUrl = new URL(redisUrl!);
      secretUrl.username = user;
      secretUrl.password = password;
      const queue = queueName('password');
      const worker = await startWorker(queue, secretUrl.toString());
      const store = join(dir, 'password.sqlite');
      const outcome = await runCliCaptured(
        ['compare', strategyPath, strategyPath, '--seeds', '42', '--backend', secretUrl.toString(), '--queue', queue, '--store', store],
        dir,
        FAST,
      );
      expect(outcome.exitCode, outcome.stderr).toBe(0);
      expect(await stopWorker(worker)).toBe(0);
      expect(worker.log()).toContain(`${user}:***@`);
      expect(outcome.stderr).toContain(`${user}:***@`);
      for (const text of [worker.log(), outcome.stdout, outcome.stderr, readFileSync(store).toString('latin1')]) expect(text).not.toContain(password);
    } finally {
      await client.call('ACL', 'DELUSER', user);
      await admin.close();
    }
  });
});

describe.skipIf(!redisUrl)('a Redis restarted, then gone', () => {
  it('restarted without its data: lost jobs are queued again and the result equals the local one; gone: one line, exit 1', async () => {
    const port = await closedPort();
    const startRedis = () => {
      const res = spawnSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'yes']);
      expect(res.status, String(res.stderr)).toBe(0);
    };
    const stopRedis = () => spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    startRedis();
    try {
      await until(() => spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().includes('PONG') || undefined, 'the private Redis');
      const url = `redis://127.0.0.1:${port}`;
      const worker = await startWorker('servesim', url, { SERVESIM_REDIS_ATTEMPTS: '3' });
      const baseline = join(root, 'presets', 'strategies', 'baseline.yaml');
      const sweep = ['sweep', baseline, '--vary', 'kv-offload-threshold=0.5,0.6', '--seeds', '1-2', '--set', 'num-requests=50', '--json'];
      const local = await runCliCaptured([...sweep, '--jobs', '1', '--store', join(dir, 'restart-local.sqlite')], dir, FAST);
      const remote = runBin([...sweep, '--backend', url, '--store', join(dir, 'restart-remote.sqlite')], FAST);
      await until(() => doneLines(worker) >= 1 || undefined, 'a first finished job');
      stopRedis();
      startRedis(); // empty: the queued jobs are gone
      const restarted = await remote;
      expect(restarted.code, restarted.stderr).toBe(0);
      expect(restarted.stdout).toBe(local.stdout);

      const gone = runBin([...sweep, '--set', 'num-requests=60', '--backend', url, '--store', join(dir, 'gone.sqlite')], { ...FAST, SERVESIM_REDIS_ATTEMPTS: '3' });
      const firstSweep = new Set(doneJobs(worker));
      await until(() => doneJobs(worker).some((id) => !firstSweep.has(id)) || undefined, 'a job of the second sweep');
      stopRedis();
      const failed = await gone;
      expect(failed.code).toBe(1);
      expect(failed.stderr.trimEnd().split('\n').pop()).toMatch(/^redis backend: lost Redis at redis:\/\/127\.0\.0\.1:\d+ \(queue "servesim"\): .*\(gave up after 3 reconnection attempts\)$/);
      const workerExit = await new Promise((resolve) => (worker.child.exitCode !== null ? resolve(worker.child.exitCode) : worker.child.on('exit', resolve)));
      expect(workerExit).toBe(1);
      expect(worker.log().trimEnd().split('\n').pop()).toMatch(/^lost Redis at redis:\/\/127\.0\.0\.1:\d+ \(queue "servesim"\)/);
    } finally {
      stopRedis();
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function runBin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
}

describe('the Redis backend without Redis', () => {
  it('an unreachable Redis: one line without the password, exit 1, after bounded retries (coordinator and worker)', async () => {
    const url = `redis://:hunter2secret@127.0.0.1:${await closedPort()}`;
    const env = { SERVESIM_REDIS_ATTEMPTS: '3' };
    for (const args of [
      ['compare', strategyPath, strategyPath, '--seeds', '42', '--backend', url, '--store', join(dir, 'unreachable.sqlite')],
      ['worker', '--redis', url],
    ]) {
      const res = await runBin(args, env);
      expect(res.code, res.stderr).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^--(backend|redis): cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(queue "servesim"\): .*ECONNREFUSED.* \(3 attempts with back-off\)\n$/);
      expect(res.stderr).not.toContain('hunter2secret');
      expect(res.ms).toBeLessThan(10_000); // 250 + 500 + 1000 ms of back-off, plus process start
    }
  });

  it('bad --backend, --queue and --jobs with --backend are refused before any work', async () => {
    const cases: Array<[string[], string]> = [
      [['--backend', 'http://example.org:6379'], '--backend: expected redis://HOST:PORT or rediss://HOST:PORT, got "http://example.org:6379/"'],
      [['--backend', 'redis://:topsecret@'], 'got a value that is not a URL'],
      [['--backend', 'redis://127.0.0.1:1', '--queue', 'a:b'], `--queue: expected letters, digits, '.', '_' or '-' (at most 100), got "a:b"`],
      [['--backend', 'redis://127.0.0.1:1', '--jobs', '2'], '--jobs: not with --backend (the workers run `servesim worker --concurrency N`)'],
    ];
    for (const [extra, message] of cases) {
      const res = await runCliCaptured(['compare', strategyPath, strategyPath, '--seeds', '42', '--store', join(dir, 'never.sqlite'), ...extra], dir);
      expect(res.exitCode).toBe(1);
      expect(res.stdout).toBe('');
      expect(res.stderr).toContain(message);
      expect(res.stderr).not.toContain('topsecret');
    }
    const noEnv = await runCliCaptured(['worker'], dir, {});
    expect(noEnv.exitCode).toBe(1);
    expect(noEnv.stderr).toBe('--redis: required: give redis://HOST:PORT (or rediss://…), or set REDIS_URL\n');
  });
});
