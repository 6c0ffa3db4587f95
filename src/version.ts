import { readFileSync } from 'node:fs';

/**
 * Bump whenever a change alters simulation results (any output number for any input), even if the package
 * version stays the same: the strategy lab's trial store keys cached evaluations on it, so a stale cache is
 * never read back after the simulator's semantics changed.
 */
export const SIM_MODEL_VERSION = 1;

/** Inlined by the CLI bundler (scripts/bundle.mjs); undefined in the tsc output. */
declare const __SERVESIM_PACKAGE_VERSION__: string | undefined;

/**
 * `version` of package.json: inlined into the CLI bundle at build time, read at run time by the tsc output
 * (package.json lies outside the compiled tree).
 */
export const PACKAGE_VERSION: string =
  typeof __SERVESIM_PACKAGE_VERSION__ === 'string' ? __SERVESIM_PACKAGE_VERSION__ : readPackageVersion();

/** Identity of the simulator's behaviour, as stored with every cached evaluation. */
export const SIMULATOR_VERSION = `${PACKAGE_VERSION}+sim${SIM_MODEL_VERSION}`;

function readPackageVersion(): string {
  // src/version.ts and dist/version.js both sit one level below the package root.
  const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(raw) as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}
