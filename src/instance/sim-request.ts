import type { GeneratedRequest, SimRequest } from '../types.js';

/**
 * The per-run mutable state of a generated request. Every SimRequest is created here so that all of them share
 * one object shape (keeps the simulator's property accesses monomorphic).
 */
export function createSimRequest(gen: GeneratedRequest, index: number): SimRequest {
  const sharedPrefix = gen.sharedPrefix ?? null;
  return {
    index,
    id: gen.id,
    inputTokens: gen.inputTokens,
    outputTokens: gen.outputTokens,
    sharedPrefix: sharedPrefix !== null && sharedPrefix.length <= gen.inputTokens.length ? sharedPrefix : null,
    frozenChunk: null,
    frozenAt: 0,
    frozenBits: 0,
    inputLength: gen.inputTokens.length,
    outputLength: gen.outputTokens.length,
    arrivalTime: gen.arrivalTime,
    sloClass: gen.sloClass,
    progressIndex: 0,
    numNewTokens: 0,
    decodeFrom: 0,
    decodeRanges: null,
    firstTokenTime: -1,
    priority: 0,
    state: 'queued',
    assignedInstance: -1,
    scheduledStepIdx: 0,
    finishedStepIdx: 0,
    inputPrefixIds: null,
    kvOwner: null,
    kvLastBlock: -1,
  };
}
