// Where simulations run: in this thread (--jobs 1, and tests with injected evaluators) or on a piscina pool of
// worker threads. Either way a task is a `run` argv and the answer is its metrics, so results cannot depend on
// where or in which order the tasks ran.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ServesimError } from '../errors.js';
import { formatBytes, usableMemoryBytes } from '../fs/memory.js';
import type { LatencySamples } from './latency-samples.js';
import type { MetricValues } from './metrics.js';

export interface EvalTask {
  /** `run` flags (without the word `run`). */
  argv: string[];
  /** Directory relative paths in argv are resolved against. */
  cwd: string;
  /** Also return the per-request latencies by SLO class (`servesim report`'s distributions). */
  samples?: boolean;
}

export interface EvalOutcome {
  metrics: MetricValues;
  /** Wall time of the simulation itself (resolution + simulate), ms. */
  wallMs: number;
  /** Present when the task asked for them. */
  samples?: LatencySamples;
}

export type Evaluator = (task: EvalTask) => Promise<EvalOutcome>;

export interface EvaluationPool {
  /** How many tasks may run at once. */
  readonly concurrency: number;
  evaluate(task: EvalTask): Promise<EvalOutcome>;
  close(): Promise<void>;
}

/** What a worker sends back: errors travel as data because structured cloning drops the error's class. */
export type WorkerReply =
  | { ok: true; outcome: EvalOutcome }
  | { ok: false; message: string; exitCode: number; userError: boolean };

export function defaultJobs(): number {
  return availableParallelism();
}

/** Footprint of one worker thread (V8 isolate, modules, workload cache): ≈ 46 MiB measured with --jobs 16, rounded up. */
const BYTES_PER_WORKER = 64 * 2 ** 20;

export function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) throw new ServesimError(`--jobs: expected an integer >= 1, got "${text.slice(0, 40)}"`);
  const needed = jobs * BYTES_PER_WORKER;
  if (needed > usableMemoryBytes()) {
    throw new ServesimError(
      `--jobs ${jobs} would need about ${formatBytes(needed)} (≈ ${BYTES_PER_WORKER / 2 ** 20} MiB per worker) but this machine can give ` +
        `${formatBytes(usableMemoryBytes())}; it has ${availableParallelism()} cores, so --jobs ${availableParallelism()} is as fast`,
    );
  }
  return jobs;
}

/** Runs `evaluator` in this thread with at most `concurrency` tasks in flight. */
export function inProcessPool(evaluator: Evaluator, concurrency = 1): EvaluationPool {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    concurrency,
    async evaluate(task) {
      if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await evaluator(task);
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
    async close() {},
  };
}

/** Compiled worker script; from the TypeScript sources (tests) fall back to the build output in dist/. */
export function workerScriptUrl(): URL {
  const sibling = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/lab/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new ServesimError('the lab worker script (dist/lab/worker.js) is missing; run `npm run build` or use --jobs 1');
}

/** `jobs` worker threads running dist/lab/worker.js; `run(task)` answers a WorkerReply. */
export function workerThreads(jobs: number): Piscina {
  return new Piscina({
    filename: workerScriptUrl().href,
    minThreads: jobs,
    maxThreads: jobs,
    // Each worker keeps its workload cache; an idle timeout would throw it away between optimiser calls.
    idleTimeout: Number.POSITIVE_INFINITY,
  });
}

/** The outcome of a reply, or its error rethrown as the thread raised it (user errors keep their exit status). */
export function outcomeOf(reply: WorkerReply): EvalOutcome {
  if (reply.ok) return reply.outcome;
  if (reply.userError) throw new ServesimError(reply.message, reply.exitCode);
  throw new Error(reply.message);
}

/** A piscina pool of `jobs` worker threads running dist/lab/worker.js. */
export function workerPool(jobs: number): EvaluationPool {
  const piscina = workerThreads(jobs);
  return {
    concurrency: jobs,
    async evaluate(task) {
      return outcomeOf((await piscina.run(task)) as WorkerReply);
    },
    async close() {
      await piscina.destroy();
    },
  };
}
