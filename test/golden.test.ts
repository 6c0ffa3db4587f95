// Byte-for-byte parity with the reference simulator on the golden cases (test/fixtures/golden/README.md):
// stdout of every case, per-request values of --results-path, determinism, and the real binary.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';

const GOLDEN_DIR = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'servesim');

interface GoldenCase {
  id: string;
  argv: string[];
}

const CASES: GoldenCase[] = readFileSync(join(GOLDEN_DIR, 'cases.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [id, args] = line.split('|') as [string, string];
    return { id, argv: args.trim().split(/\s+/) };
  });

/** The reference crashes on this case (Go panic, exit 2); servesim must fail cleanly instead. */
const REFERENCE_CRASH_CASES = new Set(['G10']);

interface Outcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function runInProcess(argv: readonly string[]): Promise<Outcome> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await runCli(argv, {
    cwd: GOLDEN_DIR,
    writeStdout: (text) => void stdout.push(text),
    writeStderr: (text) => void stderr.push(text),
    env: {},
  });
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

function expected(id: string, suffix: string): string | undefined {
  const path = join(GOLDEN_DIR, `${id}.${suffix}`);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** First differing line, for a readable failure message (the full comparison follows). */
function firstDifference(actual: string, wanted: string): string {
  const a = actual.split('\n');
  const w = wanted.split('\n');
  for (let i = 0; i < Math.max(a.length, w.length); i++) {
    if (a[i] !== w[i]) return `line ${i + 1}: expected ${JSON.stringify(w[i])}, got ${JSON.stringify(a[i])}`;
  }
  return 'identical';
}

const tempDir = mkdtempSync(join(tmpdir(), 'servesim-golden-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

describe('golden stdout', () => {
  for (const { id, argv } of CASES) {
    if (REFERENCE_CRASH_CASES.has(id)) {
      it(`${id}: fails cleanly where the reference crashes`, async () => {
        const outcome = await runInProcess(argv);
        expect(outcome.exitCode).not.toBe(0);
        expect(outcome.stdout).toBe('');
        expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(outcome.stderr).not.toMatch(/internal error|\n\s+at /);
      });
      continue;
    }
    it(`${id}: stdout is byte-identical`, async () => {
      const outcome = await runInProcess(argv);
      const wanted = expected(id, 'stdout.txt')!;
      expect(outcome.stderr, 'stderr').toBe('');
      expect(outcome.exitCode).toBe(0);
      expect(firstDifference(outcome.stdout, wanted)).toBe('identical');
      expect(outcome.stdout).toBe(wanted);
    });
  }
});

interface ResultsRequest {
  arrived_at: number;
  requestID: string;
  num_prefill_tokens: number;
  num_decode_tokens: number;
  ttft_ms: number;
  itl_ms: number;
  e2e_ms: number;
  scheduling_delay_ms: number;
  slo_class?: string;
  handled_by?: string;
}

/** CSV columns → results-file keys; numbers are compared as exact doubles. */
const CSV_TO_JSON: ReadonlyArray<[string, keyof ResultsRequest, 'number' | 'string']> = [
  ['arrived_at_s', 'arrived_at', 'number'],
  ['num_prefill_tokens', 'num_prefill_tokens', 'number'],
  ['num_decode_tokens', 'num_decode_tokens', 'number'],
  ['slo_class', 'slo_class', 'string'],
  ['handled_by', 'handled_by', 'string'],
  ['ttft_ms', 'ttft_ms', 'number'],
  ['e2e_ms', 'e2e_ms', 'number'],
  ['itl_ms', 'itl_ms', 'number'],
  ['scheduling_delay_ms', 'scheduling_delay_ms', 'number'],
];

describe('golden per-request results (--results-path)', () => {
  for (const { id, argv } of CASES) {
    const csv = expected(id, 'requests.csv');
    if (csv === undefined) continue;
    it(`${id}: every request matches`, async () => {
      const resultsPath = join(tempDir, `${id}.json`);
      const outcome = await runInProcess([...argv, '--results-path', resultsPath]);
      expect(outcome.exitCode).toBe(0);
      // Writing the results file must not change stdout.
      expect(outcome.stdout).toBe(expected(id, 'stdout.txt'));

      const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as { requests?: ResultsRequest[] };
      const byId = new Map((results.requests ?? []).map((r) => [r.requestID, r]));
      const [header, ...rows] = csv.trim().split('\n');
      const columns = header!.split(',');
      expect(byId.size).toBe(rows.length);
      const mismatches: string[] = [];
      for (const row of rows) {
        const cells = row.split(',');
        const requestId = cells[columns.indexOf('requestID')]!;
        const actual = byId.get(requestId);
        if (actual === undefined) {
          mismatches.push(`${requestId}: missing from the results file`);
          continue;
        }
        for (const [column, key, kind] of CSV_TO_JSON) {
          const text = cells[columns.indexOf(column)]!;
          const wanted = kind === 'number' ? Number(text) : text;
          const got = kind === 'number' ? actual[key] : (actual[key] ?? '');
          if (!Object.is(got, wanted)) mismatches.push(`${requestId}.${key}: expected ${String(wanted)}, got ${String(got)}`);
        }
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
});

describe('determinism', () => {
  for (const id of ['G02', 'G12', 'G20']) {
    it(`${id}: the same flags twice give identical bytes`, async () => {
      const { argv } = CASES.find((c) => c.id === id)!;
      const first = await runInProcess(argv);
      const second = await runInProcess(argv);
      expect(second).toEqual(first);
    });
  }
});

describe('bin/servesim', () => {
  // The shipped path differs from the in-process one above: the esbuild bundle, and V8 flags set for `run`
  // processes (src/cli/main.ts). Every case goes through it once, two processes at a time.
  it('reproduces every golden case as a separate process (needs `npm run build`)', async () => {
    expect(existsSync(join(REPO_ROOT, 'dist', 'bundle')), 'dist/ is missing: run `npm run build` first').toBe(true);
    const outcomes = new Map<string, Outcome>();
    const queue = [...CASES];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        outcomes.set(c.id, await spawnOutcome(c.argv));
      }
    };
    await Promise.all([worker(), worker()]);
    for (const { id } of CASES) {
      const outcome = outcomes.get(id)!;
      if (REFERENCE_CRASH_CASES.has(id)) {
        expect(outcome.exitCode, id).toBe(2);
        expect(outcome.stdout, id).toBe('');
        expect(outcome.stderr.trim().split('\n'), id).toHaveLength(1);
        continue;
      }
      expect(outcome.stderr, id).toBe('');
      expect(outcome.exitCode, id).toBe(0);
      const wanted = expected(id, 'stdout.txt')!;
      expect(outcome.stdout === wanted, `${id}: ${firstDifference(outcome.stdout, wanted)}`).toBe(true);
    }
  }, 120_000);
});

function spawnOutcome(argv: readonly string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, argv, { cwd: GOLDEN_DIR });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ exitCode: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}
