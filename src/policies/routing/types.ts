import type { PolicyConfig, SimRequest } from '../../types.js';
import type { RouterState } from '../router-state.js';

export interface RoutingContext {
  readonly config: PolicyConfig['routing'];
  readonly numInstances: number;
  readonly blockSize: number;
  /**
   * Collision-free identities of the prompt's block-aligned prefixes (one per full block). They stand in for the
   * reference's hierarchical SHA-256 block hashes: only equality matters.
   */
  prefixIds(req: SimRequest): Int32Array;
  /** Identity of the whole block-aligned prompt (last block), or of the whole prompt if shorter than one block. */
  affinityKey(req: SimRequest): number;
}

export interface RoutingPolicy {
  /** Returns the target instance index. */
  route(req: SimRequest, state: RouterState): number;
  /** Per-instance composite scores of the last decision when the policy scores instances (weighted), else null. */
  readonly lastScores: Float64Array | null;
}

export type RoutingPolicyFactory = (ctx: RoutingContext) => RoutingPolicy;
