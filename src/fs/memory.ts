// How much memory this process may use, to refuse configurations that cannot fit before they run out of memory.

import { createRequire } from 'node:module';

// Loaded on first use: a plain `run` with a handful of instances never needs it.
const totalmem = (): number => (createRequire(import.meta.url)('node:os') as typeof import('node:os')).totalmem();

/** Usable bytes: the cgroup limit when there is one, else physical memory; 80 % of it, leaving room for the OS. */
export function usableMemoryBytes(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const limit = constrained !== undefined && constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  return Math.floor(limit * 0.8);
}

export function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
}
