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

/** Streams whose reader went away (`servesim --help | head -3`): later output to them is dropped. */
const closedStreams = new Set<NodeJS.WriteStream>();

/**
 * A reader that stops reading is not an error of servesim's: the command still finishes (files it writes are
 * completed) and only what it would print is lost. Without a listener Node reports EPIPE with a stack trace.
 */
function watchForClosedReader(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    closedStreams.add(stream);
    if (error.code !== 'EPIPE' && stream === process.stdout) {
      process.stderr.write(`servesim: cannot write to stdout: ${error.message}\n`);
      process.exitCode = 1;
    }
  });
}

function writeTo(stream: NodeJS.WriteStream, text: string): void {
  if (!closedStreams.has(stream)) stream.write(text);
}

/** The real process: stdout/stderr streams, the working directory and the environment. */
export function processIO(): CliIO {
  watchForClosedReader(process.stdout);
  watchForClosedReader(process.stderr);
  return {
    cwd: process.cwd(),
    writeStdout: (text) => writeTo(process.stdout, text),
    writeStderr: (text) => writeTo(process.stderr, text),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}
