// `servesim report SOURCE --out FILE.html`: one self-contained HTML file (inline SVG charts, inline CSS, no script)
// from a ledger output directory, an optimisation run in a trial store, or a compare/sweep/ablate --json file.
import { Command } from 'commander';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT_STATUS_HELP, type CliIO } from '../cli/io.js';
import { ServesimError } from '../errors.js';
import { checkWritableFile, writeFileAtomic } from '../fs/atomic.js';
import { commanderHelp, positiveInteger, runCommanderCommand } from '../cli/commander-run.js';
import { defaultJobs, parseJobs } from '../lab/pool.js';
import type { LedgerReport } from '../lab/ledger.js';
import { TrialStore } from '../lab/store.js';
import { requireRun } from '../lab/trials.js';
import { SIMULATOR_VERSION } from '../version.js';
import type { ReportContext } from './context.js';
import { resimulate } from './distributions.js';
import { renderReport, type ReportDocument } from './html.js';
import { jsonKind, jsonReport } from './json-report.js';
import { ledgerReport } from './ledger-report.js';
import { runReport } from './run-report.js';

interface ReportOptions {
  out: string;
  run?: number;
  jobs: number;
  distributions: boolean;
}

export type SourceKind = 'ledger-dir' | 'store' | 'json';

const SQLITE_MAGIC = 'SQLite format 3\0';

/** What SOURCE is, from the file system and the file's first bytes (never from its name). */
export function sourceKind(path: string, label: string): SourceKind {
  if (!existsSync(path)) throw new ServesimError(`report: SOURCE ${label}: no such file or directory`);
  const stat = statSync(path);
  if (stat.isDirectory()) {
    if (!existsSync(join(path, 'ledger.json'))) {
      throw new ServesimError(`report: SOURCE ${label}: a directory without ledger.json (expected the --out directory of \`servesim ledger\`)`);
    }
    return 'ledger-dir';
  }
  if (stat.size === 0) return 'store';
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1') === SQLITE_MAGIC ? 'store' : 'json';
}

function readJson(path: string, label: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ServesimError(`report: SOURCE ${label}: not a trial store and not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

export function makeContext(io: CliIO, options: { jobs: number; distributions: boolean }): ReportContext {
  return {
    distributions: options.distributions,
    simulatorVersion: SIMULATOR_VERSION,
    resimulate: (refs) => resimulate(refs, { jobs: options.jobs, write: (t) => io.writeStderr(t), bar: io.stderrIsTTY === true && io.env.SERVESIM_PROGRESS !== 'plain' }),
    warn: (message) => io.writeStderr(`WARNING: ${message}\n`),
    footer: `Made by servesim report (simulator ${SIMULATOR_VERSION}) on ${new Date().toISOString().slice(0, 10)}. Charts: Vega-Lite, rendered to SVG when the report was written; no script, no network access.`,
  };
}

async function buildDocument(io: CliIO, source: string, options: ReportOptions): Promise<ReportDocument> {
  const path = resolve(io.cwd, source);
  const kind = sourceKind(path, source);
  const context = makeContext(io, options);
  if (kind === 'store') {
    if (options.run === undefined) {
      const store = TrialStore.openReadOnly(path, source);
      const ids = store.runs().map((r) => r.id);
      store.close();
      throw new ServesimError(
        `--run: required with a trial store (${ids.length === 0 ? `${source} has no optimisation runs` : `runs in ${source}: ${ids.join(', ')}`})`,
      );
    }
    const store = TrialStore.openReadOnly(path, source);
    try {
      const run = requireRun(store, source, options.run);
      return await runReport(store, run, context, { storeLabel: source, simVersion: SIMULATOR_VERSION });
    } finally {
      store.close();
    }
  }
  if (options.run !== undefined) throw new ServesimError(`--run: only meaningful with a trial store; SOURCE ${source} is ${kind === 'ledger-dir' ? 'a ledger output directory' : 'a JSON file'}`);
  const data = kind === 'ledger-dir' ? readJson(join(path, 'ledger.json'), join(source, 'ledger.json')) : readJson(path, source);
  const found = jsonKind(data);
  if (found === undefined) {
    throw new ServesimError(
      `report: SOURCE ${kind === 'ledger-dir' ? join(source, 'ledger.json') : source}: not a ledger.json or the --json output of compare, sweep or ablate`,
    );
  }
  if (found === 'ledger') {
    return ledgerReport(data as LedgerReport, context);
  }
  return jsonReport(found, data, context);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export async function reportCommand(io: CliIO, source: string, options: ReportOptions): Promise<void> {
  const out = resolve(io.cwd, options.out);
  checkWritableFile(out, '--out', true);
  const started = performance.now();
  const doc = await buildDocument(io, source, options);
  const html = renderReport(doc);
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, html, '--out');
  const figures = doc.sections.reduce((n, s) => n + s.figures.length, 0);
  io.writeStdout(
    `written: ${options.out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${plural(doc.sections.length, 'section')}, ${plural(figures, 'chart')}, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s)\n`,
  );
}

function reportFactory(io: CliIO): Command {
  return new Command('servesim report')
    .description(
      'Writes one self-contained HTML report (charts as inline SVG, no script, no network: it opens from disk, in a mail client or ' +
        'a PDF) from SOURCE: a ledger output directory (`servesim ledger … --out DIR`), a trial store with --run N (an optimisation ' +
        'run), or the --json output of compare, sweep or ablate. Latency distributions (per-class TTFT and E2E ECDFs) are re-simulated ' +
        'from the stored configurations: the simulator is deterministic, so they are the distributions of the runs that were measured.',
    )
    .argument('<source>', 'ledger output directory, trial store (SQLite) or compare/sweep/ablate JSON file')
    .requiredOption('--out <file>', 'the HTML file to write (atomically)')
    .option('--run <n>', 'with a trial store: the optimisation run (see `servesim trials STORE`)', positiveInteger('--run'))
    .option('--jobs <n>', 'simulations run in parallel for the distributions (worker threads; 1 = in this thread)', parseJobs, defaultJobs())
    .option('--no-distributions', 'skip the latency distributions (no re-simulation)')
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`)
    .action(async (source: string, options: ReportOptions) => {
      await reportCommand(io, source, options);
    });
}

/** Runs `servesim report <argv>`; returns the exit status. Throws ServesimError on bad input. */
export function runReportCommand(argv: readonly string[], io: CliIO): Promise<number> {
  return runCommanderCommand(reportFactory(io), argv, io);
}

export function reportCommandHelp(): string {
  return commanderHelp(reportFactory);
}
