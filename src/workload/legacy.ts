// Legacy generator: `--workload distribution` and the presets (docs/spec-notes.md, Legacy generator and presets).
import { ServesimError } from '../errors.js';
import { GoRand, goRound, type Int64Seed } from '../rng/index.js';
import type { GeneratedRequest } from '../types.js';
import { unlabelledRequest } from './unlabelled-request.js';
import { goInt64 } from './samplers.js';

/** Larger lengths would make the reference allocate gigabytes (or panic); we refuse them instead. */
const MAX_TOKENS_PER_REQUEST = 1 << 28;

export interface LengthParams {
  mean: number;
  stdev: number;
  min: number;
  max: number;
}

/** Token-length parameters of a preset (or of the `distribution` flags). */
export interface LegacyLengthSettings {
  prefixTokens: number;
  prompt: LengthParams;
  output: LengthParams;
}

export interface LegacyWorkloadParams extends LegacyLengthSettings {
  /** The master seed (`--seed`); the legacy stream uses it unchanged. */
  seed: Int64Seed;
  /** requests per second */
  rate: number;
  numRequests: number;
  /** Ticks; `Infinity` = unbounded. */
  horizon: number;
  /** True for `--workload distribution` (mean and stdev must lie in [min, max]); presets skip that check. */
  checkLengthRanges: boolean;
}

export const LEGACY_PRESET_NAMES = ['chatbot', 'summarization', 'contentgen', 'multidoc'] as const;
export type LegacyPresetName = (typeof LEGACY_PRESET_NAMES)[number];

/** Defaults of the `--prefix-tokens`, `--prompt-tokens*` and `--output-tokens*` flags. */
export const DISTRIBUTION_FLAG_DEFAULTS: LegacyLengthSettings = {
  prefixTokens: 0,
  prompt: { mean: 512, stdev: 256, min: 2, max: 7000 },
  output: { mean: 512, stdev: 256, min: 2, max: 7000 },
};

/** Looks up a preset by `--workload` name; unknown names get the reference's message. */
export function legacyPreset(name: string, presets: ReadonlyMap<string, LegacyLengthSettings>): LegacyLengthSettings {
  const preset = (LEGACY_PRESET_NAMES as readonly string[]).includes(name) ? presets.get(name) : undefined;
  if (!preset) {
    if ((LEGACY_PRESET_NAMES as readonly string[]).includes(name)) {
      throw new ServesimError(`Workload preset "${name}" is missing from the defaults file's workloads section`);
    }
    throw new ServesimError('Undefined workload. Use one among (chatbot, summarization, contentgen, multidoc)');
  }
  return preset;
}

function checkRange(what: 'prompt' | 'output', p: LengthParams): void {
  if (p.mean < p.min || p.mean > p.max || p.stdev < p.min || p.stdev > p.max) {
    throw new ServesimError(
      `${what}-tokens and ${what}-tokens-stdev should be in range [${what}-tokens-min, ${what}-tokens-max]`,
    );
  }
}

function checkInteger(value: number, flag: string): void {
  if (!Number.isSafeInteger(value)) throw new ServesimError(`${flag} must be an integer, got ${value}`);
}

/**
 * The reference's validation (rate > 0; length ranges: docs/reference-quirks.md, quirk 36), then the flags' own
 * sanity (integers, non-negative prefix).
 */
export function validateLegacyWorkloadParams(params: LegacyWorkloadParams): void {
  if (!Number.isFinite(params.rate) || params.rate <= 0) {
    throw new ServesimError(`--rate must be a finite number > 0, got ${params.rate}`);
  }
  if (params.checkLengthRanges) {
    checkRange('prompt', params.prompt);
    checkRange('output', params.output);
  }
  checkInteger(params.numRequests, '--num-requests');
  checkInteger(params.prefixTokens, '--prefix-tokens');
  if (params.prefixTokens < 0) throw new ServesimError(`--prefix-tokens must be >= 0, got ${params.prefixTokens}`);
  for (const what of ['prompt', 'output'] as const) {
    const p = params[what];
    checkInteger(p.mean, `--${what}-tokens`);
    checkInteger(p.stdev, `--${what}-tokens-stdev`);
    checkInteger(p.min, `--${what}-tokens-min`);
    checkInteger(p.max, `--${what}-tokens-max`);
  }
  if (Number.isNaN(params.horizon)) throw new ServesimError('horizon must be a number of ticks or Infinity, got NaN');
}

/** Gaussian length without the "at least 1" floor of the spec samplers. */
function legacyLength(rng: GoRand, p: LengthParams, what: 'prompt' | 'output'): number {
  if (p.min === p.max) return p.min;
  const v = rng.normFloat64() * p.stdev + p.mean;
  const length = goInt64(goRound(Math.min(Math.max(v, p.min), p.max)));
  if (length < 0 || length > MAX_TOKENS_PER_REQUEST) {
    throw new ServesimError(
      `Failed to generate workload: sampled a ${what} length of ${length} tokens; ` +
        `--${what}-tokens-min and --${what}-tokens-max must lie in [0, ${MAX_TOKENS_PER_REQUEST}]`,
    );
  }
  return length;
}

/** Evenly spaced requests starting at t = 0, all drawn from one stream seeded with the master seed. */
export function generateLegacyWorkload(params: LegacyWorkloadParams): GeneratedRequest[] {
  validateLegacyWorkloadParams(params);
  const interval = Math.trunc(1 / (params.rate / 1e6));
  if (!(interval < 2 ** 63)) {
    throw new ServesimError(`--rate ${params.rate} is too small: the inter-arrival time does not fit in int64 ticks`);
  }
  const rng = new GoRand(params.seed);
  const prefix = new Int32Array(params.prefixTokens);
  rng.fillTokens(prefix, 0, prefix.length);
  const requests: GeneratedRequest[] = [];
  let t = 0;
  for (let k = 0; t < params.horizon && k < params.numRequests; k++) {
    const promptLength = legacyLength(rng, params.prompt, 'prompt');
    const input = new Int32Array(prefix.length + promptLength);
    input.set(prefix);
    rng.fillTokens(input, prefix.length, promptLength);
    const outputLength = legacyLength(rng, params.output, 'output');
    const output = new Int32Array(outputLength);
    rng.fillTokens(output, 0, outputLength);
    requests.push(unlabelledRequest(`request_${k}`, t, input, output));
    t += interval;
    if (t > params.horizon) break;
  }
  return requests;
}
