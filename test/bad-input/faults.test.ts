// Fault injection on real files: a full disk (a 1 MiB tmpfs), a read-only file system, a foreign or damaged SQLite
// file, and a trial store locked by another process. Each must end in one line on stderr, exit status 1, and leave
// what the user had untouched. The tmpfs cases need mount rights (root, as in CI); they are skipped, visibly,
// elsewhere.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured, type CliOutcome } from '../support/cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const WORKLOAD = join(ROOT, 'presets/workloads/mixed-production.yaml');
const dir = mkdtempSync(join(tmpdir(), 'servesim-faults-'));
const tiny = join(dir, 'tiny');

function canMount(): boolean {
  try {
    mkdirSync(tiny, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tiny], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = canMount();
if (!mounted) console.warn('faults.test.ts: cannot mount a tmpfs here (not root?); full-disk and read-only cases skipped');

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', tiny]);
  rmSync(dir, { recursive: true, force: true });
});

const cli = (argv: string[], env: Record<string, string> = {}): Promise<CliOutcome> => runCliCaptured(argv, dir, { SERVESIM_PROGRESS: 'plain', ...env });

/** One line, exit 1, no stack trace and no internal error. */
function expectOneLineError(outcome: CliOutcome, pattern: RegExp): void {
  const lines = outcome.stderr.split('\n').filter((l) => l !== '' && !/\d+\/\d+ (calls|evaluations)/.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(outcome.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(outcome.exitCode).toBe(1);
}

const RUN = ['run', '--model', 'meta-llama/llama-3.1-8b-instruct', '--num-requests', '20', '--rate', '5'];
const strategy = join(dir, 's.yaml');
writeFileSync(
  strategy,
  `name: s
workload_spec: ${WORKLOAD}
fixed_args: [--model meta-llama/llama-3.1-8b-instruct, --num-instances 2, --num-requests 100]
objective: {metric: ttft_p99_ms, direction: minimize}
`,
);
const COMPARE = ['compare', strategy, strategy, '--seeds', '42', '--jobs', '1'];

/** Fills the tmpfs to the last byte. */
function fillDisk(): void {
  const filler = join(tiny, 'filler');
  try {
    for (let i = 0; ; i++) writeFileSync(`${filler}${i}`, Buffer.alloc(64 * 1024));
  } catch {
    // ENOSPC: full.
  }
  try {
    for (let i = 0; ; i++) writeFileSync(`${filler}-small${i}`, Buffer.alloc(512));
  } catch {
    // Full to the last block.
  }
}

function emptyDisk(): void {
  for (const name of readdirSync(tiny)) rmSync(join(tiny, name), { recursive: true, force: true });
}

describe.skipIf(!mounted)('full disk', () => {
  beforeAll(emptyDisk);

  it('--results-path: the previous file stays byte-identical, no partial file, stdout still printed', async () => {
    emptyDisk();
    const results = join(tiny, 'results.json');
    writeFileSync(results, '{"previous": true}\n');
    fillDisk();
    const outcome = await cli([...RUN, '--results-path', results]);
    expectOneLineError(outcome, /^cannot write results file .*results\.json: no space left on device; the previous file, if any, is unchanged$/);
    expect(outcome.stdout).toMatch(/"instance_id": "cluster"/);
    expect(readFileSync(results, 'utf8')).toBe('{"previous": true}\n');
    expect(readdirSync(tiny).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('optimize --output: the summary is printed and the previous output kept', async () => {
    emptyDisk();
    const output = join(tiny, 'best.json');
    writeFileSync(output, '{"old": 1}\n');
    fillDisk();
    const opt = join(dir, 'opt.yaml');
    writeFileSync(
      opt,
      readFileSync(strategy, 'utf8').replace('objective', 'parameters: [{name: t, flag: --max-num-scheduled-tokens, type: integer, low: 512, high: 4096}]\nobjective'),
    );
    const outcome = await cli(['optimize', opt, '--n-calls', '2', '--n-initial', '2', '--seeds', '42', '--jobs', '1', '--store', join(dir, 'opt.sqlite'), '--output', output]);
    expectOneLineError(outcome, /^cannot write --output .*best\.json: no space left on device/);
    expect(outcome.stdout).toMatch(/best parameters:/);
    expect(readFileSync(output, 'utf8')).toBe('{"old": 1}\n');
  });

  it('trial store on a full disk: one line saying to free space and --resume', async () => {
    emptyDisk();
    fillDisk();
    const outcome = await cli([...COMPARE, '--store', join(tiny, 'trials.sqlite')]);
    expectOneLineError(outcome, /^trial store .*trials\.sqlite: no space left on device; free some space and rerun with --resume/);
  });
});

describe.skipIf(!mounted)('read-only file system', () => {
  it('a store that cannot be written is a one-line error and stays unchanged', async () => {
    emptyDisk();
    const store = join(dir, 'good.sqlite');
    expect((await cli([...COMPARE, '--store', store])).exitCode).toBe(0);
    copyFileSync(store, join(tiny, 'ro.sqlite'));
    const before = readFileSync(join(tiny, 'ro.sqlite'));
    execFileSync('mount', ['-o', 'remount,ro', tiny]);
    try {
      const outcome = await cli([...COMPARE, '--store', join(tiny, 'ro.sqlite')]);
      expectOneLineError(outcome, /^trial store .*ro\.sqlite cannot be written \(read-only file or directory\)/);
      expect(readFileSync(join(tiny, 'ro.sqlite')).equals(before)).toBe(true);
      const results = await cli([...RUN, '--results-path', join(tiny, 'r.json')]);
      expectOneLineError(results, /^--results-path .*r\.json: cannot write in .* \(read-only file system\)$/);
      expect(results.stdout).toBe('');
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', tiny]);
    }
  });
});

describe('trial store ownership and damage', () => {
  it('refuses a SQLite file of another application and leaves it byte-for-byte unchanged', async () => {
    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE evaluations (x TEXT); INSERT INTO evaluations VALUES (1);');
    db.close();
    const before = readFileSync(foreign);
    const outcome = await cli([...COMPARE, '--store', foreign]);
    expectOneLineError(outcome, /^--store .*foreign\.db: not a servesim trial store \(tables evaluations\); it was left unchanged/);
    expect(readFileSync(foreign).equals(before)).toBe(true);
    expect(existsSync(`${foreign}-wal`)).toBe(false);
  });

  it('refuses a database with another application id', async () => {
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.pragma('application_id = 1234');
    db.exec('CREATE TABLE t (x)');
    db.close();
    const before = readFileSync(other);
    expectOneLineError(await cli([...COMPARE, '--store', other]), /not a servesim trial store \(application id 0x4d2\)/);
    expect(readFileSync(other).equals(before)).toBe(true);
  });

  it('explains a damaged store and a file that is not a database', async () => {
    const store = join(dir, 'damaged.sqlite');
    expect((await cli([...COMPARE, '--store', store])).exitCode).toBe(0);
    const db = new Database(store);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(store);
    bytes.fill(0xff, 4096 * 2, 4096 * 3); // a b-tree page
    writeFileSync(store, bytes);
    expectOneLineError(await cli([...COMPARE, '--store', store]), /^trial store .*damaged\.sqlite is damaged or not a SQLite database .*; move it away and use a new --store$/);
    const garbage = join(dir, 'garbage.sqlite');
    writeFileSync(garbage, 'this is not a database, just text that is long enough to look like a header....');
    expectOneLineError(await cli([...COMPARE, '--store', garbage]), /is damaged or not a SQLite database \(file is not a database\)/);
  });

  it('waits for a locked store with a message, then gives up with one line', async () => {
    const store = join(dir, 'locked.sqlite');
    expect((await cli([...COMPARE, '--store', store])).exitCode).toBe(0);
    const holder = spawn(
      process.execPath,
      ['-e', `const D=require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});const d=new D(${JSON.stringify(store)});d.exec('BEGIN EXCLUSIVE');console.log('locked');setTimeout(()=>{},5000)`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    try {
      const outcome = await cli([...COMPARE, '--store', store], { SERVESIM_STORE_LOCK_TIMEOUT_MS: '700' });
      expect(outcome.stderr.split('\n')[0]).toMatch(/is locked by another process; waiting up to 0.7 s$/);
      expect(outcome.stderr.trim().split('\n').at(-1)).toMatch(/is locked by another process \(waited 0.7 s\); wait for it to finish, or use another --store$/);
      expect(outcome.exitCode).toBe(1);
      expect(outcome.stdout).toBe('');
    } finally {
      holder.kill();
    }
  });
});
