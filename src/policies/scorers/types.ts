import type { SimRequest } from '../../types.js';
import type { RoutingContext } from '../routing/types.js';
import type { RouterState } from '../router-state.js';

export interface Scorer {
  /** Writes one raw score per instance into `out` (clamped to [0,1] by the caller). */
  score(req: SimRequest, state: RouterState, out: Float64Array): void;
  /** Called once per routing decision with the chosen instance (stateful scorers only). */
  observe?(req: SimRequest, target: number): void;
}

export type ScorerFactory = (ctx: RoutingContext) => Scorer;
