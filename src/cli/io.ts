// The process surface a CLI invocation may touch, injectable so that tests run commands in-process.

export interface CliIO {
  /** Directory that relative paths are resolved against. */
  cwd: string;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** stderr is a terminal (progress displays redraw one line there). */
  stderrIsTTY?: boolean;
  /** Environment variables (SERVESIM_DEBUG=1 adds stack traces to internal errors). */
  env: Readonly<Record<string, string | undefined>>;
}

/** A CLI subcommand. New subcommands (optimize, compare, ledger, …) plug in by being added to the list in program.ts. */
export interface Subcommand {
  name: string;
  /** One line for `servesim --help`. */
  summary: string;
  /** Full help text (`servesim <name> --help`, `servesim help <name>`). */
  help(): Promise<string>;
  /** Runs with the arguments after the subcommand name; returns the exit status. Throws ServesimError on bad input. */
  run(argv: readonly string[], io: CliIO): number | Promise<number>;
}

/** The exit statuses, as `--help` prints them. */
export const EXIT_STATUS_HELP =
  'Exit status: 0 success; 1 bad input or environment (nothing is simulated); 2 the simulated system hit a\n' +
  'limit the reference simulator would crash on; 3 a ledger finished with failed seeds (recorded in their rows);\n' +
  '70 internal error (a bug: please report it).';

/** The real process: stdout/stderr streams, the working directory and the environment. */
export function processIO(): CliIO {
  return {
    cwd: process.cwd(),
    writeStdout: (text) => void process.stdout.write(text),
    writeStderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}
