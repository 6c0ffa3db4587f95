// Helpers shared by the per-axis policy registries.
import { ServesimError } from '../errors.js';

/** Sorted registered names (the CLI prints them in "Unknown … policy" messages). */
export function sortedNames(registry: Readonly<Record<string, unknown>>): readonly string[] {
  return Object.keys(registry).sort();
}

/** Looks a policy up by name; "" selects the axis default. */
export function lookup<T>(axis: string, registry: Readonly<Record<string, T>>, name: string, defaultName: string): T {
  const key = name === '' ? defaultName : name;
  const entry = Object.prototype.hasOwnProperty.call(registry, key) ? registry[key] : undefined;
  if (entry === undefined) {
    throw new ServesimError(`Unknown ${axis} "${name}". Valid: ${sortedNames(registry).join(', ')}`);
  }
  return entry;
}
