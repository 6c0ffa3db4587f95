// Process entry of the `servesim` binary (bin/servesim imports the compiled version of this file).

import { setFlagsFromString } from 'node:v8';
import { processIO } from './io.js';
import { runCli } from './program.js';

// A `run` process performs one simulation, and most of it executes before TurboFan has optimized the hot
// path: with V8's default inlining budget the optimizer builds large inlined graphs (event loop → step →
// batch formation → KV store), ~0.4 s of compile work for a 1000-request run, while the main thread waits in
// the lower tiers. A smaller cumulative inlining budget gets optimized code sooner (G03 whole process ≈ −20 ms
// median; no measurable change at 10k requests). Compiler heuristics only: results are unaffected. Commands
// that run many simulations per process (lab) keep V8's defaults.
if (process.argv[2] === 'run') setFlagsFromString('--max-inlined-bytecode-size-cumulative=150');

const exitCode = await runCli(process.argv.slice(2), processIO());
// Setting exitCode (not calling process.exit) lets piped stdout drain completely.
process.exitCode = exitCode;
