// The coordinator side of the Redis backend (`--backend redis://…`): an EvaluationPool whose tasks are BullMQ jobs,
// simulated by `servesim worker` processes on any machine (src/lab/redis-worker.ts).
//
// The trial store stays on the coordinator (StrategyEvaluator looks up before and stores after this pool). A job's
// id is derived from the simulator version, the config hash and the seed, so: adding a job that is already queued
// or running is a no-op (two coordinators, or a restarted one, share it), a job finished while the coordinator was
// dead is collected from Redis instead of simulated again, and its result is stored once by the single coordinator
// that waits for it. Failures the simulator reports (bad input, the reference-crash condition) come back as data
// (a WorkerReply), never retried, and are rethrown exactly as the local pool rethrows them; only infrastructure
// failures (a worker died: stalled job) are retried, by BullMQ.
import { createHash } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import { ServesimError } from '../errors.js';
import { SIMULATOR_VERSION } from '../version.js';
import { PayloadBuilder, type JobPayload } from './job-payload.js';
import { outcomeOf, type EvalTask, type EvaluationPool, type WorkerReply } from './pool.js';
import { BackendError, backendTimings, connectionOptions, redactUrl, scrubSecret, type RedisTarget } from './redis-options.js';
import { configHash, seedOf } from './runargs.js';

export const JOB_NAME = 'simulate';

/** Finished jobs stay this long: a killed coordinator that comes back within it collects them. */
const KEEP_FINISHED_S = 7 * 24 * 3600;

/** Infrastructure attempts per job (a worker thread or process dying, a temp dir that cannot be written). */
const JOB_ATTEMPTS = 3;

export function jobIdFor(task: EvalTask, simVersion: string): string {
  const seed = seedOf(task.argv) ?? 'none';
  const digest = createHash('sha256').update(`${simVersion}\0${configHash(task.argv, task.cwd)}\0${seed}`).digest('hex');
  return `sim-${digest.slice(0, 40)}`;
}

/** Worker names end in `-c<concurrency>` (redis-worker.ts); each worker holds several named connections. */
export function workerSlots(clients: ReadonlyArray<Record<string, string>>): { workers: number; slots: number } {
  const names = new Set(clients.map((c) => c.rawname ?? c.name ?? ''));
  let slots = 0;
  for (const name of names) slots += Number(/-c(\d+)$/.exec(name)?.[1] ?? 1);
  return { workers: names.size, slots };
}

function isReply(value: unknown): value is WorkerReply {
  const reply = value as Partial<WorkerReply> | null;
  return typeof reply === 'object' && reply !== null && (reply.ok === true ? typeof reply.outcome === 'object' : reply.ok === false && typeof reply.message === 'string');
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
  payload: JobPayload;
  seed: number | undefined;
}

export async function connectRedisPool(target: RedisTarget, log: (message: string) => void): Promise<EvaluationPool> {
  const timings = backendTimings();
  const where = `${redactUrl(target.url)} (queue "${target.queue}")`;
  const connection = connectionOptions(target.url, timings.redisAttempts);
  const queue = new Queue(target.queue, { connection });
  const events = new QueueEvents(target.queue, { connection });
  let lastError = '';
  const noteError = (error: Error) => void (lastError = scrubSecret(error.message, target.url));
  // Without listeners an 'error' event would crash the process; the message goes into the final one-line error.
  queue.on('error', noteError);
  events.on('error', noteError);
  const unreachable = () =>
    new BackendError(
      `redis backend: lost Redis at ${where}${lastError ? `: ${lastError}` : ''} (gave up after ${timings.redisAttempts} reconnection attempts)`,
    );

  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  } catch {
    // disconnect, not close: close() detaches the listeners, and the failed connection's late 'error' would crash.
    queue.disconnect().catch(() => {});
    events.disconnect().catch(() => {});
    throw new ServesimError(
      `--backend: cannot reach Redis at ${where}${lastError ? `: ${lastError}` : ''} (${timings.redisAttempts} attempts with back-off)`,
    );
  }

  let concurrency = 1;
  try {
    const { workers, slots } = workerSlots((await queue.getWorkers()) as unknown as Array<Record<string, string>>);
    concurrency = Math.max(1, slots);
    log(
      workers === 0
        ? `redis backend: ${where}: no worker connected yet; jobs wait until \`servesim worker\` processes start`
        : `redis backend: ${where}: ${workers} worker${workers === 1 ? '' : 's'}, ${slots} simulation slot${slots === 1 ? '' : 's'}`,
    );
  } catch {
    log(`redis backend: ${where}: connected (this Redis does not list its clients, so the number of workers is unknown)`);
  }

  const pending = new Map<string, Pending>();
  const running = new Map<string, Promise<WorkerReply>>();
  let lost: BackendError | undefined;
  let closing = false;

  const settle = (jobId: string, outcome: { reply: WorkerReply } | { failed: string }) => {
    const waiter = pending.get(jobId);
    if (!waiter) return;
    pending.delete(jobId);
    if ('reply' in outcome && !isReply(outcome.reply)) outcome = { failed: 'the worker returned no servesim result (is it a servesim worker?)' };
    if ('reply' in outcome) waiter.resolve(outcome.reply);
    else waiter.reject(new BackendError(`redis backend: job ${jobId} (seed ${waiter.seed ?? '?'}) failed on the workers: ${outcome.failed}`));
  };
  const loseBackend = () => {
    if (closing || lost) return;
    lost = unreachable();
    for (const [jobId, waiter] of pending) {
      pending.delete(jobId);
      waiter.reject(lost);
    }
  };
  for (const client of [await queue.client, await events.client]) client.on('end', loseBackend);

  events.on('completed', ({ jobId, returnvalue }) => settle(jobId, { reply: returnvalue as unknown as WorkerReply }));
  events.on('failed', ({ jobId, failedReason }) => settle(jobId, { failed: failedReason }));

  const jobOptions = {
    jobId: '',
    attempts: JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: KEEP_FINISHED_S },
    removeOnFail: { age: KEEP_FINISHED_S },
  };

  const add = (jobId: string, waiter: Pending) => queue.add(JOB_NAME, waiter.payload, { ...jobOptions, jobId });

  /**
   * Looks at a waited-for job: collects a finished result, reports a failure, re-adds a job Redis lost (restarted
   * without persistence); a queued or running job is left to the events. `retryFailed`: at submission, a failed
   * job is an earlier attempt (e.g. refused by a worker of another version), not this command's answer.
   */
  const check = async (jobId: string, waiter: Pending, retryFailed: boolean): Promise<void> => {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') {
      const job = await Job.fromId(queue, jobId);
      if (job && state === 'completed') return settle(jobId, { reply: job.returnvalue as WorkerReply });
      if (job && !retryFailed) return settle(jobId, { failed: job.failedReason });
      await job?.remove();
      await add(jobId, waiter);
    } else if (state === 'unknown') {
      await add(jobId, waiter);
    }
  };

  // Events can be missed (Redis restarted, a reconnect): re-check the waited-for jobs now and then.
  const poller = setInterval(() => {
    for (const [jobId, waiter] of pending) check(jobId, waiter, false).catch(() => {}); // a dead connection is reported through 'end'
  }, timings.pollMs);
  poller.unref();

  const builder = new PayloadBuilder(SIMULATOR_VERSION);
  const submit = (jobId: string, task: EvalTask): Promise<WorkerReply> => {
    const waiter = { payload: builder.build(task), seed: seedOf(task.argv) } as Pending;
    const reply = new Promise<WorkerReply>((resolve, reject) => Object.assign(waiter, { resolve, reject }));
    // Registered before the first look, so a completion event that arrives meanwhile is not missed.
    pending.set(jobId, waiter);
    check(jobId, waiter, true).catch((error: unknown) => {
      if (lost || !pending.has(jobId)) return; // already rejected with the lost-backend error
      pending.delete(jobId);
      waiter.reject(new BackendError(`redis backend: ${where}: ${scrubSecret((error as Error).message, target.url)}`));
    });
    return reply;
  };

  return {
    concurrency,
    async evaluate(task) {
      if (lost) throw lost;
      const jobId = jobIdFor(task, SIMULATOR_VERSION);
      let reply = running.get(jobId);
      if (!reply) {
        reply = submit(jobId, task).finally(() => running.delete(jobId));
        running.set(jobId, reply);
      }
      return outcomeOf(await reply);
    },
    async close() {
      closing = true;
      clearInterval(poller);
      // close() (not just disconnect) also stops BullMQ's own retry loops, which would keep the process alive.
      await Promise.allSettled([events.close(), queue.close()]);
    },
  };
}

