// `servesim dashboard --store FILE [--host 127.0.0.1] [--port 0|N]`: serves src/dashboard/server.ts until Ctrl-C.
import { Command } from 'commander';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { EXIT_STATUS_HELP, type CliIO } from '../cli/io.js';
import { ServesimError } from '../errors.js';
import { commanderHelp, runCommanderCommand } from '../cli/commander-run.js';
import { startDashboard, type Dashboard } from './server.js';

interface DashboardCliOptions {
  store: string;
  host: string;
  port: number;
}

const DEFAULT_STORE = '.servesim/trials.sqlite';

function portOption(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value > 65535) throw new ServesimError(`--port: expected 0 (any free port) to 65535, got "${text.slice(0, 40)}"`);
  return value;
}

function hostOption(text: string): string {
  if (text !== 'localhost' && isIP(text) === 0) throw new ServesimError(`--host: expected an IP address or localhost, got "${text.slice(0, 60)}"`);
  return text;
}

/** Starts the dashboard; resolves with it once it listens (tests), the CLI then waits for a signal. */
export async function dashboardCommand(io: CliIO, options: DashboardCliOptions): Promise<Dashboard> {
  const dashboard = await startDashboard({ storePath: resolve(io.cwd, options.store), storeLabel: options.store, host: options.host, port: options.port });
  io.writeStderr(`dashboard: ${dashboard.url} (store ${options.store} read-only; Ctrl-C stops it)\n`);
  return dashboard;
}

function dashboardFactory(io: CliIO, started: (dashboard: Dashboard) => Promise<void>): Command {
  return new Command('servesim dashboard')
    .description(
      'A local web dashboard over a trial store: the optimisation runs (convergence, evaluated points, trade-off, per-seed tables: ' +
        "the report's charts), the strategies and the latest evaluations; every trial's flags can be copied and any call exported " +
        'as a strategy YAML. Pages update live (server-sent events, < 1 s) while optimize, ledger, compare or sweep write to the store. ' +
        'The store is only read. Listens on 127.0.0.1 by default and answers only requests addressed to that host.',
    )
    .option('--store <file>', 'trial store (SQLite)', DEFAULT_STORE)
    .option('--host <address>', 'address to listen on', hostOption, '127.0.0.1')
    .option('--port <n>', 'port (0: any free port, printed on stderr)', portOption, 8787)
    .addHelpText('after', `\n${EXIT_STATUS_HELP}`)
    .action(async (options: DashboardCliOptions) => {
      await started(await dashboardCommand(io, options));
    });
}

/** Until SIGINT/SIGTERM: the dashboard runs in the foreground like any local server. */
function untilSignal(dashboard: Dashboard): Promise<void> {
  return new Promise((resolvePromise) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void dashboard.close().then(resolvePromise);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function runDashboardCommand(argv: readonly string[], io: CliIO): Promise<number> {
  return runCommanderCommand(dashboardFactory(io, untilSignal), argv, io);
}

export function dashboardCommandHelp(): string {
  return commanderHelp((io) => dashboardFactory(io, async () => {}));
}
