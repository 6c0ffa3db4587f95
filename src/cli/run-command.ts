// `servesim run`: resolve flags, simulate, print the reference's stdout, write --results-path.

import { simulate, type SimProgress } from '../cluster/simulate.js';
import { renderRunOutput } from '../metrics/output.js';
import { writeResultsFile } from '../metrics/results-file.js';
import type { CliIO, Subcommand } from './io.js';
import { LOG_LEVELS, parseRunCommandLine, resolveRunArgs, type Diagnostic, type LogLevel, type RunConfigCache } from '../config/resolve-run.js';
import type { PolicyCatalog } from '../policies/catalog.js';

/** commander renders the help; it is loaded only then, which keeps ordinary runs fast. */
async function runHelp(catalog?: PolicyCatalog): Promise<string> {
  const { renderRunHelp } = await import('./help.js');
  return renderRunHelp(catalog);
}

function shouldLog(diagnostic: Diagnostic, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(diagnostic.level) <= LOG_LEVELS.indexOf(level);
}

/** Runs `servesim run <argv>`; returns the exit status. Throws ServesimError for bad input (mapped by the caller). */
export async function executeRun(argv: readonly string[], io: CliIO, cache?: RunConfigCache): Promise<number> {
  const args = parseRunCommandLine(argv, io.cwd);
  if (args.helpRequested) {
    io.writeStdout(await runHelp(args.catalog));
    return 0;
  }
  const { sim, output, logLevel, diagnostics } = resolveRunArgs(args, { cwd: io.cwd, cache });
  for (const diagnostic of diagnostics) {
    if (shouldLog(diagnostic, logLevel)) io.writeStderr(`${diagnostic.level === 'warn' ? 'warning' : 'info'}: ${diagnostic.message}\n`);
  }

  const progress = args.explicit.has('progress') ? args.flags.progress : io.stderrIsTTY === true;
  const result = simulate(sim, progress ? { onProgress: progressReporter(io) } : {});
  if (progress && io.stderrIsTTY) io.writeStderr('\r\x1b[K');

  // stdout is written once; a late --fitness-weights error still lets the already rendered blocks through.
  const chunks: string[] = [];
  try {
    renderRunOutput(result, output, (chunk) => chunks.push(chunk), (line) => io.writeStderr(line + '\n'));
  } finally {
    io.writeStdout(chunks.join(''));
    if (output.resultsPath !== '') writeResultsFile(output.resultsPath, result);
  }
  return 0;
}

/** A progress line at most every 0.5 s: redrawn in place on a terminal, one line each otherwise. Never on stdout. */
function progressReporter(io: CliIO): (p: SimProgress) => void {
  const started = Date.now();
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 500) return;
    last = now;
    const wall = (now - started) / 1000;
    const line =
      `simulated ${(p.clock / 1e6).toFixed(1)} s | ${p.completed.toLocaleString('en-US')} / ${p.requests.toLocaleString('en-US')} ` +
      `requests done | ${Math.round(p.events / wall).toLocaleString('en-US')} events/s | ${wall.toFixed(0)} s`;
    io.writeStderr(io.stderrIsTTY ? `\r\x1b[K${line}` : `${line}\n`);
  };
}

export const runSubcommand: Subcommand = {
  name: 'run',
  summary: 'simulate a cluster and print its metrics (see `servesim run --help`)',
  help: () => runHelp(),
  run: (argv, io) => executeRun(argv, io),
};
