// Which latency model a run uses and with which coefficients: explicit coefficients, the defaults-file row for
// (model, GPU, TP, vLLM version), explicit or implicit roofline mode — in the reference's order and with its
// fatal messages.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import type { LatencyConfig } from '../types.js';
import { lookupCoefficients, type DefaultsFile } from './defaults-file.js';
import { loadRooflineHardwareParams, loadRooflineModelParams } from './roofline-files.js';
import type { RunFlags } from './run-flags.js';
import { quoteText } from '../show-value.js';

export interface LatencyResolution {
  latency: LatencyConfig;
  totalKvBlocks: number;
}

export interface LatencyInputs {
  flags: RunFlags;
  /** Lower-cased model name. */
  model: string;
  given: (flag: string) => boolean;
  cwd: string;
  loadDefaults: () => DefaultsFile;
  defaultsPath: string;
}

/** Mutable state of the resolution as its steps refine it. */
interface Draft {
  alpha: readonly number[];
  beta: readonly number[];
  totalKvBlocks: number;
  gpu: string;
  tp: number;
  vllmVersion: string;
  roofline: boolean;
  modelConfigPath: string;
  hardwarePath: string;
  /** Set when the coefficient lookup found no row: why, in words, for the error that follows. */
  missingRow?: string;
}

function fail(message: string): never {
  throw new ServesimError(message);
}

const allZeros = (values: readonly number[]): boolean => values.every((v) => v === 0);

/** Step 2: --roofline given explicitly. */
function explicitRoofline(d: Draft, input: LatencyInputs): void {
  const { flags: f, model, cwd } = input;
  if (d.gpu === '') fail('--roofline requires --hardware (GPU type)');
  if (d.tp <= 0) fail('--roofline requires --tp > 0');
  const defaultsDir = dirname(input.defaultsPath);
  if (f.modelConfigFolder !== '') {
    d.modelConfigPath = join(resolve(cwd, f.modelConfigFolder), 'config.json');
  } else {
    d.modelConfigPath = join(defaultsDir, 'model_configs', model, 'config.json');
    if (!existsSync(d.modelConfigPath)) {
      fail(
        `--roofline: no config.json for model=${model} (looked in ${dirname(d.modelConfigPath)}); ` +
          'pass --model-config-folder (downloading from HuggingFace is not supported)',
      );
    }
  }
  d.hardwarePath = f.hardwareConfig !== '' ? resolve(cwd, f.hardwareConfig) : join(defaultsDir, 'hardware_config.json');
  if (!existsSync(input.defaultsPath)) return;
  const file = input.loadDefaults();
  // The version default applies here too: the v0.8.4 alpha row is used without --vllm-version.
  if (d.vllmVersion === '') d.vllmVersion = file.modelDefaults.get(model)?.vllmVersion ?? '';
  const row = lookupCoefficients(file, model, d.tp, d.gpu, d.vllmVersion);
  if (allZeros(d.alpha)) d.alpha = row?.alphaCoeffs ?? [];
  if (!input.given('total-kv-blocks') && row !== undefined && row.totalKvBlocks > 0) d.totalKvBlocks = row.totalKvBlocks;
}

/** Step 3: coefficient lookup when no coefficients and no roofline files were given. */
function lookupRow(d: Draft, input: LatencyInputs): void {
  const file = input.loadDefaults();
  const defaults = file.modelDefaults.get(input.model);
  if (defaults !== undefined) {
    if (d.tp === 0) d.tp = defaults.tensorParallelism;
    if (d.gpu === '') d.gpu = defaults.gpu;
    if (d.vllmVersion === '') d.vllmVersion = defaults.vllmVersion;
  }
  const row = lookupCoefficients(file, input.model, d.tp, d.gpu, d.vllmVersion);
  if (row === undefined) d.missingRow = describeMissingRow(file, input.model, d);
  d.alpha = row?.alphaCoeffs ?? [];
  d.beta = row?.betaCoeffs ?? [];
  // A missing row yields 0 blocks (fatal later) unless the flag was given.
  if (!input.given('total-kv-blocks')) d.totalKvBlocks = row?.totalKvBlocks ?? 0;
}

/** Implicit roofline when both roofline files and GPU/TP are given, or the reference's "provide config" fatals. */
function implicitRoofline(d: Draft, input: LatencyInputs): void {
  const { flags: f, model, cwd } = input;
  if (f.modelConfigFolder !== '' && f.hardwareConfig !== '' && d.gpu !== '' && d.tp > 0) {
    d.roofline = true;
    d.modelConfigPath = join(resolve(cwd, f.modelConfigFolder), 'config.json');
    d.hardwarePath = resolve(cwd, f.hardwareConfig);
  } else if (f.modelConfigFolder === '') {
    // The reference's message names the roofline folder even when the model or GPU was simply mistyped.
    fail(
      d.missingRow !== undefined
        ? `${d.missingRow}; pass --alpha-coeffs and --beta-coeffs, or roofline inputs (--model-config-folder, --hardware-config, --hardware, --tp)`
        : `Please provide model config folder containing config.json for model=${model}`,
    );
  } else if (f.hardwareConfig === '') {
    fail(`Please provide hardware config path (e.g. hardware_config.json) for model=${model}`);
  } else {
    fail(`Roofline mode needs --hardware (GPU type) and --tp > 0 for model=${model}`);
  }
}

/** Why no coefficient row matched: an unknown model, or which of GPU / TP / vLLM version has no row. */
function describeMissingRow(file: DefaultsFile, model: string, d: Draft): string {
  const modelRows = file.rows.filter((r) => r.id === model);
  if (file.rows.length === 0) return `${file.path} holds no coefficient rows (no "models:" list): is it a defaults file?`;
  if (modelRows.length === 0) {
    const known = [...new Set(file.rows.map((r) => r.id))].sort();
    const shown = known.slice(0, 8).join(', ') + (known.length > 8 ? `, … (${known.length} models)` : '');
    return `unknown model ${quoteText(model)}: ${file.path} has no coefficients for it (known: ${shown})`;
  }
  const rows = modelRows.map((r) => `${r.gpu}/TP${r.tensorParallelism}/${r.vllmVersion}`).join(', ');
  return (
    `no coefficients for model=${model} on GPU=${d.gpu || '(none)'}, TP=${d.tp}, vLLM ${d.vllmVersion || '(none)'} in ${file.path} ` +
    `(rows for this model, GPU/TP/vLLM: ${rows})`
  );
}

export function resolveLatency(input: LatencyInputs): LatencyResolution {
  const f = input.flags;
  const d: Draft = {
    alpha: f.alphaCoeffs,
    beta: f.betaCoeffs,
    totalKvBlocks: f.totalKvBlocks,
    gpu: f.hardware,
    tp: f.tp,
    vllmVersion: f.vllmVersion,
    roofline: f.roofline,
    modelConfigPath: '',
    hardwarePath: '',
  };
  if (d.roofline) explicitRoofline(d, input);
  if (allZeros(d.alpha) && allZeros(d.beta) && f.modelConfigFolder === '' && f.hardwareConfig === '') lookupRow(d, input);
  if (allZeros(d.alpha) && allZeros(d.beta) && !d.roofline) implicitRoofline(d, input);
  if (!d.roofline) return { latency: { kind: 'blackbox', alpha: d.alpha, beta: d.beta }, totalKvBlocks: d.totalKvBlocks };
  return {
    latency: {
      kind: 'roofline',
      alpha: d.alpha,
      tp: d.tp,
      model: loadRooflineModelParams(d.modelConfigPath),
      hardware: loadRooflineHardwareParams(d.hardwarePath, d.gpu),
    },
    totalKvBlocks: d.totalKvBlocks,
  };
}
