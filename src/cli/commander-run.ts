// Running one commander-built subcommand on the CLI's IO: usage errors and --help become exit statuses, ServesimErrors
// propagate (the CLI prints them as one line). Shared by the subcommands that build their own commander program.
import { Command, CommanderError } from 'commander';
import { EXIT_STATUS_HELP, type CliIO } from './io.js';
import { ServesimError } from '../errors.js';

/** Parses `argv` with `command` and runs its action; returns the exit status (`exitCode()` after a normal run). */
export async function runCommanderCommand(command: Command, argv: readonly string[], io: CliIO, exitCode: () => number = () => 0): Promise<number> {
  command.exitOverride().configureOutput({ writeOut: (t) => io.writeStdout(t), writeErr: (t) => io.writeStderr(t) });
  try {
    await command.parseAsync([...argv], { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}

/** The help text of the command `factory` builds (helpInformation() leaves out addHelpText() blocks, so the exit statuses are appended). */
export function commanderHelp(factory: (io: CliIO) => Command): string {
  const silent: CliIO = { cwd: process.cwd(), writeStdout: () => {}, writeStderr: () => {}, env: {} };
  return `${factory(silent).helpInformation()}\n${EXIT_STATUS_HELP}\n`;
}

/** Commander argument parser for an integer flag >= `min`. */
export function integerOption(flag: string, min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
      throw new ServesimError(`${flag}: expected an integer >= ${min}, got "${text.slice(0, 40)}"`);
    }
    return value;
  };
}

/** Commander argument parser for an integer flag >= 1. */
export function positiveInteger(flag: string) {
  return integerOption(flag, 1);
}
