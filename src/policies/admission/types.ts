import type { PolicyConfig, SimRequest } from '../../types.js';
import type { RouterState } from '../router-state.js';

export interface AdmissionPolicy {
  /** True = admit. Called once per AdmissionDecisionEvent with live (or stale) snapshots. */
  admit(req: SimRequest, state: RouterState): boolean;
  /** True when `admit` never reads `state` (the snapshot then need not be refreshed for it). */
  readonly ignoresState?: boolean;
}

export type AdmissionPolicyFactory = (config: PolicyConfig['admission']) => AdmissionPolicy;
