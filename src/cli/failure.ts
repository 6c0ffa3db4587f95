// What a failed command shows: one stderr line and an exit status. Shared by the full CLI (program.ts) and the
// `run` fast path (run-entry.ts), which must not load the subcommand table.
import { ServesimError } from '../errors.js';
import { printableLine } from '../show-value.js';
import type { CliIO } from './io.js';

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
