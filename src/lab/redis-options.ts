// The Redis backend's options, shared by the coordinator (`--backend`) and `servesim worker`. Deliberately free of
// bullmq imports: commander parses these for every lab command, most of which never touch Redis.
import { ServesimError } from '../errors.js';

export const DEFAULT_QUEUE = 'servesim';

/** Where the jobs go: a Redis URL (may hold a password: never print it unredacted) and a BullMQ queue name. */
export interface RedisTarget {
  url: string;
  queue: string;
}

/**
 * An infrastructure failure of the backend (Redis gone, a job lost on the workers). Deliberately not a
 * ServesimError: the ledger records a seed's ServesimError as that seed's failure and goes on, but a lost backend
 * must stop the command; commands.ts turns it into a one-line ServesimError at the top.
 */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/** The URL with its password replaced by `***` (the user name stays: it names the account, it is no secret). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

/** A message with the URL's password (if any) masked: ioredis errors may quote parts of the connection. */
export function scrubSecret(text: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return text;
  }
  if (password === '') return text;
  return text.split(password).join('***').split(decodeURIComponent(password)).join('***');
}

/**
 * `redis://HOST:PORT[/DB]`, `rediss://…` (TLS), or the word `redis` for the URL in REDIS_URL (keeps the password
 * out of shell history and `ps`).
 */
export function parseRedisUrl(flag: string, text: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = text === 'redis';
  const url = fromEnv ? env.REDIS_URL : text;
  if (url === undefined || url === '') throw new ServesimError(`${flag}: "redis" takes the URL from REDIS_URL, which is not set`);
  const where = fromEnv ? 'REDIS_URL' : flag;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the text: it may hold a password.
    throw new ServesimError(`${where}: expected redis://HOST:PORT or rediss://HOST:PORT, got a value that is not a URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ServesimError(`${where}: expected redis://HOST:PORT or rediss://HOST:PORT, got "${redactUrl(url)}"`);
  }
  if (parsed.hostname === '') throw new ServesimError(`${where}: expected redis://HOST:PORT, got "${redactUrl(url)}" (no host)`);
  return url;
}

/** BullMQ queue names become Redis key parts; ':' would split them. */
export function parseQueueName(text: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(text)) {
    throw new ServesimError(`--queue: expected letters, digits, '.', '_' or '-' (at most 100), got "${text.slice(0, 100)}"`);
  }
  return text;
}

function envMs(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new ServesimError(`${name}: expected an integer >= 1, got "${text}"`);
  return value;
}

/**
 * Timings, overridable through the environment (the fault tests shorten them). Production defaults: a dead
 * worker's job is taken over within lockDuration + stalledInterval (BullMQ's 30 s + 30 s); Redis is retried
 * `redisAttempts` times with doubling back-off capped at 5 s (≈ 30 s in all) before the command gives up.
 */
export function backendTimings(env: Readonly<Record<string, string | undefined>> = process.env) {
  return {
    lockDurationMs: envMs(env, 'SERVESIM_WORKER_LOCK_MS', 30_000),
    stalledIntervalMs: envMs(env, 'SERVESIM_WORKER_STALLED_INTERVAL_MS', 30_000),
    redisAttempts: envMs(env, 'SERVESIM_REDIS_ATTEMPTS', 10),
    /** How often the coordinator re-checks jobs it waits for (events can be lost when Redis restarts). */
    pollMs: envMs(env, 'SERVESIM_REDIS_POLL_MS', 5_000),
  };
}

/** ioredis reconnect policy: doubling delays from 250 ms, capped at 5 s; null (= give up) after `attempts`. */
export function boundedRetry(attempts: number): (times: number) => number | null {
  return (times) => (times > attempts ? null : Math.min(250 * 2 ** (times - 1), 5_000));
}

/** BullMQ connection options for `url`: bounded reconnects, and no endless per-command retries. */
export function connectionOptions(url: string, attempts: number) {
  return {
    url,
    retryStrategy: boundedRetry(attempts),
    // Blocking connections (workers, queue events) must not give up on a command; BullMQ requires null there.
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
  };
}
