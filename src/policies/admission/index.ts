import type { PolicyConfig } from '../../types.js';
import { lookup, sortedNames } from '../registry.js';
import { createAlwaysAdmit } from './always-admit.js';
import { createRejectAll } from './reject-all.js';
import { createSloGated } from './slo-gated.js';
import { createTokenBucket } from './token-bucket.js';
import type { AdmissionPolicy, AdmissionPolicyFactory } from './types.js';

export type { AdmissionPolicy, AdmissionPolicyFactory } from './types.js';

export const admissionPolicies: Readonly<Record<string, AdmissionPolicyFactory>> = {
  'always-admit': createAlwaysAdmit,
  'token-bucket': createTokenBucket,
  'reject-all': createRejectAll,
  'slo-gated': createSloGated,
};

export const admissionPolicyNames = sortedNames(admissionPolicies);

export function createAdmissionPolicy(config: PolicyConfig['admission']): AdmissionPolicy {
  return lookup('admission policy', admissionPolicies, config.policy, 'always-admit')(config);
}
