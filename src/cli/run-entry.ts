// `servesim run` on its own: the entry of dist/bundle/run.cjs, which bin/servesim loads for `run` with V8's code
// cache (see scripts/bundle.mjs). Only the run path is in it — no subcommand table, no lab — and failures map to
// stderr and exit status exactly as in the full CLI (program.ts runCli).
import { describeFailure } from './failure.js';
import { processIO } from './io.js';
import { executeRun } from './run-command.js';

/** Runs `servesim run <argv>` on the real process; returns the exit status. Never throws. */
export async function runMain(argv: readonly string[]): Promise<number> {
  const io = processIO();
  try {
    return await executeRun(argv, io);
  } catch (error) {
    const failure = describeFailure(error, io.env);
    io.writeStderr(failure.stderr);
    return failure.exitCode;
  }
}
