// Build step: bundles the CLI (and the lab's worker script) into a few ESM files under dist/bundle/, which
// bin/servesim imports. Loading ~90 separate modules costs ~50 ms per process (resolution, compilation), a large
// share of a `servesim run`; the bundle loads in a fraction of that. tsc still type-checks and emits dist/**
// (the library entry point and its declarations).
//
// Everything under dist/bundle/ sits one level below dist/, like dist/<dir>/*.js, so paths that modules resolve
// against import.meta.url (../../data/…, ../data/defaults.json, ./worker.js) work from both layouts.
// Packages stay external (native better-sqlite3, piscina's worker machinery, and the lazily loaded yaml/zod/
// commander), and dynamic imports become separate chunks, so lazy modules stay lazy.
//
// `servesim run` gets a faster path: dist/bundle/run.cjs holds the run command alone in one CommonJS file, which
// bin/servesim compiles with V8's code cache (dist/bundle/run.cjs.cache). Node 20's ESM loader has no code cache and
// loads the split bundle file by file; the cached single script starts ~10 % faster on the G03 baseline. The cache
// is produced here by one warm-up run, so it also holds the functions a simulation compiles lazily. V8 checks it
// against the source, its own version and flags, and silently compiles from source when it does not match.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const outdir = new URL('dist/bundle/', root);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: { servesim: 'src/cli/main.ts', worker: 'src/lab/worker.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: '[name]-[hash]',
  define: { __SERVESIM_PACKAGE_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  // Less source for V8 to scan and compile on every process start (identifiers are not renamed).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// import.meta.url does not exist in CommonJS: bin/servesim passes the file's URL as __servesimModuleUrl, so paths
// resolved against it (../../data/…, ../data/defaults.json) work as from the ESM bundle next to it.
await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: ['src/cli/run-entry.ts'],
  outfile: 'dist/bundle/run.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  define: { __SERVESIM_PACKAGE_VERSION__: JSON.stringify(version), 'import.meta.url': '__servesimModuleUrl' },
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});

// The warm-up: the quick start's baseline run (stdout discarded), writing the code cache when it finishes.
const cacheFile = new URL('dist/bundle/run.cjs.cache', root).pathname;
const warmUp = spawnSync(
  process.execPath,
  [
    new URL('bin/servesim', root).pathname,
    'run',
    ...['--model', 'meta-llama/llama-3.1-8b-instruct', '--num-instances', '8', '--routing-policy', 'weighted'],
    ...['--routing-scorers', 'prefix-affinity:3,queue-depth:2,kv-utilization:2', '--kv-cpu-blocks', '44000'],
    ...['--kv-offload-threshold', '0.9', '--long-prefill-token-threshold', '256', '--seed', '42'],
    ...['--workload-spec', new URL('presets/workloads/mixed-production.yaml', root).pathname],
  ],
  { env: { ...process.env, SERVESIM_WRITE_CODE_CACHE: cacheFile }, stdio: ['ignore', 'ignore', 'inherit'] },
);
if (warmUp.status !== 0 || !existsSync(cacheFile)) {
  throw new Error(`bundle: the warm-up run that writes ${cacheFile} failed (status ${warmUp.status})`);
}
