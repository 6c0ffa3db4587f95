import { constantPriority } from './constant.js';
import { invertedSloPriority } from './inverted-slo.js';
import { loadAdaptivePriority } from './load-adaptive.js';
import { sloBasedPriority } from './slo-based.js';
import { sloTieredPriority } from './slo-tiered.js';

export const priorityModules = [constantPriority, sloBasedPriority, invertedSloPriority, sloTieredPriority, loadAdaptivePriority] as const;
