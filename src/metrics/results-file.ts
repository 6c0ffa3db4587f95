// `--results-path` file (docs/spec-notes.md, Results file): the cluster metrics object plus one entry per registered request.
import { writeFileAtomic } from '../fs/atomic.js';
import { ServesimError } from '../errors.js';
import type { RequestRecord, SimResult } from '../types.js';
import { formatJsonFloat, formatJsonString } from '../go/fmt.js';
import { metricsBlockJson } from './output.js';

function requestJson(record: RequestRecord, indent: string): string {
  const fields: string[] = [
    `"arrived_at": ${formatJsonFloat(record.arrivedAtS)}`,
    `"requestID": ${formatJsonString(record.id)}`,
    `"num_prefill_tokens": ${record.numPrefillTokens}`,
    `"num_decode_tokens": ${record.numDecodeTokens}`,
    `"ttft_ms": ${formatJsonFloat(record.ttftMs)}`,
    `"itl_ms": ${formatJsonFloat(record.itlMs)}`,
    `"e2e_ms": ${formatJsonFloat(record.e2eMs)}`,
    `"scheduling_delay_ms": ${formatJsonFloat(record.schedulingDelayMs)}`,
  ];
  // omitempty string fields
  if (record.sloClass !== '') fields.push(`"slo_class": ${formatJsonString(record.sloClass)}`);
  if (record.tenantId !== '') fields.push(`"tenant_id": ${formatJsonString(record.tenantId)}`);
  if (record.handledBy !== '') fields.push(`"handled_by": ${formatJsonString(record.handledBy)}`);
  if (record.model !== '') fields.push(`"model": ${formatJsonString(record.model)}`);
  const inner = indent + '  ';
  return `${indent}{\n${inner}${fields.join(`,\n${inner}`)}\n${indent}}`;
}

/** The results file content (two-space indented JSON, like the reference's MarshalIndent). */
export function resultsFileJson(result: SimResult): string {
  const extra: string[] = [];
  if (result.requests.length > 0) {
    const entries = result.requests.map((record) => requestJson(record, '    '));
    extra.push(`  "requests": [\n${entries.join(',\n')}\n  ]`);
  }
  const json = metricsBlockJson(result.cluster, extra);
  if (json === null) throw new ServesimError('cannot write results file: metrics contain a non-finite value');
  return json;
}

/** Writes the results file atomically: a failure leaves any previous file untouched. */
export function writeResultsFile(path: string, result: SimResult): void {
  writeFileAtomic(path, resultsFileJson(result), 'results file');
}
