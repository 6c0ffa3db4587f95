// Workload generation: spec v2 files, the legacy generator and presets, and CSV traces.
export type {
  ArrivalSpec,
  ClientSpec,
  DistSpec,
  InferencePerfSpec,
  LifecycleWindow,
  MultiTurnSpec,
  MultimodalSpec,
  ReasoningSpec,
  WorkloadSpec,
} from './spec.js';
export { loadWorkloadSpec, parseWorkloadSpecText, upgradeV1Spec, type LoadWorkloadSpecOptions } from './load-spec.js';
export { findWorkloadSpecProblem, validateWorkloadSpec } from './validate.js';
export {
  generateSpecWorkload,
  resolveSpecGenerationOptions,
  type SpecGenerationOptions,
  type SpecGenerationOverrides,
} from './generate-spec.js';
export { expandInferencePerf } from './inference-perf.js';
export {
  DISTRIBUTION_FLAG_DEFAULTS,
  LEGACY_PRESET_NAMES,
  generateLegacyWorkload,
  legacyPreset,
  validateLegacyWorkloadParams,
  type LegacyLengthSettings,
  type LegacyPresetName,
  type LegacyWorkloadParams,
  type LengthParams,
} from './legacy.js';
export { readTraceWorkload } from './traces.js';
