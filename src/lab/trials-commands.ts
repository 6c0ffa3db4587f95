// `servesim trials` and `servesim export`: read a trial store (never write it) and list or export what it holds.
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT_STATUS_HELP, type CliIO } from '../cli/io.js';
import { ServesimError } from '../errors.js';
import { checkWritableFile, writeFileAtomic } from '../fs/atomic.js';
import { commanderHelp, positiveInteger, runCommanderCommand } from '../cli/commander-run.js';
import { TrialStore } from './store.js';
import { loadStrategy } from './strategy.js';
import { applySets } from './strategy-variants.js';
import {
  exportTrial,
  formatEvaluationsCsv,
  formatRunCsv,
  formatRunText,
  formatStoreText,
  listEvaluations,
  listRun,
  requireRun,
  summarizeRun,
} from './trials.js';

export type TrialsCommandName = 'trials' | 'export';

/** The trial store `optimize`, `compare`, `ledger` and `sweep` use by default. */
const DEFAULT_STORE = '.servesim/trials.sqlite';

const CALL_NUMBERING =
  'Calls are numbered from 1, as `servesim optimize` prints them ("best … at call K") and as its --output JSON gives them ' +
  '(best_call, trace[].call).';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface TrialsOptions {
  run?: number;
  csv: boolean;
  json: boolean;
}

interface ExportOptions {
  run: number;
  call: number;
  out?: string;
  strategy?: string;
  set: string[];
}

function trialsFactory(io: CliIO): Command {
  return new Command('servesim trials')
    .description(
      'Lists what a trial store holds, without changing it: every stored evaluation (strategy, seed, config hash, key ' +
        'metrics, wall time) and the optimisation runs (id, strategy, status, calls, best score); with --run N, the calls ' +
        `of run N (parameters, score, mean metrics). ${CALL_NUMBERING}`,
    )
    .argument('[store]', 'trial store (SQLite)', DEFAULT_STORE)
    .option('--run <n>', 'list the calls of optimisation run N', positiveInteger('--run'))
    .option('--csv', 'CSV: the evaluations, or with --run the calls', false)
    .option('--json', 'machine-readable output (every metric)', false)
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`)
    .action((store: string, options: TrialsOptions) => {
      trialsCommand(io, store, options);
    });
}

function exportFactory(io: CliIO): Command {
  return new Command('servesim export')
    .description(
      'Writes call K of optimisation run N as a standalone strategy YAML: the run\'s strategy with every searched parameter ' +
        'fixed at that call\'s values (in fixed_args), its workload (absolute path), the run\'s seeds, objective and ' +
        'constraints, and no parameters, so compare, ledger and sweep run it as is; prints the equivalent `servesim run` ' +
        `command for the first seed. ${CALL_NUMBERING} The store is only read.`,
    )
    .argument('[store]', 'trial store (SQLite)', DEFAULT_STORE)
    .requiredOption('--run <n>', 'optimisation run id (see `servesim trials STORE`)', positiveInteger('--run'))
    .requiredOption('--call <k>', 'call number, from 1 (see `servesim trials STORE --run N`)', positiveInteger('--call'))
    .option('--out <file>', 'write the YAML here (atomically) instead of printing it')
    .option('--strategy <file>', 'the strategy file of a run recorded by an older servesim (checked against the run)')
    .option('--set <flag=value>', 'with --strategy: the --set overrides the run was started with (repeatable)', collect, [])
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`)
    .action((store: string, options: ExportOptions) => {
      exportCommand(io, store, options);
    });
}

function withStore<T>(io: CliIO, file: string, body: (store: TrialStore, label: string) => T): T {
  const store = TrialStore.openReadOnly(resolve(io.cwd, file), file);
  try {
    return body(store, file);
  } finally {
    store.close();
  }
}

export function trialsCommand(io: CliIO, file: string, options: TrialsOptions): void {
  if (options.csv && options.json) throw new ServesimError('trials: --json and --csv exclude each other');
  const text = withStore(io, file, (store, label) => {
    if (options.run !== undefined) {
      const listing = listRun(store, requireRun(store, label, options.run));
      if (options.json) return `${JSON.stringify(listing, null, 2)}\n`;
      return options.csv ? formatRunCsv(listing) : formatRunText(listing);
    }
    const evaluations = listEvaluations(store);
    if (options.csv) return formatEvaluationsCsv(evaluations);
    const runs = store.runs().map((run) => summarizeRun(store, run));
    if (options.json) return `${JSON.stringify({ store: label, runs, evaluations }, null, 2)}\n`;
    return formatStoreText(label, runs, evaluations);
  });
  io.writeStdout(text);
}

export function exportCommand(io: CliIO, file: string, options: ExportOptions): void {
  const out = options.out === undefined ? undefined : resolve(io.cwd, options.out);
  if (out !== undefined) checkWritableFile(out, '--out', true);
  if (options.set.length > 0 && options.strategy === undefined) throw new ServesimError('--set: only meaningful with --strategy');
  const strategy = options.strategy === undefined ? undefined : applySets(loadStrategy(resolve(io.cwd, options.strategy)), options.set, io.cwd);
  const exported = withStore(io, file, (store, label) =>
    exportTrial(store, options.run, options.call, { storeLabel: label, ...(strategy ? { strategy } : {}), ...(out ? { outFile: out } : {}) }),
  );
  for (const warning of exported.warnings) io.writeStderr(`WARNING: ${warning}\n`);
  if (out === undefined) {
    io.writeStdout(exported.yaml);
    return;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, exported.yaml, '--out');
  io.writeStdout(
    `written: ${options.out} (strategy ${exported.name}, score ${exported.score}; compare, ledger and sweep accept it)\n` +
      `run it (seed ${exported.seed}): ${exported.runCommand}\n`,
  );
}

const FACTORIES: Record<TrialsCommandName, (io: CliIO) => Command> = { trials: trialsFactory, export: exportFactory };

/** Runs `servesim <name> <argv>`; returns the exit status. Throws ServesimError on bad input. */
export function runTrialsCommand(name: TrialsCommandName, argv: readonly string[], io: CliIO): Promise<number> {
  return runCommanderCommand(FACTORIES[name](io), argv, io);
}

export function trialsCommandHelp(name: TrialsCommandName): string {
  return commanderHelp(FACTORIES[name]);
}
