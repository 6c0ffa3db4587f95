// Per-request latencies of one simulation by SLO class, for distribution plots (`servesim report`'s ECDFs). The lab
// otherwise keeps only aggregate metrics; these are asked for explicitly (EvalTask.samples) and never stored.
import type { SimResult } from '../types.js';

/** SLO class → sorted per-request latencies in ms (requests without a first token / completion are left out). */
export type LatencySamples = Record<string, { ttft_ms: number[]; e2e_ms: number[] }>;

export function latencySamples(result: SimResult): LatencySamples {
  const byClass: LatencySamples = {};
  for (const record of result.requests) {
    const cls = record.sloClass === '' ? 'default' : record.sloClass;
    const entry = (byClass[cls] ??= { ttft_ms: [], e2e_ms: [] });
    // The request records write 0 for a latency the request never reached (a real latency is always > 0).
    if (record.ttftMs > 0) entry.ttft_ms.push(record.ttftMs);
    if (record.e2eMs > 0) entry.e2e_ms.push(record.e2eMs);
  }
  for (const entry of Object.values(byClass)) {
    entry.ttft_ms.sort((a, b) => a - b);
    entry.e2e_ms.sort((a, b) => a - b);
  }
  return byClass;
}
