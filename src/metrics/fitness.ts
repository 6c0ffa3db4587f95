// Fitness evaluation (docs/spec-notes.md, Fitness). `run` validates the weights before simulating
// (validateFitnessWeights); the reference failed only after printing (docs/reference-quirks.md, quirk 32).
import { parseGoFloat64 } from '../go/parse.js';
import { ServesimError } from '../errors.js';
import type { SimResult } from '../types.js';
import { meanTicks, percentileTicks } from './stats.js';

export const FITNESS_KEYS = [
  'mean_e2e',
  'mean_ttft',
  'p50_e2e',
  'p50_ttft',
  'p99_e2e',
  'p99_ttft',
  'throughput',
  'tokens_per_sec',
] as const;

export interface FitnessResult {
  score: number;
  /** Component value per requested key, keys sorted ascending. */
  components: Array<[string, number]>;
}

/** `key:value,…`; later duplicates overwrite. Throws ServesimError on malformed input. */
export function parseFitnessWeights(text: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const rawPart of text.split(',')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const colon = part.indexOf(':');
    if (colon < 0) {
      throw new ServesimError(`Invalid fitness weights: invalid fitness weight "${part}" (expected key:value)`);
    }
    const key = part.slice(0, colon).trim();
    const valueText = part.slice(colon + 1).trim();
    const value = parseGoFloat64(valueText);
    if (value === undefined || !Number.isFinite(value) || value < 0) {
      throw new ServesimError(
        `Invalid fitness weights: weight for "${key}" must be a finite non-negative number, got "${valueText}"`,
      );
    }
    weights.set(key, value);
  }
  return weights;
}

/** Parses and checks every key, so a bad --fitness-weights fails before the simulation, not after it. */
export function validateFitnessWeights(text: string): void {
  for (const key of parseFitnessWeights(text).keys()) {
    if (!(FITNESS_KEYS as readonly string[]).includes(key)) throw unknownFitnessKey(key);
  }
}

function unknownFitnessKey(key: string): ServesimError {
  return new ServesimError(`Fitness evaluation failed: unknown fitness metric key "${key}"; valid keys: ${FITNESS_KEYS.join(', ')}`);
}

function latencyComponent(ticks: number): number {
  return 1 / (1 + ticks / 1000);
}

export function evaluateFitness(result: SimResult, weights: ReadonlyMap<string, number>): FitnessResult {
  const raw = result.raw;
  const active = raw.simEndedTicks > 0 && raw.completed > 0;
  const durationS = raw.simEndedTicks / 1e6;
  const rps = active ? raw.completed / durationS : 0;
  const tps = active ? raw.totalOutputTokens / durationS : 0;
  const keys = [...weights.keys()].sort();
  const components: Array<[string, number]> = [];
  let score = 0;
  for (const key of keys) {
    let value: number;
    switch (key) {
      case 'throughput':
        value = rps / (rps + 100);
        break;
      case 'tokens_per_sec':
        value = tps / (tps + 10000);
        break;
      case 'p99_ttft':
        value = latencyComponent(percentileTicks(raw.ttftTicks, 99));
        break;
      case 'p50_ttft':
        value = latencyComponent(percentileTicks(raw.ttftTicks, 50));
        break;
      case 'mean_ttft':
        value = latencyComponent(meanTicks(raw.ttftTicks));
        break;
      case 'p99_e2e':
        value = latencyComponent(percentileTicks(raw.e2eTicks, 99));
        break;
      case 'p50_e2e':
        value = latencyComponent(percentileTicks(raw.e2eTicks, 50));
        break;
      case 'mean_e2e':
        value = latencyComponent(meanTicks(raw.e2eTicks));
        break;
      default:
        throw unknownFitnessKey(key);
    }
    components.push([key, value]);
    score += value * weights.get(key)!;
  }
  return { score, components };
}
