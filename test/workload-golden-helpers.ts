import type { GeneratedRequest } from '../src/types.js';

function sum(tokens: Int32Array): number {
  let s = 0;
  for (const t of tokens) s += t;
  return s;
}

/** One row of the golden W-*.csv format (golden/README.md). */
export function goldenRow(r: GeneratedRequest): string {
  const first = (a: Int32Array) => (a.length > 0 ? String(a[0]) : '');
  const last = (a: Int32Array) => (a.length > 0 ? String(a[a.length - 1]) : '');
  return [
    r.id,
    r.arrivalTime,
    r.inputTokens.length,
    r.outputTokens.length,
    r.sloClass,
    r.sessionId,
    r.roundIndex,
    first(r.inputTokens),
    last(r.inputTokens),
    sum(r.inputTokens),
    first(r.outputTokens),
    sum(r.outputTokens),
  ].join(',');
}
