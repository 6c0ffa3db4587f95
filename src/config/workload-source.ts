// Workload generation for `run` (docs/spec-notes.md, Workload DSL) on top of src/workload, with results cached by their
// inputs: the strategy lab resolves the same workload (spec file × seed) for many policy configurations.

import type { GeneratedRequest, RequestStream } from '../types.js';
import { SpecRequestStream, generateSpecWorkload, resolveSpecGenerationOptions } from '../workload/generate-spec.js';
import { generateLegacyWorkload, type LegacyWorkloadParams } from '../workload/legacy.js';
import { loadWorkloadSpec } from '../workload/load-spec.js';
import type { WorkloadSpec } from '../workload/spec.js';
import { readTraceWorkload } from '../workload/traces.js';
import { validateWorkloadSpec } from '../workload/validate.js';
import type { BoundedCache } from './bounded-cache.js';

export type { LegacyWorkloadParams } from '../workload/legacy.js';

type WorkloadCache = BoundedCache<string, readonly GeneratedRequest[]>;

/** A loaded and validated spec with the warnings its loading produced (re-reported on every cache hit). */
export interface LoadedSpec {
  spec: WorkloadSpec;
  warnings: readonly string[];
}

export interface SpecRequestOptions {
  /** Values of flags given explicitly (undefined = use the spec's value). */
  seed: bigint | undefined;
  horizon: number | undefined;
  numRequests: number | undefined;
  cache: WorkloadCache;
  specCache: BoundedCache<string, LoadedSpec>;
  /** Identity of the spec file's content (mtime and size). */
  stamp: string;
  onWarning: (message: string) => void;
}

/**
 * Spec workloads with more requests than this (or bounded only by a horizon) are generated while the run reaches
 * them instead of up front, and not cached: memory then follows the requests in the system. Smaller ones are
 * generated at once (a sampled length out of range is reported before anything else) and cached for the lab.
 */
export const STREAM_MIN_REQUESTS = 50_000;

interface SpecRequests {
  requests: readonly GeneratedRequest[] | RequestStream;
  /** The simulation horizon: explicit --horizon, else the spec's horizon if > 0, else Infinity. */
  horizon: number;
}

/** Load, validate, resolve seed/horizon/cap, generate (docs/architecture.md, Configuration resolution, step 3). */
export function generateSpecRequests(specPath: string, options: SpecRequestOptions): SpecRequests {
  const { spec, warnings } = options.specCache.getOrCreate(`${specPath}|${options.stamp}`, () => {
    const collected: string[] = [];
    const loaded = loadWorkloadSpec(specPath, { onWarning: (message) => collected.push(message) });
    validateWorkloadSpec(loaded);
    return { spec: loaded, warnings: collected };
  });
  warnings.forEach(options.onWarning);
  const generation = resolveSpecGenerationOptions(spec, {
    seed: options.seed,
    horizon: options.horizon,
    numRequests: options.numRequests,
  });
  if (generation.maxRequests <= 0 || generation.maxRequests > STREAM_MIN_REQUESTS) {
    return { requests: new SpecRequestStream(spec, generation), horizon: generation.horizon };
  }
  const key = ['spec', specPath, options.stamp, String(generation.seed), generation.horizon, generation.maxRequests].join('|');
  const requests = options.cache.getOrCreate(key, () => Object.freeze(generateSpecWorkload(spec, generation)));
  return { requests, horizon: generation.horizon };
}

export function generateLegacyRequests(params: LegacyWorkloadParams, cache: WorkloadCache): readonly GeneratedRequest[] {
  const key = JSON.stringify(params, (_, value: unknown) => (typeof value === 'bigint' || value === Infinity ? String(value) : value));
  return cache.getOrCreate(`legacy|${key}`, () => Object.freeze(generateLegacyWorkload(params)));
}

export function readTraceRequests(path: string, horizon: number, stamp: string, cache: WorkloadCache): readonly GeneratedRequest[] {
  return cache.getOrCreate(`traces|${path}|${stamp}|${horizon}`, () => Object.freeze(readTraceWorkload(path, horizon)));
}
