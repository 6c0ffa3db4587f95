#!/usr/bin/env node
// `npm run bench:redis`: the Redis backend's cost. 120 G03-sized evaluations (presets/strategies/baseline.yaml, the
// golden G03 set-up, swept over 3 kv-offload thresholds × 40 seeds) end to end, locally with --jobs 2 vs. through
// Redis with 2 local `servesim worker --concurrency 1` processes; then the same 120 jobs with a trivial simulation
// (--num-requests 1), where the time is almost all queue overhead. Both runs of a pair must print identical results.
// Starts a private redis-server on a free loopback port unless --redis URL is given. Workers are started before the
// clock starts (they are long-lived in real use); each timed command is a fresh `servesim sweep` process.
// Usage: node bench/redis-backend.mjs [--redis URL] [--seeds 1-40]
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

const workers = [await startWorker(), await startWorker()];
const results = [];
try {
  for (const [label, extra] of [
    ['G03-sized', []],
    ['trivial (--num-requests 1)', ['--set', 'num-requests=1']],
  ]) {
    const tag = label.split(' ')[0];
    const local = await timed([...sweep, ...extra, '--jobs', '2', '--store', join(dir, `local-${tag}.sqlite`)], `local ${label}`);
    const before = workers.map((w) => w.jobs().length);
    const remote = await timed([...sweep, ...extra, '--backend', redisUrl, '--queue', queue, '--store', join(dir, `redis-${tag}.sqlite`)], `redis ${label}`);
    await new Promise((r) => setTimeout(r, 100)); // the workers' last log lines
    if (local.stdout !== remote.stdout) throw new Error(`${label}: local and Redis results differ`);
    const simMs = workers.flatMap((w, i) => w.jobs().slice(before[i]));
    const jobs = simMs.length;
    results.push({ label, jobs, local: local.seconds, redis: remote.seconds, simulateMs: simMs.reduce((a, b) => a + b, 0) / jobs });
  }
} finally {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve() : w.child.on('exit', resolve)))));
  if (redisPort !== undefined) spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave']);
  else {
    const bull = new Queue(queue, { connection: { url: redisUrl } });
    await bull.obliterate({ force: true });
    await bull.close();
  }
  rmSync(dir, { recursive: true, force: true });
}

console.log(`${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average at start ${loadBefore.toFixed(1)}, at end ${loadavg()[0].toFixed(1)}; Node ${process.version}`);
console.log('120 evaluations per row (baseline.yaml = golden G03 set-up, 3 kv-offload thresholds x seeds ' + seeds + '); identical results checked');
for (const r of results) {
  // Two slots on both sides: the extra wall time, spread over the jobs each slot ran, is the overhead per job.
  const overheadMs = ((r.redis - r.local) * 2 * 1000) / r.jobs;
  console.log(
    `${r.label}: local --jobs 2 ${r.local.toFixed(2)} s, Redis + 2 workers ${r.redis.toFixed(2)} s ` +
      `(${r.redis >= r.local ? '+' : ''}${(((r.redis - r.local) / r.local) * 100).toFixed(1)} %); ${r.jobs} jobs simulated by the workers, ` +
      `mean simulation ${r.simulateMs.toFixed(0)} ms on a worker; overhead per job ${overheadMs.toFixed(1)} ms; ` +
      `Redis wall time per job and slot ${((r.redis * 2 * 1000) / r.jobs).toFixed(1)} ms`,
  );
}
