// The trial store: every simulation the lab ran, and every optimisation run with its observations, in SQLite.
//
// The simulator is deterministic, so an evaluation is identified by (config hash, seed, simulator version) and is
// never simulated twice. Each evaluation and each optimiser observation is committed the moment it exists (WAL
// mode, autocommit), so a killed process loses at most the evaluations that were still running.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServesimError } from '../errors.js';
import { metricsFromJson, metricsToJson, type MetricValues } from './metrics.js';
import type { ParamValues } from './strategy.js';

export interface EvaluationKey {
  configHash: string;
  seed: number;
  simVersion: string;
}

export interface EvaluationRecord extends EvaluationKey {
  strategy: string;
  params: ParamValues;
  argv: string[];
  metrics: MetricValues;
  wallMs: number;
  createdAt: string;
}

export type RunStatus = 'running' | 'done' | 'failed';

export interface OptimizationRunRecord {
  id: number;
  strategy: string;
  /** Hash of the strategy's content and the optimisation settings: what must match for --resume. */
  runKey: string;
  settings: unknown;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
}

export interface ObservationRecord {
  /** 0-based; users see callIndex + 1 ("call 1" is the first). */
  callIndex: number;
  params: ParamValues;
  score: number;
  meanMetrics: MetricValues;
  /** Multi-objective or constrained runs: the minimised objective vector the optimiser was told… */
  objectives?: number[];
  /** …and the constraint values (feasible iff all ≤ 0). Absent for single-objective runs. */
  constraints?: number[];
}

/** Version 2 added observations.objectives_json and constraints_json (nullable; version 1 stores gain them on open). */
const SCHEMA_VERSION = 2;
/** Stores written before the application_id marker carry this version. */
const PRE_MARKER_SCHEMA_VERSION = 1;
/** SQLite application_id marking a servesim trial store ('SVST'): servesim writes only to files carrying it. */
export const STORE_APPLICATION_ID = 0x53565354;
const SERVESIM_TABLES = ['evaluations', 'observations', 'optimization_runs'];
/** How long a write waits for another process's lock before giving up (ms); SERVESIM_STORE_LOCK_TIMEOUT_MS overrides. */
export const STORE_LOCK_TIMEOUT_MS = 10_000;

export interface StoreOpenOptions {
  /** Told once when the store is locked by another process and opening waits. */
  onWait?: (message: string) => void;
  lockTimeoutMs?: number;
}

/** A SQLite failure in words that say what to do. */
export function describeStoreError(file: string, error: unknown, lockTimeoutMs = STORE_LOCK_TIMEOUT_MS): ServesimError {
  if (error instanceof ServesimError) return error;
  const code = String((error as { code?: string }).code ?? '');
  const message = (error as Error).message ?? String(error);
  const where = `trial store ${file}`;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ServesimError(`${where} is locked by another process (waited ${lockTimeoutMs / 1000} s); wait for it to finish, or use another --store`);
  }
  if (code === 'SQLITE_FULL' || /ENOSPC|disk is full/i.test(message)) {
    return new ServesimError(`${where}: no space left on device; free some space and rerun with --resume (finished evaluations are kept)`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_CANTOPEN' || /EACCES|readonly/i.test(message)) {
    return new ServesimError(`${where} cannot be written (read-only file or directory); make it writable or use another --store`);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new ServesimError(`${where} is damaged or not a SQLite database (${message}); move it away and use a new --store`);
  }
  if (code.startsWith('SQLITE_IOERR')) return new ServesimError(`${where}: I/O error (${message}); check the disk and rerun with --resume`);
  return new ServesimError(`${where}: ${message}`);
}

/**
 * What an open database is to servesim: a trial store, an empty database (a store to be), or something else (with a
 * description). A marked store, or an unmarked one holding exactly servesim's tables (written before the marker), is
 * a store.
 */
function classifyDatabase(db: Database.Database): { kind: 'store' | 'empty' } | { kind: 'foreign'; what: string } {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === STORE_APPLICATION_ID) return { kind: 'store' };
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (applicationId === 0 && version === PRE_MARKER_SCHEMA_VERSION && tables.join(',') === SERVESIM_TABLES.join(',')) return { kind: 'store' };
  if (applicationId === 0 && tables.length === 0 && version === 0) return { kind: 'empty' };
  return { kind: 'foreign', what: applicationId !== 0 ? `application id 0x${applicationId.toString(16)}` : `tables ${tables.join(', ') || '(none)'}` };
}

/**
 * Refuses any existing database that is not a servesim trial store, before anything writes to it: a marked store,
 * an empty file, or an unmarked store holding exactly servesim's tables (stores written before the marker) pass.
 */
function checkOwnership(file: string): void {
  if (file === ':memory:' || !existsSync(file)) return;
  if (statSync(file).isDirectory()) throw new ServesimError(`--store ${file}: is a directory, expected a SQLite file`);
  if (statSync(file).size === 0) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const found = classifyDatabase(db);
    if (found.kind === 'foreign') {
      throw new ServesimError(`--store ${file}: not a servesim trial store (${found.what}); it was left unchanged — use another --store file`);
    }
  } catch (error) {
    throw describeStoreError(file, error);
  } finally {
    db?.close();
  }
}

/**
 * Opens `file` for reading without changing anything on disk: a store in use (its -wal file exists) is read through
 * SQLite's read-only mode, which sees the writer's committed rows; otherwise the file is complete and is read into
 * memory, so not even the -wal/-shm side files a read-only open of a WAL database creates are left behind.
 */
function openReadOnlyDatabase(file: string): Database.Database {
  if (existsSync(`${file}-wal`)) return new Database(file, { readonly: true, fileMustExist: true, timeout: STORE_LOCK_TIMEOUT_MS });
  const bytes = readFileSync(file);
  // A WAL-mode header (file format versions 2) cannot be deserialised; in memory the journal mode is irrelevant.
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return new Database(bytes, { readonly: true });
}

export class TrialStore {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(
    db: Database.Database,
    private readonly file: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.db = db;
    this.statements = {
      getEvaluation: db.prepare(
        'SELECT * FROM evaluations WHERE config_hash = ? AND seed = ? AND sim_version = ?',
      ),
      putEvaluation: db.prepare(
        `INSERT OR IGNORE INTO evaluations
           (config_hash, seed, sim_version, strategy, params_json, argv_json, metrics_json, wall_ms, created_at)
         VALUES (@configHash, @seed, @simVersion, @strategy, @params, @argv, @metrics, @wallMs, @createdAt)`,
      ),
      countEvaluations: db.prepare('SELECT COUNT(*) AS n FROM evaluations'),
      createRun: db.prepare(
        `INSERT INTO optimization_runs (strategy, run_key, settings_json, status, created_at, updated_at)
         VALUES (?, ?, ?, 'running', ?, ?)`,
      ),
      latestUnfinishedRun: db.prepare(
        `SELECT * FROM optimization_runs WHERE run_key = ? AND status != 'done' ORDER BY id DESC LIMIT 1`,
      ),
      getRun: db.prepare('SELECT * FROM optimization_runs WHERE id = ?'),
      setRunSettings: db.prepare('UPDATE optimization_runs SET settings_json = ?, updated_at = ? WHERE id = ?'),
      setRunStatus: db.prepare('UPDATE optimization_runs SET status = ?, result_json = ?, updated_at = ? WHERE id = ?'),
      addObservation: db.prepare(
        `INSERT OR REPLACE INTO observations (run_id, call_index, params_json, score, mean_metrics_json, objectives_json, constraints_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      observations: db.prepare('SELECT * FROM observations WHERE run_id = ? ORDER BY call_index'),
      allEvaluations: db.prepare('SELECT * FROM evaluations ORDER BY id'),
      allRuns: db.prepare('SELECT * FROM optimization_runs ORDER BY id'),
    };
  }

  /**
   * Opens an existing store for reading only (`servesim trials`, `servesim export`): nothing on disk is created or
   * changed, a missing file or a database that is not a servesim store is a one-line error, and an empty file reads
   * as an empty store. `label` names the store in messages (default: `file`).
   */
  static openReadOnly(file: string, label = file): TrialStore {
    const where = `trial store ${label}`;
    if (!existsSync(file)) throw new ServesimError(`${where}: no such file`);
    if (statSync(file).isDirectory()) throw new ServesimError(`${where}: is a directory, expected a SQLite file`);
    let db: Database.Database | undefined;
    try {
      db = statSync(file).size === 0 ? new Database(':memory:') : openReadOnlyDatabase(file);
      const found = classifyDatabase(db);
      if (found.kind === 'foreign') throw new ServesimError(`${where}: not a servesim trial store (${found.what}); it was left unchanged`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new ServesimError(`${where}: schema version ${version} is newer than this servesim understands (${SCHEMA_VERSION}); use a newer servesim`);
      }
      if (found.kind === 'empty') {
        // Nothing stored yet: an empty in-memory store answers every query.
        db.close();
        db = new Database(':memory:');
        migrate(db);
      }
    } catch (error) {
      db?.close();
      if (error instanceof ServesimError) throw error;
      // Only reading: the hints about --store and writability that describeStoreError gives do not apply.
      const code = String((error as { code?: string }).code ?? '');
      const message = (error as Error).message ?? String(error);
      if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') throw new ServesimError(`${where} is damaged or not a SQLite database (${message})`);
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw describeStoreError(label, error);
      throw new ServesimError(`${where}: cannot be read (${code ? `${code}: ` : ''}${message})`);
    }
    return TrialStore.guarded(new TrialStore(db, label, STORE_LOCK_TIMEOUT_MS));
  }

  /** Opens (creating if needed) the store at `file`; `:memory:` gives a throw-away store. */
  static open(file: string, options: StoreOpenOptions = {}): TrialStore {
    const lockTimeoutMs = options.lockTimeoutMs ?? STORE_LOCK_TIMEOUT_MS;
    const onWait = options.onWait ?? (() => {});
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    } catch (error) {
      throw new ServesimError(`--store ${file}: cannot create its directory (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    checkOwnership(file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 200 });
      const probe = db;
      const takeWriteLock = (): void => void probe.exec('BEGIN IMMEDIATE; ROLLBACK');
      try {
        takeWriteLock();
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
        onWait(`trial store ${file} is locked by another process; waiting up to ${lockTimeoutMs / 1000} s`);
        db.pragma(`busy_timeout = ${lockTimeoutMs}`);
        takeWriteLock();
      }
      db.pragma(`busy_timeout = ${lockTimeoutMs}`);
      db.pragma('journal_mode = WAL');
      migrate(db);
      // Runs every page through SQLite's checks once: a damaged store fails here, not in the middle of a run.
      const check = db.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') throw Object.assign(new Error(`integrity check: ${check}`), { code: 'SQLITE_CORRUPT' });
    } catch (error) {
      db?.close();
      throw describeStoreError(file, error, lockTimeoutMs);
    }
    return TrialStore.guarded(new TrialStore(db, file, lockTimeoutMs));
  }

  /** Every store method's SQLite failure becomes a one-line error saying what to do. */
  private static guarded(store: TrialStore): TrialStore {
    return new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function' || key === 'constructor') return value;
        return (...args: unknown[]) => {
          try {
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (error) {
            throw describeStoreError(target.file, error, target.lockTimeoutMs);
          }
        };
      },
    });
  }

  close(): void {
    this.db.close();
  }

  getEvaluation(key: EvaluationKey): EvaluationRecord | undefined {
    const row = this.statements.getEvaluation.get(key.configHash, key.seed, key.simVersion) as EvaluationRow | undefined;
    return row && rowToEvaluation(row);
  }

  /** Records a finished evaluation; a concurrent duplicate (same key) is ignored — both are identical. */
  putEvaluation(record: EvaluationRecord): void {
    this.statements.putEvaluation.run({
      configHash: record.configHash,
      seed: record.seed,
      simVersion: record.simVersion,
      strategy: record.strategy,
      params: JSON.stringify(record.params),
      argv: JSON.stringify(record.argv),
      metrics: JSON.stringify(metricsToJson(record.metrics)),
      wallMs: record.wallMs,
      createdAt: record.createdAt,
    });
  }

  countEvaluations(): number {
    return (this.statements.countEvaluations.get() as { n: number }).n;
  }

  createRun(strategy: string, runKey: string, settings: unknown): OptimizationRunRecord {
    const now = new Date().toISOString();
    const info = this.statements.createRun.run(strategy, runKey, JSON.stringify(settings), now, now);
    return this.getRun(Number(info.lastInsertRowid))!;
  }

  getRun(id: number): OptimizationRunRecord | undefined {
    const row = this.statements.getRun.get(id) as RunRow | undefined;
    return row && rowToRun(row);
  }

  /** The most recent run with this key that did not finish (killed, failed, or still marked running). */
  findUnfinishedRun(runKey: string): OptimizationRunRecord | undefined {
    const row = this.statements.latestUnfinishedRun.get(runKey) as RunRow | undefined;
    return row && rowToRun(row);
  }

  /** Replaces a run's recorded settings (a resumed run records what it now runs with). */
  setRunSettings(id: number, settings: unknown): void {
    this.statements.setRunSettings.run(JSON.stringify(settings), new Date().toISOString(), id);
  }

  setRunStatus(id: number, status: RunStatus, result?: unknown): void {
    this.statements.setRunStatus.run(status, result === undefined ? null : JSON.stringify(result), new Date().toISOString(), id);
  }

  addObservation(runId: number, observation: ObservationRecord): void {
    this.statements.addObservation.run(
      runId,
      observation.callIndex,
      JSON.stringify(observation.params),
      observation.score,
      JSON.stringify(metricsToJson(observation.meanMetrics)),
      observation.objectives ? JSON.stringify(observation.objectives) : null,
      observation.constraints ? JSON.stringify(observation.constraints) : null,
      new Date().toISOString(),
    );
  }

  /** Every stored evaluation, oldest first. */
  evaluations(): EvaluationRecord[] {
    return (this.statements.allEvaluations.all() as EvaluationRow[]).map(rowToEvaluation);
  }

  /** Every optimisation run, by id. */
  runs(): OptimizationRunRecord[] {
    return (this.statements.allRuns.all() as RunRow[]).map(rowToRun);
  }

  observations(runId: number): ObservationRecord[] {
    return (this.statements.observations.all(runId) as ObservationRow[]).map((row) => ({
      callIndex: row.call_index,
      params: JSON.parse(row.params_json) as ParamValues,
      score: row.score,
      meanMetrics: metricsFromJson(JSON.parse(row.mean_metrics_json) as Record<string, number | null>),
      // A version-1 store read in place (read-only) has no such columns.
      ...(row.objectives_json ? { objectives: JSON.parse(row.objectives_json) as number[] } : {}),
      ...(row.constraints_json ? { constraints: JSON.parse(row.constraints_json) as number[] } : {}),
    }));
  }
}

interface EvaluationRow {
  config_hash: string;
  seed: number;
  sim_version: string;
  strategy: string;
  params_json: string;
  argv_json: string;
  metrics_json: string;
  wall_ms: number;
  created_at: string;
}

interface RunRow {
  id: number;
  strategy: string;
  run_key: string;
  settings_json: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
}

interface ObservationRow {
  call_index: number;
  params_json: string;
  score: number;
  mean_metrics_json: string;
  objectives_json?: string | null;
  constraints_json?: string | null;
}

function rowToEvaluation(row: EvaluationRow): EvaluationRecord {
  return {
    configHash: row.config_hash,
    seed: row.seed,
    simVersion: row.sim_version,
    strategy: row.strategy,
    params: JSON.parse(row.params_json) as ParamValues,
    argv: JSON.parse(row.argv_json) as string[],
    metrics: metricsFromJson(JSON.parse(row.metrics_json) as Record<string, number | null>),
    wallMs: row.wall_ms,
    createdAt: row.created_at,
  };
}

function rowToRun(row: RunRow): OptimizationRunRecord {
  return {
    id: row.id,
    strategy: row.strategy,
    runKey: row.run_key,
    settings: JSON.parse(row.settings_json) as unknown,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) {
    // Stores written before the marker existed get it now.
    if (db.pragma('application_id', { simple: true }) !== STORE_APPLICATION_ID) db.pragma(`application_id = ${STORE_APPLICATION_ID}`);
    return;
  }
  if (version > SCHEMA_VERSION) {
    throw new ServesimError(
      `trial store schema version ${version} is newer than this servesim understands (${SCHEMA_VERSION}); use a newer servesim or another --store file`,
    );
  }
  if (version === PRE_MARKER_SCHEMA_VERSION) {
    // Additive: old rows keep NULL (single-objective observations). One transaction: a kill leaves version 1 or 2.
    db.exec(`
      BEGIN;
      ALTER TABLE observations ADD COLUMN objectives_json TEXT;
      ALTER TABLE observations ADD COLUMN constraints_json TEXT;
      PRAGMA user_version = ${SCHEMA_VERSION};
      PRAGMA application_id = ${STORE_APPLICATION_ID};
      COMMIT;
    `);
    return;
  }
  db.exec(`
    CREATE TABLE IF NOT EXISTS evaluations (
      id INTEGER PRIMARY KEY,
      config_hash TEXT NOT NULL,
      seed INTEGER NOT NULL,
      sim_version TEXT NOT NULL,
      strategy TEXT NOT NULL,
      params_json TEXT NOT NULL,
      argv_json TEXT NOT NULL,
      metrics_json TEXT NOT NULL,
      wall_ms REAL NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (config_hash, seed, sim_version)
    );
    CREATE TABLE IF NOT EXISTS optimization_runs (
      id INTEGER PRIMARY KEY,
      strategy TEXT NOT NULL,
      run_key TEXT NOT NULL,
      settings_json TEXT NOT NULL,
      status TEXT NOT NULL,
      result_json TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS optimization_runs_by_key ON optimization_runs (run_key, id);
    CREATE TABLE IF NOT EXISTS observations (
      run_id INTEGER NOT NULL REFERENCES optimization_runs (id),
      call_index INTEGER NOT NULL,
      params_json TEXT NOT NULL,
      score REAL NOT NULL,
      mean_metrics_json TEXT NOT NULL,
      objectives_json TEXT,
      constraints_json TEXT,
      created_at TEXT NOT NULL,
      PRIMARY KEY (run_id, call_index)
    );
    PRAGMA user_version = ${SCHEMA_VERSION};
    PRAGMA application_id = ${STORE_APPLICATION_ID};
  `);
}
