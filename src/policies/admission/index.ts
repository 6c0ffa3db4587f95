import { alwaysAdmit } from './always-admit.js';
import { rejectAll } from './reject-all.js';
import { sloGated } from './slo-gated.js';
import { tieredLoadShed } from './tiered-load-shed.js';
import { tokenBucket } from './token-bucket.js';

export const admissionModules = [alwaysAdmit, tokenBucket, rejectAll, sloGated, tieredLoadShed] as const;
