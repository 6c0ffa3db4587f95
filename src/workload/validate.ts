// Spec validation, in the reference's order and with its messages (docs/spec-notes.md, Validation).
import { ServesimError } from '../errors.js';
import { formatGoFloatF } from '../go/fmt.js';
import { quoteText } from '../show-value.js';
import {
  VALID_ARRIVAL_PROCESSES,
  VALID_CATEGORIES,
  VALID_DISTRIBUTION_TYPES,
  VALID_SLO_CLASSES,
  type ClientSpec,
  type DistSpec,
  type WorkloadSpec,
} from './spec.js';

export const INVALID_SPEC_PREFIX = 'Invalid workload spec: ';

const WEIBULL_CV_MIN = 0.01;
const WEIBULL_CV_MAX = 10.4;

function distProblem(field: string, dist: DistSpec): string | undefined {
  if (!VALID_DISTRIBUTION_TYPES.includes(dist.type)) {
    return `${field}: unknown distribution type ${quoteText(dist.type)}; valid: ${VALID_DISTRIBUTION_TYPES.join(', ')}`;
  }
  for (const [name, value] of Object.entries(dist.params)) {
    if (!Number.isFinite(value)) return `${field}.params.${name} must be a finite number, got ${formatGoFloatF(value)}`;
  }
  return undefined;
}

function clientProblem(client: ClientSpec, index: number): string | undefined {
  const label = `client[${index}]`;
  if (!VALID_SLO_CLASSES.includes(client.sloClass)) {
    return `unknown slo_class ${quoteText(client.sloClass)}; valid: critical, standard, sheddable, batch, background, or empty`;
  }
  // `!(x > 0)` also rejects NaN, which the reference would let through into the rate arithmetic.
  if (!(client.rateFraction > 0)) return `rate_fraction must be positive, got ${formatGoFloatF(client.rateFraction)}`;
  const { process, cv } = client.arrival;
  if (!VALID_ARRIVAL_PROCESSES.includes(process)) {
    return `unknown arrival process ${quoteText(process)}; valid: ${VALID_ARRIVAL_PROCESSES.join(', ')}`;
  }
  if (process === 'weibull' && cv !== undefined && (cv < WEIBULL_CV_MIN || cv > WEIBULL_CV_MAX)) {
    return `weibull CV must be in [${WEIBULL_CV_MIN}, ${WEIBULL_CV_MAX}], got ${formatGoFloatF(cv)}`;
  }
  if (cv !== undefined) {
    if (!Number.isFinite(cv)) return `${label}.cv must be a finite number, got ${formatGoFloatF(cv)}`;
    if (cv <= 0) return `${label}.cv must be positive, got ${formatGoFloatF(cv)}`;
  }
  if (client.prefixLength < 0) return `prefix_length must be non-negative, got ${client.prefixLength}`;
  return (
    distProblem(`${label}.input_distribution`, client.inputDistribution) ??
    distProblem(`${label}.output_distribution`, client.outputDistribution)
  );
}

/** The first problem the reference would report, without the `Invalid workload spec: ` prefix; undefined if valid. */
export function findWorkloadSpecProblem(spec: WorkloadSpec): string | undefined {
  if (!VALID_CATEGORIES.includes(spec.category)) {
    return `unknown category ${quoteText(spec.category)}; valid: language, multimodal, reasoning`;
  }
  if (!(spec.aggregateRate > 0)) return `aggregate_rate must be positive, got ${formatGoFloatF(spec.aggregateRate)}`;
  if (spec.clients.length === 0 && spec.servegenData === undefined) {
    return 'at least one client or servegen_data path required';
  }
  for (let i = 0; i < spec.clients.length; i++) {
    const problem = clientProblem(spec.clients[i]!, i);
    if (problem !== undefined) return `client[${i}]: ${problem}`;
  }
  return undefined;
}

/** Throws `Invalid workload spec: <msg>` (ServesimError) for the first problem found. */
export function validateWorkloadSpec(spec: WorkloadSpec): void {
  const problem = findWorkloadSpecProblem(spec);
  if (problem !== undefined) throw new ServesimError(INVALID_SPEC_PREFIX + problem);
}
