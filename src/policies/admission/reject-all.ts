import type { AdmissionPolicyFactory } from './types.js';

export const createRejectAll: AdmissionPolicyFactory = () => ({ admit: () => false, ignoresState: true });
