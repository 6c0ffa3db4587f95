// Public library API.
export { simulate, type SimulateOptions } from './cluster/simulate.js';
export type { StepObservation } from './instance/instance.js';
export { renderRunOutput, type RenderOptions } from './metrics/output.js';
export { writeResultsFile, resultsFileJson } from './metrics/results-file.js';
export { formatFixed, formatJsonFloat } from './metrics/format.js';
export {
  admissionPolicyNames,
  routingPolicyNames,
  priorityPolicyNames,
  schedulerNames,
  scorerNames,
} from './policies/index.js';
export { ServesimError } from './errors.js';
export type * from './types.js';
