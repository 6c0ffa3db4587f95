// Runs the real CLI in-process with captured output, and reads the message of an expected throw.
import { runCli } from '../../src/cli/program.js';

export interface CliOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function runCliCaptured(argv: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<CliOutcome> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await runCli(argv, {
    cwd,
    writeStdout: (text) => void stdout.push(text),
    writeStderr: (text) => void stderr.push(text),
    env,
  });
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** The message `fn` throws, or '(no error)'. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return '(no error)';
}
