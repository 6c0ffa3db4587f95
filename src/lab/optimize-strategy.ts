// `optimize`'s entry: every point on every seed (optimize.ts), or proposals raced seed by seed when the strategy
// says `seed_allocation: racing` (seed-racing.ts). Both build on optimize.ts, so the choice lives here.
import { ServesimError } from '../errors.js';
import { isVectorRun, optimizeEverySeed, validateSettings, type OptimizeDependencies, type OptimizeResult } from './optimize.js';
import type { OptimizeSettings } from './optimizers.js';
import { optimizeWithSeedRacing } from './seed-racing.js';
import type { Strategy } from './strategy.js';

export function optimizeStrategy(strategy: Strategy, settings: OptimizeSettings, deps: OptimizeDependencies): Promise<OptimizeResult> {
  if (strategy.seedAllocation !== 'racing') return optimizeEverySeed(strategy, settings, deps);
  if (isVectorRun(strategy)) {
    throw new ServesimError(`strategy ${strategy.file}: seed_allocation: racing works on one scored objective; this strategy has several objectives or hard constraints`);
  }
  return optimizeWithSeedRacing(strategy, settings, deps, validateSettings(strategy, settings));
}
