import type { AdmissionPolicyFactory } from './types.js';

export const createAlwaysAdmit: AdmissionPolicyFactory = () => ({ admit: () => true, ignoresState: true });
