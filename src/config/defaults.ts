// The default simulation configuration — what `servesim run --model meta-llama/llama-3.1-8b-instruct` resolves to —
// for library users and tests, so that no one spells the defaults out again.

import { BUILTIN_CATALOG, type PolicyCatalog } from '../policies/catalog.js';
import type { GeneratedRequest, SimConfig } from '../types.js';
import { resolveRunArgs } from './resolve-run.js';
import { parseRunArgs } from './run-flags.js';

export const DEFAULT_MODEL = 'meta-llama/llama-3.1-8b-instruct';

/**
 * Every `run` default (engine, policies with their declared parameter defaults, coefficients of the default model
 * on its default GPU and TP from the shipped defaults file) with the given requests. Callers override fields with
 * spreads; policy parameters left out of a `PolicyChoice` take their declared defaults in the engine too.
 */
export function defaultSimConfig(requests: GeneratedRequest[] = [], catalog: PolicyCatalog = BUILTIN_CATALOG): SimConfig {
  const args = parseRunArgs(['--model', DEFAULT_MODEL, '--num-requests', '0'], catalog);
  const { sim } = resolveRunArgs(args, { cwd: process.cwd() });
  return { ...sim, requests };
}
