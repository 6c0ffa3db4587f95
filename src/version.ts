import { readFileSync } from 'node:fs';

/**
 * Bump whenever a change alters simulation results (any output number for any input), even if the package
 * version stays the same: the strategy lab's trial store keys cached evaluations on it, so a stale cache is
 * never read back after the simulator's semantics changed.
 */
export const SIM_MODEL_VERSION = 1;

/** `version` of package.json; read at run time because package.json lies outside the compiled tree. */
export const PACKAGE_VERSION: string = readPackageVersion();

/** Identity of the simulator's behaviour, as stored with every cached evaluation. */
export const SIMULATOR_VERSION = `${PACKAGE_VERSION}+sim${SIM_MODEL_VERSION}`;

function readPackageVersion(): string {
  // src/version.ts and dist/version.js both sit one level below the package root.
  const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(raw) as { version?: unknown }).version;
  return typeof version === 'string' ? version : '0.0.0';
}
