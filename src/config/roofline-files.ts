// Roofline inputs (docs/spec-notes.md, Roofline): the HuggingFace config.json of the model and the hardware JSON.

import { readFileSync } from 'node:fs';
import { ServesimError } from '../errors.js';
import { describeFsError } from '../fs/atomic.js';
import type { RooflineHardwareParams, RooflineModelParams } from '../types.js';
import { quoteText } from '../show-value.js';

type Raw = Record<string, unknown>;

function readJsonObject(path: string, what: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ServesimError(`Failed to load ${what}: open ${path}: ${describeFsError(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ServesimError(`Failed to load ${what}: ${path}: not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ServesimError(`Failed to load ${what}: ${path}: expected a JSON object`);
  }
  return value as Raw;
}

function positiveNumber(value: unknown): number {
  return typeof value === 'number' && value > 0 ? value : 0;
}

const BYTES_PER_PARAM: Readonly<Record<string, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int8: 1,
  uint8: 1,
  fp8: 1,
  int4: 1,
  nf4: 1,
};

/** Parses config.json; `text_config` keys override top-level ones (multimodal configs nest the LLM there). */
export function loadRooflineModelParams(configPath: string): RooflineModelParams {
  const top = readJsonObject(configPath, 'model config');
  const textConfig = top.text_config !== null && typeof top.text_config === 'object' ? (top.text_config as Raw) : {};
  const config: Raw = { ...top, ...textConfig };
  const numLayers = positiveNumber(config.num_hidden_layers);
  const hiddenSize = positiveNumber(config.hidden_size);
  const numHeads = positiveNumber(config.num_attention_heads);
  const numKvHeads =
    positiveNumber(config.num_key_value_heads) || positiveNumber(config.num_kv_heads) || positiveNumber(config.multi_query_group_num) || numHeads;
  const intermediateSize = positiveNumber(config.intermediate_size) || positiveNumber(config.ffn_hidden_size) || 4 * hiddenSize;
  const dtype = typeof config.torch_dtype === 'string' ? config.torch_dtype : typeof config.dtype === 'string' ? config.dtype : '';
  const bytesPerParam = BYTES_PER_PARAM[dtype.toLowerCase()] ?? 0;

  const params: RooflineModelParams = { numLayers, hiddenSize, numHeads, numKvHeads, intermediateSize, bytesPerParam };
  const missing = (['numLayers', 'hiddenSize', 'numHeads'] as const).filter((key) => params[key] <= 0);
  if (missing.length > 0) {
    const keys = { numLayers: 'num_hidden_layers', hiddenSize: 'hidden_size', numHeads: 'num_attention_heads' };
    throw new ServesimError(`Invalid model config ${configPath}: ${missing.map((k) => keys[k]).join(', ')} must be a positive number`);
  }
  if (bytesPerParam <= 0) {
    throw new ServesimError(
      `Invalid model config ${configPath}: unsupported torch_dtype ${quoteText(dtype)}; ` +
        `valid: ${Object.keys(BYTES_PER_PARAM).join(', ')}`,
    );
  }
  return params;
}

const HARDWARE_KEYS = [
  'TFlopsPeak',
  'BwPeakTBs',
  'BwEffConstant',
  'TOverheadMicros',
  'perLayerOverhead',
  'mfuPrefill',
  'mfuDecode',
  'allReduceLatency',
] as const satisfies ReadonlyArray<keyof RooflineHardwareParams>;

/** Keys that divide the step time and therefore must be positive; the overhead terms may be 0. */
const POSITIVE_HARDWARE_KEYS: ReadonlySet<string> = new Set(['TFlopsPeak', 'BwPeakTBs', 'BwEffConstant', 'mfuPrefill', 'mfuDecode']);

export function loadRooflineHardwareParams(hardwarePath: string, gpu: string): RooflineHardwareParams {
  const all = readJsonObject(hardwarePath, 'hardware config');
  const entry = Object.prototype.hasOwnProperty.call(all, gpu) ? all[gpu] : undefined;
  if (entry === null || typeof entry !== 'object') {
    throw new ServesimError(
      `Failed to load hardware config: GPU ${quoteText(gpu)} not found in ${hardwarePath}; available: ${Object.keys(all).join(', ')}`,
    );
  }
  const raw = entry as Raw;
  const params = {} as RooflineHardwareParams;
  for (const key of HARDWARE_KEYS) {
    const value = raw[key] ?? 0;
    const valid = typeof value === 'number' && Number.isFinite(value) && (POSITIVE_HARDWARE_KEYS.has(key) ? value > 0 : value >= 0);
    if (!valid) {
      throw new ServesimError(
        `Invalid hardware config ${hardwarePath} for ${gpu}: ${key} must be a ${POSITIVE_HARDWARE_KEYS.has(key) ? 'positive' : 'non-negative'} number, got ${JSON.stringify(value)}`,
      );
    }
    params[key] = value;
  }
  return params;
}
