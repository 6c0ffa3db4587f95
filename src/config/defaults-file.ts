// The coefficient/preset file (`defaults.yaml`; docs/spec-notes.md, Coefficient resolution and Legacy generator and
// presets): loading (with a per-path cache and a build-time JSON precompilation of the shipped file) and lookups.

import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ServesimError } from '../errors.js';
import { describeFsError } from '../fs/atomic.js';
import type { LegacyLengthSettings, LengthParams } from '../workload/legacy.js';
import { loadYamlModule } from './lazy-modules.js';

/** Per-model defaults (`defaults[<model>]`). */
export interface ModelDefaults {
  gpu: string;
  tensorParallelism: number;
  vllmVersion: string;
}

/** One `models[]` row. */
export interface CoefficientRow {
  id: string;
  gpu: string;
  tensorParallelism: number;
  vllmVersion: string;
  alphaCoeffs: readonly number[];
  betaCoeffs: readonly number[];
  totalKvBlocks: number;
}

export interface DefaultsFile {
  path: string;
  modelDefaults: ReadonlyMap<string, ModelDefaults>;
  rows: readonly CoefficientRow[];
  /** Legacy-generator presets (`workloads[<name>]`); missing keys are 0 as in Go. */
  workloads: ReadonlyMap<string, LegacyLengthSettings>;
}

/** The shipped file; `../../data` is the package's data folder from both src/cli and dist/cli. */
export const SHIPPED_DEFAULTS_PATH = fileURLToPath(new URL('../../data/defaults.yaml', import.meta.url));
/** Written by scripts/precompile-data.mjs next to the compiled CLI (dist/data/defaults.json). */
const PRECOMPILED_DEFAULTS_URL = new URL('../data/defaults.json', import.meta.url);

interface PrecompiledDefaults {
  /** The YAML text it was compiled from (an exact comparison is cheaper than loading node:crypto to hash it). */
  source: string;
  document: unknown;
}

type Raw = Record<string, unknown>;

function asRecord(value: unknown): Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
}
function asString(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}
function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
function asNumbers(value: unknown): number[] {
  return Array.isArray(value) ? value.map(asNumber) : [];
}

function interpret(path: string, document: unknown): DefaultsFile {
  const root = asRecord(document);
  const modelDefaults = new Map<string, ModelDefaults>();
  for (const [model, entry] of Object.entries(asRecord(root.defaults))) {
    const e = asRecord(entry);
    modelDefaults.set(model, {
      gpu: asString(e.GPU),
      tensorParallelism: asNumber(e.tensor_parallelism),
      vllmVersion: asString(e.vllm_version),
    });
  }
  const rows = (Array.isArray(root.models) ? root.models : []).map((entry): CoefficientRow => {
    const e = asRecord(entry);
    return {
      id: asString(e.id),
      gpu: asString(e.GPU),
      tensorParallelism: asNumber(e.tensor_parallelism),
      vllmVersion: asString(e.vllm_version),
      alphaCoeffs: asNumbers(e.alpha_coeffs),
      betaCoeffs: asNumbers(e.beta_coeffs),
      totalKvBlocks: asNumber(e.total_kv_blocks),
    };
  });
  const workloads = new Map<string, LegacyLengthSettings>();
  for (const [name, entry] of Object.entries(asRecord(root.workloads))) {
    const e = asRecord(entry);
    const lengths = (key: 'prompt_tokens' | 'output_tokens'): LengthParams => ({
      mean: asNumber(e[key]),
      stdev: asNumber(e[`${key}_stdev`]),
      min: asNumber(e[`${key}_min`]),
      max: asNumber(e[`${key}_max`]),
    });
    workloads.set(name, {
      prefixTokens: asNumber(e.prefix_tokens),
      prompt: lengths('prompt_tokens'),
      output: lengths('output_tokens'),
    });
  }
  return { path, modelDefaults, rows, workloads };
}

function readPrecompiled(sourceText: string): unknown {
  let precompiled: PrecompiledDefaults;
  try {
    precompiled = JSON.parse(readFileSync(PRECOMPILED_DEFAULTS_URL, 'utf8')) as PrecompiledDefaults;
  } catch {
    return undefined; // not built (running from src/) — parse the YAML instead
  }
  // A stale precompilation (data edited after the build) must not be used.
  return precompiled.source === sourceText ? precompiled.document : undefined;
}

export function parseDefaultsYaml(text: string, path: string): unknown {
  try {
    return loadYamlModule().parse(text);
  } catch (error) {
    throw new ServesimError(`Failed to parse defaults file ${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  value: DefaultsFile;
}

/** Parsed defaults files by absolute path, revalidated by mtime and size (a stat is ~µs, a YAML parse ~100 ms). */
export class DefaultsFileCache {
  private readonly entries = new Map<string, CacheEntry>();

  load(absolutePath: string): DefaultsFile {
    let stat;
    try {
      stat = statSync(absolutePath);
    } catch (error) {
      throw new ServesimError(`Failed to read defaults file: open ${absolutePath}: ${describeFsError(error)}`);
    }
    if (stat.isDirectory()) throw new ServesimError(`Failed to read defaults file: ${absolutePath} is a directory, expected a YAML file`);
    const cached = this.entries.get(absolutePath);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.value;
    let text: string;
    try {
      text = readFileSync(absolutePath, 'utf8');
    } catch (error) {
      throw new ServesimError(`Failed to read defaults file: ${absolutePath}: ${describeFsError(error)}`);
    }
    const document =
      (absolutePath === SHIPPED_DEFAULTS_PATH ? readPrecompiled(text) : undefined) ?? parseDefaultsYaml(text, absolutePath);
    const value = interpret(absolutePath, document);
    this.entries.set(absolutePath, { mtimeMs: stat.mtimeMs, size: stat.size, value });
    return value;
  }
}

/** First row with exactly matching (model, tp, GPU, vLLM version), as the reference's GetCoefficients. */
export function lookupCoefficients(
  file: DefaultsFile,
  model: string,
  tp: number,
  gpu: string,
  vllmVersion: string,
): CoefficientRow | undefined {
  return file.rows.find((r) => r.id === model && r.tensorParallelism === tp && r.gpu === gpu && r.vllmVersion === vllmVersion);
}
