import type { GeneratedRequest, SimRequest } from '../types.js';

/**
 * The per-run mutable state of a generated request. Every SimRequest is an instance of this class (one object
 * shape, so the simulator's property accesses stay monomorphic). The usual `request_<index>` ID is made when asked
 * for (only error messages and plugins ask), which keeps a string per waiting request out of long runs.
 */
class SimRequestState implements SimRequest {
  inputTokens: Int32Array;
  outputTokens: Int32Array;
  sharedPrefix: Int32Array | null;
  frozenChunk: object | null = null;
  frozenAt = 0;
  frozenBits = 0;
  readonly inputLength: number;
  readonly outputLength: number;
  readonly arrivalTime: number;
  readonly sloClass: string;
  progressIndex = 0;
  numNewTokens = 0;
  decodeFrom = 0;
  decodeRanges: number[] | null = null;
  firstTokenTime = -1;
  priority = 0;
  state: SimRequest['state'] = 'queued';
  assignedInstance = -1;
  scheduledStepIdx = 0;
  finishedStepIdx = 0;
  inputPrefixIds: Int32Array | null = null;
  kvList: object | null = null;
  /** The ID when it is not `request_<index>`, else null. */
  private readonly otherId: string | null;

  constructor(
    gen: GeneratedRequest,
    readonly index: number,
  ) {
    this.otherId = gen.id === `request_${index}` ? null : gen.id;
    this.inputTokens = gen.inputTokens;
    this.outputTokens = gen.outputTokens;
    const sharedPrefix = gen.sharedPrefix ?? null;
    this.sharedPrefix = sharedPrefix !== null && sharedPrefix.length <= gen.inputTokens.length ? sharedPrefix : null;
    this.inputLength = gen.inputTokens.length;
    this.outputLength = gen.outputTokens.length;
    this.arrivalTime = gen.arrivalTime;
    this.sloClass = gen.sloClass;
  }

  get id(): string {
    return this.otherId ?? `request_${this.index}`;
  }
}

export function createSimRequest(gen: GeneratedRequest, index: number): SimRequest {
  return new SimRequestState(gen, index);
}
