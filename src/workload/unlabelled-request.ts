import type { GeneratedRequest } from '../types.js';

/** A request with no SLO class, tenant, model or session: what the legacy generator and CSV traces produce. */
export function unlabelledRequest(
  id: string,
  arrivalTime: number,
  inputTokens: Int32Array,
  outputTokens: Int32Array,
): GeneratedRequest {
  return {
    id,
    arrivalTime,
    inputTokens,
    outputTokens,
    sloClass: '',
    tenantId: '',
    model: '',
    streaming: false,
    sessionId: '',
    roundIndex: 0,
  };
}
