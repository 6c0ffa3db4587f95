/**
 * A user-facing failure: bad input, an impossible configuration, or a limit the simulated system hit.
 * The CLI prints `message` as one line on stderr and exits with `exitCode`; it never shows a stack trace.
 */
export class ServesimError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'ServesimError';
    this.exitCode = exitCode;
  }
}
