// Build step: bundles the CLI (and the lab's worker script) into a few ESM files under dist/bundle/, which
// bin/servesim imports. Loading ~90 separate modules costs ~50 ms per process (resolution, compilation), a large
// share of a `servesim run`; the bundle loads in a fraction of that. tsc still type-checks and emits dist/**
// (the library entry point and its declarations).
//
// Everything under dist/bundle/ sits one level below dist/, like dist/<dir>/*.js, so paths that modules resolve
// against import.meta.url (../../data/…, ../data/defaults.json, ./worker.js) work from both layouts.
// Packages stay external (native better-sqlite3, piscina's worker machinery, and the lazily loaded yaml/zod/
// commander), and dynamic imports become separate chunks, so lazy modules stay lazy.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

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
