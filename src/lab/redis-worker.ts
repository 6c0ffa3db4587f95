// `servesim worker`: takes simulation jobs from a BullMQ queue (put there by a lab command run with --backend) and
// returns their metrics. Simulations run on worker threads (one per --concurrency slot), so this thread stays free
// to renew the jobs' locks: a job whose lock lapses is taken for dead and handed to another worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Command } from 'commander';
import { positiveInteger, runCommanderCommand } from '../cli/commander-run.js';
import type { CliIO } from '../cli/io.js';
import { ServesimError } from '../errors.js';
import { SIMULATOR_VERSION } from '../version.js';
import { materialize, restoreSourcePaths, type JobPayload } from './job-payload.js';
import { workerThreads, type WorkerReply } from './pool.js';
import { backendTimings, connectionOptions, DEFAULT_QUEUE, parseQueueName, parseRedisUrl, redactUrl, scrubSecret } from './redis-options.js';

/** A job stalled (its worker died) this many times is failed rather than handed out again: it may be what kills them. */
const MAX_STALLED = 2;

interface WorkerOptions {
  redis?: string;
  concurrency: number;
  queue: string;
}

function workerCommand(action: (options: WorkerOptions) => Promise<void>): Command {
  return new Command('servesim worker')
    .description(
      'Takes simulation jobs from a Redis queue (BullMQ) and returns their metrics, for lab commands run with ' +
        '--backend redis://HOST:PORT on any machine. Every job carries its input files; a job of another simulator version ' +
        'is refused (recorded as failed on the job). SIGTERM or SIGINT: finish the running jobs, then exit 0 (a second ' +
        'signal exits at once; the jobs go to other workers). Exit status: 0 after such a stop; 1 a bad flag, or Redis ' +
        'unreachable or lost (after SERVESIM_REDIS_ATTEMPTS reconnection attempts with back-off, default 10).',
    )
    .option('--redis <url>', 'redis://[:PASSWORD@]HOST:PORT[/DB] or rediss://… (TLS); default: REDIS_URL from the environment')
    .option('--concurrency <n>', 'simulations run at once (worker threads)', positiveInteger('--concurrency'), availableParallelism())
    .option('--queue <name>', 'BullMQ queue name (the lab commands\' --queue)', parseQueueName, DEFAULT_QUEUE)
    .action(action);
}

export function workerCommandHelp(): string {
  return workerCommand(async () => {}).helpInformation();
}

export function runWorkerCommand(argv: readonly string[], io: CliIO): Promise<number> {
  return runCommanderCommand(workerCommand((options) => serve(options, io)), argv, io);
}

async function serve(options: WorkerOptions, io: CliIO): Promise<void> {
  if (options.redis === undefined && !io.env.REDIS_URL) throw new ServesimError('--redis: required: give redis://HOST:PORT (or rediss://…), or set REDIS_URL');
  const url = parseRedisUrl('--redis', options.redis ?? 'redis', io.env);
  const timings = backendTimings(io.env);
  const say = (message: string) => io.writeStderr(`servesim worker: ${message}\n`);
  // The name carries the concurrency: the coordinator sums it over the connected workers.
  const name = `${hostname()}-${process.pid}-c${options.concurrency}`;
  const where = `${redactUrl(url)} (queue "${options.queue}")`;
  const root = mkdtempSync(join(tmpdir(), 'servesim-worker-'));
  const threads = workerThreads(options.concurrency);

  const runJob = async (job: Job<JobPayload>): Promise<WorkerReply> => {
    const payload = job.data;
    if (payload.simVersion !== SIMULATOR_VERSION) {
      const message = `worker ${name} runs simulator ${SIMULATOR_VERSION}, the job needs ${payload.simVersion}: run the same servesim version on the coordinator and every worker`;
      say(`job ${job.id}: refused (${message})`);
      throw new UnrecoverableError(message);
    }
    const started = performance.now();
    const reply = (await threads.run(materialize(payload, root))) as WorkerReply;
    const ms = Math.round(performance.now() - started);
    if (reply.ok) {
      say(`job ${job.id}: done in ${ms} ms`);
      return reply;
    }
    const message = restoreSourcePaths(reply.message, payload, root);
    say(`job ${job.id}: simulation failed (exit status ${reply.exitCode}): ${message}`);
    return { ...reply, message };
  };

  const worker = new Worker<JobPayload, WorkerReply>(options.queue, runJob, {
    connection: connectionOptions(url, timings.redisAttempts),
    concurrency: options.concurrency,
    name,
    autorun: false,
    lockDuration: timings.lockDurationMs,
    stalledInterval: timings.stalledIntervalMs,
    maxStalledCount: MAX_STALLED,
  });
  let lastError = '';
  worker.on('error', (error) => void (lastError = scrubSecret(error.message, url)));
  const signals: Array<[NodeJS.Signals, () => void]> = [];
  let connected = false;
  try {
    try {
      await worker.waitUntilReady();
      connected = true;
    } catch {
      throw new ServesimError(`--redis: cannot reach Redis at ${where}${lastError ? `: ${lastError}` : ''} (${timings.redisAttempts} attempts with back-off)`);
    }
    say(`connected to ${where} as ${name}: ${options.concurrency} simulation slot${options.concurrency === 1 ? '' : 's'}, simulator ${SIMULATOR_VERSION}`);
    await new Promise<void>((resolve, reject) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          say(`${signal} again: exiting now; running jobs go to other workers once their locks lapse`);
          worker.close(true).then(resolve, resolve);
          return;
        }
        stopping = true;
        say(`${signal}: finishing the running jobs, then exiting (send it again to exit at once)`);
        worker.close().then(resolve, reject);
      };
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const handler = () => stop(signal);
        signals.push([signal, handler]);
        process.on(signal, handler);
      }
      void worker.client.then((client) =>
        client.on('end', () => {
          if (!stopping) reject(new ServesimError(`lost Redis at ${where}${lastError ? `: ${lastError}` : ''} (gave up after ${timings.redisAttempts} reconnection attempts)`));
        }),
      );
      worker.run().catch(reject);
    });
    say('stopped');
  } finally {
    for (const [signal, handler] of signals) process.off(signal, handler);
    // Forced: after a graceful stop this is a no-op; after a lost Redis the running jobs cannot be finished anyway.
    // Never connected: only disconnect, since close() detaches the listeners and a late connection 'error' would crash.
    await (connected ? worker.close(true) : worker.disconnect()).catch(() => {});
    await threads.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}
