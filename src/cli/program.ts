// The `servesim` command: subcommand dispatch, top-level help, and the mapping of failures to stderr + exit status.

import { labSubcommands } from '../lab/subcommands.js';
import { describeFailure } from './failure.js';
import { EXIT_STATUS_HELP, type CliIO, type Subcommand } from './io.js';
import { pluginsSubcommand } from './plugins-command.js';
import { runSubcommand } from './run-command.js';

export { describeFailure, INTERNAL_ERROR_EXIT_CODE, type FailureReport } from './failure.js';

/** Registered subcommands (each loads its implementation only when it runs). */
export const SUBCOMMANDS: readonly Subcommand[] = [runSubcommand, pluginsSubcommand, ...labSubcommands];

async function runTopLevel(argv: readonly string[], io: CliIO, subcommands: readonly Subcommand[]): Promise<number> {
  const { Command } = await import('commander');
  const { runCommanderCommand } = await import('./commander-run.js');
  const { PACKAGE_VERSION } = await import('../version.js');
  const program = new Command('servesim')
    .description('Discrete-event simulator of LLM inference clusters (BLIS-compatible)')
    .version(PACKAGE_VERSION, '-V, --version');
  // Subcommands are dispatched before commander is loaded; here they only appear in the command list.
  for (const sub of subcommands) program.command(sub.name).description(sub.summary);
  program.addHelpText('after', `\n${EXIT_STATUS_HELP}`);
  const [first, second] = argv;
  const helpTarget = first === 'help' ? subcommands.find((s) => s.name === second) : undefined;
  if (helpTarget) {
    io.writeStdout(await helpTarget.help());
    return 0;
  }
  return runCommanderCommand(program, argv, io);
}

/** Runs the CLI with `argv` (without node and script path); returns the exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIO, subcommands: readonly Subcommand[] = SUBCOMMANDS): Promise<number> {
  try {
    const sub = subcommands.find((s) => s.name === argv[0]);
    if (sub) return await sub.run(argv.slice(1), io);
    return await runTopLevel(argv, io, subcommands);
  } catch (error) {
    const failure = describeFailure(error, io.env);
    io.writeStderr(failure.stderr);
    return failure.exitCode;
  }
}
