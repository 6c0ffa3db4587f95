// Process entry of the `servesim` binary (bin/servesim imports the compiled version of this file).

import { runCli } from './program.js';

const exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  writeStdout: (text) => void process.stdout.write(text),
  writeStderr: (text) => void process.stderr.write(text),
  env: process.env,
});
// Setting exitCode (not calling process.exit) lets piped stdout drain completely.
process.exitCode = exitCode;
