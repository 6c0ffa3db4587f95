// The `servesim` command: subcommand dispatch, top-level help, and the mapping of failures to stderr + exit status.

import { ServesimError } from '../errors.js';
import { printableLine } from '../show-value.js';
import { labSubcommands } from '../lab/subcommands.js';
import { EXIT_STATUS_HELP, type CliIO, type Subcommand } from './io.js';
import { pluginsSubcommand } from './plugins-command.js';
import { runSubcommand } from './run-command.js';

/** Registered subcommands (each loads its implementation only when it runs). */
export const SUBCOMMANDS: readonly Subcommand[] = [runSubcommand, pluginsSubcommand, ...labSubcommands];

/** Exit status for unexpected exceptions (BSD EX_SOFTWARE). */
export const INTERNAL_ERROR_EXIT_CODE = 70;

export interface FailureReport {
  exitCode: number;
  /** Complete stderr text (one line, plus a stack trace only when debugging). */
  stderr: string;
}

/**
 * Maps a thrown value to what the user sees: a ServesimError's message as one line with its exit status;
 * anything else is a bug, reported as one `internal error` line (stack only with SERVESIM_DEBUG=1).
 */
export function describeFailure(error: unknown, env: CliIO['env'] = {}): FailureReport {
  const debug = env.SERVESIM_DEBUG === '1';
  if (error instanceof ServesimError) {
    const line = printableLine(error.message);
    return { exitCode: error.exitCode, stderr: `${line}\n${debug && error.stack ? error.stack + '\n' : ''}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = debug && error instanceof Error && error.stack ? error.stack + '\n' : '';
  return { exitCode: INTERNAL_ERROR_EXIT_CODE, stderr: `servesim: internal error: ${printableLine(message)}\n${stack}` };
}

async function runTopLevel(argv: readonly string[], io: CliIO, subcommands: readonly Subcommand[]): Promise<number> {
  const { Command, CommanderError } = await import('commander');
  const { PACKAGE_VERSION } = await import('../version.js');
  const program = new Command('servesim')
    .description('Discrete-event simulator of LLM inference clusters (BLIS-compatible)')
    .version(PACKAGE_VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.writeStdout, writeErr: io.writeStderr });
  // Subcommands are dispatched before commander is loaded; here they only appear in the command list.
  for (const sub of subcommands) program.command(sub.name).description(sub.summary);
  program.addHelpText('after', `\n${EXIT_STATUS_HELP}`);
  const [first, second] = argv;
  const helpTarget = first === 'help' ? subcommands.find((s) => s.name === second) : undefined;
  if (helpTarget) {
    io.writeStdout(await helpTarget.help());
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
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
