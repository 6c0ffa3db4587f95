#!/usr/bin/env node
// `npm run bench:redis`: the Redis backend's cost. 120 G03-sized evaluations (presets/strategies/baseline.yaml, the
// golden G03 set-up, swept over 3 kv-offload thresholds × 40 seeds) end to end, locally with --jobs 2 vs. through
// Redis with 2 local `servesim worker --concurrency 1` processes; then the same 120 jobs with a trivial simulation
// (--num-requests 1), where the time is almost all queue overhead. Both runs of a pair must print identical results.
// Starts a private redis-server on a free loopback port unless --redis URL is given. Workers are started before the
// clock starts (they are long-lived in real use); each timed command is a fresh `servesim sweep` process.
// Usage: node bench/redis-backend.mjs [--redis URL] [--seeds 1-40] [--rounds 3]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'servesim');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const seeds = option('--seeds', '1-40');
const dir = mkdtempSync(join(tmpdir(), 'servesim-bench-redis-'));
const queue = `bench-${process.pid}`;
const loadBefore = loadavg()[0];
const sweep = ['sweep', join(root, 'presets', 'strategies', 'baseline.yaml'), '--vary', 'kv-offload-threshold=0.8,0.85,0.9', '--seeds', seeds, '--json'];

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let redisUrl = option('--redis', undefined);
let redisPort;
if (redisUrl === undefined) {
  redisPort = await freePort();
  const started = spawnSync('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'yes']);
  if (started.status !== 0) throw new Error(`redis-server did not start: ${started.stderr}`);
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  await new Promise((r) => setTimeout(r, 300));
}

/** Runs a CLI command (asynchronously: the workers' stderr must keep being read meanwhile); seconds and stdout. */
async function timed(args, label) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SERVESIM_PROGRESS: 'plain' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const status = await new Promise((resolve) => child.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (status !== 0) throw new Error(`${label} failed (${status}): ${stderr}`);
  return { seconds, stdout };
}

async function startWorker() {
  const child = spawn(process.execPath, [bin, 'worker', '--redis', redisUrl, '--queue', queue, '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr.on('data', (c) => (text += c));
  while (!text.includes('connected to')) {
    if (child.exitCode !== null) throw new Error(`worker exited: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, jobs: () => text.split('\n').filter((l) => / done in \d+ ms$/.test(l)).map((l) => Number(/done in (\d+) ms/.exec(l)[1])) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rounds = Number(option('--rounds', '3'));
const workers = [await startWorker(), await startWorker()];
const bull = new Queue(queue, { connection: { url: redisUrl } });
const cases = [
  ['G03-sized', []],
  ['trivial (--num-requests 1)', ['--set', 'num-requests=1']],
];
// Per case: wall seconds of each round, locally and through Redis; the jobs the workers ran and their simulate times.
const results = cases.map(([label]) => ({ label, local: [], redis: [], localCached: [], redisCached: [], jobs: 0, simulateMs: [] }));
try {
  // Rounds alternate local and Redis runs, so both see the same (shared, busy) machine; medians are reported.
  for (let round = 0; round < rounds; round++) {
    for (const [i, [label, extra]] of cases.entries()) {
      const r = results[i];
      const stores = { local: join(dir, `local-${i}-${round}.sqlite`), redis: join(dir, `redis-${i}-${round}.sqlite`) };
      // Finished jobs stay in Redis for a restarted coordinator to collect: a new round must not find them.
      await bull.obliterate({ force: true });
      const local = await timed([...sweep, ...extra, '--jobs', '2', '--store', stores.local], `local ${label}`);
      const before = workers.map((w) => w.jobs().length);
      const remote = await timed([...sweep, ...extra, '--backend', redisUrl, '--queue', queue, '--store', stores.redis], `redis ${label}`);
      await new Promise((resolve) => setTimeout(resolve, 100)); // the workers' last log lines
      if (local.stdout !== remote.stdout) throw new Error(`${label}: local and Redis results differ`);
      const simMs = workers.flatMap((w, k) => w.jobs().slice(before[k]));
      // The same commands again, every evaluation now in the store: the fixed cost (process, store, connection).
      r.localCached.push((await timed([...sweep, ...extra, '--jobs', '2', '--store', stores.local], `local ${label} again`)).seconds);
      r.redisCached.push((await timed([...sweep, ...extra, '--backend', redisUrl, '--queue', queue, '--store', stores.redis], `redis ${label} again`)).seconds);
      r.local.push(local.seconds);
      r.redis.push(remote.seconds);
      r.jobs = simMs.length;
      r.simulateMs.push(...simMs);
    }
  }
} finally {
  await bull.obliterate({ force: true }).catch(() => {});
  await bull.close();
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve() : w.child.on('exit', resolve)))));
  if (redisPort !== undefined) spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']);
  rmSync(dir, { recursive: true, force: true });
}

const s = (xs) => `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
console.log(`${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average at start ${loadBefore.toFixed(1)}, at end ${loadavg()[0].toFixed(1)}; Node ${process.version}`);
console.log(`sweep of baseline.yaml (golden G03 set-up) over 3 kv-offload thresholds x seeds ${seeds}; ${rounds} alternating rounds, median (min–max); identical results checked`);
for (const r of results) {
  const slots = 2;
  const local = median(r.local);
  const redis = median(r.redis);
  // Slot time per job once the fixed cost (process start, store, connection) is taken off; the difference between
  // the backends is the queue's overhead per job (the slots run in parallel on both sides).
  const perJob = (total, cached) => ((total - cached) * slots * 1000) / r.jobs;
  const localPerJob = perJob(local, median(r.localCached));
  const redisPerJob = perJob(redis, median(r.redisCached));
  console.log(`${r.label}: ${r.jobs} jobs`);
  console.log(`  end to end: local --jobs 2 ${s(r.local)}, Redis + 2 workers ${s(r.redis)}: ${redis >= local ? '+' : ''}${(((redis - local) / local) * 100).toFixed(1)} %`);
  console.log(`  fixed cost (all evaluations already stored): local ${s(r.localCached)}, Redis ${s(r.redisCached)}`);
  console.log(
    `  slot time per job: local ${localPerJob.toFixed(1)} ms, Redis ${redisPerJob.toFixed(1)} ms (simulate ${median(r.simulateMs).toFixed(0)} ms median on a worker): ` +
      `overhead ${(redisPerJob - localPerJob).toFixed(1)} ms per job (${(((redisPerJob - localPerJob) / localPerJob) * 100).toFixed(1)} %)`,
  );
}
