// The strategy-lab subcommands as the CLI registers them. Deliberately light: the command implementations (SQLite,
// worker pool, optimiser, commander) are imported only when one of these commands runs, so `servesim run` stays fast.
import type { CliIO, Subcommand } from '../cli/io.js';

import type { LabCommandName } from './commands.js';

function labSubcommand(name: LabCommandName, summary: string): Subcommand {
  return {
    name,
    summary,
    help: async () => (await import('./commands.js')).labCommandHelp(name),
    run: async (argv: readonly string[], io: CliIO) => (await import('./commands.js')).runLabCommand(name, argv, io),
  };
}

/** Commands that only read a trial store (src/lab/trials-commands.ts). */
function trialsSubcommand(name: 'trials' | 'export', summary: string): Subcommand {
  return {
    name,
    summary,
    help: async () => (await import('./trials-commands.js')).trialsCommandHelp(name),
    run: async (argv: readonly string[], io: CliIO) => (await import('./trials-commands.js')).runTrialsCommand(name, argv, io),
  };
}

/**
 * `servesim report` (src/report/) and `servesim dashboard` (src/dashboard/), behind one lazily loaded entry: vega and the
 * HTTP server load only when they run, and a single entry keeps the bundle's start-up chunks as they were.
 */
const reportSubcommand: Subcommand = {
  name: 'report',
  summary: 'write a self-contained HTML report (SVG charts) of a ledger, an optimisation run, a compare, sweep or ablation',
  help: async () => (await import('../dashboard/entry.js')).reportCommandHelp(),
  run: async (argv: readonly string[], io: CliIO) => (await import('../dashboard/entry.js')).runReportCommand(argv, io),
};

const dashboardSubcommand: Subcommand = {
  name: 'dashboard',
  summary: 'a local web dashboard over a trial store (read-only), updated live while the lab writes to it',
  help: async () => (await import('../dashboard/entry.js')).dashboardCommandHelp(),
  run: async (argv: readonly string[], io: CliIO) => (await import('../dashboard/entry.js')).runDashboardCommand(argv, io),
};

/** Add to SUBCOMMANDS in src/cli/program.ts. */
export const labSubcommands: readonly Subcommand[] = [
  labSubcommand('optimize', 'Bayesian optimisation of a strategy over seeds (see `servesim optimize --help`)'),
  labSubcommand('compare', 'compare strategies on the same seeds: means and paired differences with 95 % CIs'),
  labSubcommand('sweep', 'evaluate a strategy over a grid of flag values (and workloads), optionally against a reference'),
  labSubcommand('ablate', "which of a strategy's components carry its effect, and whether they add up"),
  labSubcommand('ledger', 'run a ledger of strategies against a baseline; write ledger.md and ledger.json'),
  trialsSubcommand('trials', 'list a trial store: evaluations, optimisation runs, a run\'s calls (read-only)'),
  trialsSubcommand('export', 'write call K of optimisation run N as a standalone strategy YAML'),
  reportSubcommand,
  dashboardSubcommand,
  {
    name: 'worker',
    summary: 'simulate jobs from a Redis queue for lab commands run with --backend (see `servesim worker --help`)',
    help: async () => (await import('./redis-worker.js')).workerCommandHelp(),
    run: async (argv: readonly string[], io: CliIO) => (await import('./redis-worker.js')).runWorkerCommand(argv, io),
  },
];
