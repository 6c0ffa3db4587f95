// The stdout text of a run (docs/spec-notes.md, Metrics), byte-compatible with the reference (units, rounding and
// which blocks appear: docs/reference-quirks.md, quirks 13 and 30).
import type { MetricsBlock, SimResult } from '../types.js';
import { evaluateFitness, parseFitnessWeights } from './fitness.js';
import { formatFixed, formatJsonFloat, formatJsonString } from '../go/fmt.js';
import { METRICS_BLOCK_KEYS } from './block-keys.js';

export interface RenderOptions {
  /** Raw `--fitness-weights` text (validated by the configuration layer; library callers may pass unchecked text). */
  fitnessWeights?: string;
  summarizeTrace: boolean;
  traceLevel: string;
}


/**
 * Go `json.MarshalIndent(block, "", "  ")`; `kv_allocation_failures` is omitempty. Returns null when a value is
 * NaN/±Inf, which Go refuses to encode.
 */
export function metricsBlockJson(block: MetricsBlock, extraLines: readonly string[] = []): string | null {
  const lines: string[] = [];
  for (const key of METRICS_BLOCK_KEYS) {
    const value = block[key];
    if (typeof value === 'string') {
      lines.push(`  "${key}": ${formatJsonString(value)}`);
      continue;
    }
    if (key === 'kv_allocation_failures' && value === 0) continue;
    if (!Number.isFinite(value)) return null;
    lines.push(`  "${key}": ${formatJsonFloat(value)}`);
  }
  lines.push(...extraLines);
  return `{\n${lines.join(',\n')}\n}`;
}

/**
 * Writes the run's stdout. Throws ServesimError for a bad `--fitness-weights` (only reachable by library callers:
 * `run` checks the weights first) after the JSON blocks. `writeError` receives stderr diagnostics (unencodable blocks).
 */
export function renderRunOutput(
  result: SimResult,
  options: RenderOptions,
  write: (chunk: string) => void,
  writeError: (line: string) => void = () => {},
): void {
  const blocks = result.instances.length > 1 ? [...result.instances, result.cluster] : [result.cluster];
  for (const block of blocks) {
    if (block.completed_requests <= 0) continue;
    write('=== Simulation Metrics ===\n');
    const json = metricsBlockJson(block);
    if (json === null) {
      writeError(`Error marshalling metrics for ${block.instance_id}: json: unsupported value: +Inf`);
      continue;
    }
    write(json + '\n');
  }

  if (options.fitnessWeights !== undefined && options.fitnessWeights !== '') {
    const fitness = evaluateFitness(result, parseFitnessWeights(options.fitnessWeights));
    let text = '=== Fitness Evaluation ===\n';
    text += `Score: ${formatFixed(fitness.score, 6)}\n`;
    for (const [key, value] of fitness.components) text += `  ${key}: ${formatFixed(value, 6)}\n`;
    write(text);
  }

  const anomalies = result.anomalies;
  if (
    anomalies.priorityInversions > 0 ||
    anomalies.holBlockingEvents > 0 ||
    anomalies.rejectedRequests > 0 ||
    anomalies.droppedUnservable > 0
  ) {
    write(
      '=== Anomaly Counters ===\n' +
        `Priority Inversions: ${anomalies.priorityInversions}\n` +
        `HOL Blocking Events: ${anomalies.holBlockingEvents}\n` +
        `Rejected Requests: ${anomalies.rejectedRequests}\n` +
        `Dropped Unservable: ${anomalies.droppedUnservable}\n`,
    );
  }

  const kv = result.kv;
  if (kv.preemptionRate !== 0 || kv.cacheHitRate !== 0 || kv.thrashingRate !== 0) {
    write(
      '=== KV Cache Metrics ===\n' +
        `Preemption Rate: ${formatFixed(kv.preemptionRate, 4)}\n` +
        `Cache Hit Rate: ${formatFixed(kv.cacheHitRate, 4)}\n` +
        `KV Thrashing Rate: ${formatFixed(kv.thrashingRate, 4)}\n`,
    );
  }

  if (result.perSlo.length >= 2) {
    let text = '=== Per-SLO Metrics ===\n';
    for (const slo of result.perSlo) {
      text += `  ${slo.sloClass}:\n`;
      text += `    TTFT: mean=${formatFixed(slo.ttft.mean, 2)} p99=${formatFixed(slo.ttft.p99, 2)} (n=${slo.ttft.n})\n`;
      text += `    E2E:  mean=${formatFixed(slo.e2e.mean, 2)} p99=${formatFixed(slo.e2e.p99, 2)} (n=${slo.e2e.n})\n`;
    }
    write(text);
  }

  if (options.traceLevel === 'decisions' && options.summarizeTrace && result.trace !== undefined) {
    const trace = result.trace;
    let text = '=== Trace Summary ===\n';
    text += `Total Decisions: ${trace.totalDecisions}\n`;
    text += `  Admitted: ${trace.admitted}\n`;
    text += `  Rejected: ${trace.rejected}\n`;
    text += `Unique Targets: ${trace.uniqueTargets}\n`;
    if (trace.targetDistribution.length > 0) {
      text += 'Target Distribution:\n';
      for (const [instance, count] of trace.targetDistribution) text += `  ${instance}: ${count}\n`;
    }
    text += `Mean Regret: ${formatFixed(trace.meanRegret, 6)}\n`;
    text += `Max Regret: ${formatFixed(trace.maxRegret, 6)}\n`;
    write(text);
  }
}
