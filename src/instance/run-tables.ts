// Per-run, per-request tables shared by all instances, indexed by req.index. They hold everything the metrics need
// about a request after it has left, so the request object (and its tokens) can go as soon as it completes, is
// dropped or is rejected: a long run's memory then follows the requests in the system, not all it ever saw.
import type { GeneratedRequest, SimRequest } from '../types.js';

/** Per-request lifecycle position, for conservation accounting. */
export const RequestStage = {
  NotRouted: 0,
  Rejected: 1,
  /** Routed: ArrivalEvent or QueuedEvent still pending in the instance heap. */
  InFlight: 2,
  Enqueued: 3,
  Dropped: 4,
  Completed: 5,
} as const;

/** The descriptive fields of a request, shared by all requests with the same values. */
export interface RequestLabel {
  readonly sloClass: string;
  readonly tenantId: string;
  readonly model: string;
}

const INITIAL_CAPACITY = 1024;

export class RunTables {
  /** Requests created so far (indices 0…count−1 are valid rows). */
  count = 0;
  /** The request objects still in the system, by index (undefined once they have left or before they arrive). */
  readonly live: (SimRequest | undefined)[] = [];

  /** Prompt tokens computed so far, including cached ones (the reference's `computed` map; 0 = absent). */
  computed: Int32Array;
  /** Ticks; NaN = no map entry. */
  ttft: Float64Array;
  e2e: Float64Array;
  tpot: Float64Array;
  schedulingDelay: Float64Array;
  stage: Uint8Array;
  arrivalTime: Float64Array;
  inputLength: Int32Array;
  outputLength: Int32Array;
  /** Instance index; −1 = not routed. */
  assignedInstance: Int32Array;
  /** Index into `labels`. */
  labelIndex: Int32Array;
  readonly labels: RequestLabel[] = [];
  private readonly labelKeys = new Map<string, number>();
  /** IDs that are not `request_<index>` (most workloads have none). */
  private readonly otherIds = new Map<number, string>();

  /**
   * `capacity`: rows allocated up front; `expectedRows`: the run's request count when known, which growth never
   * exceeds (doubling past it would waste up to half of a long run's columns).
   */
  constructor(
    capacity = INITIAL_CAPACITY,
    private readonly expectedRows = Infinity,
  ) {
    const n = Math.max(1, capacity);
    this.computed = new Int32Array(n);
    this.ttft = new Float64Array(n).fill(NaN);
    this.e2e = new Float64Array(n).fill(NaN);
    this.tpot = new Float64Array(n).fill(NaN);
    this.schedulingDelay = new Float64Array(n).fill(NaN);
    this.stage = new Uint8Array(n);
    this.arrivalTime = new Float64Array(n);
    this.inputLength = new Int32Array(n);
    this.outputLength = new Int32Array(n);
    this.assignedInstance = new Int32Array(n).fill(-1);
    this.labelIndex = new Int32Array(n);
  }

  /** Records a request entering the run (its row must not exist yet). */
  add(req: SimRequest, gen: GeneratedRequest): void {
    const k = req.index;
    if (k >= this.stage.length) this.grow(k);
    if (k >= this.count) this.count = k + 1;
    while (this.live.length < k) this.live.push(undefined);
    this.live[k] = req;
    this.arrivalTime[k] = req.arrivalTime;
    this.inputLength[k] = req.inputLength;
    this.outputLength[k] = req.outputLength;
    this.labelIndex[k] = this.labelOf(gen);
    if (gen.id !== `request_${k}`) this.otherIds.set(k, gen.id);
  }

  /** The request has left the system: only its row remains. */
  release(index: number): void {
    this.live[index] = undefined;
  }

  id(k: number): string {
    return this.otherIds.get(k) ?? `request_${k}`;
  }

  label(k: number): RequestLabel {
    return this.labels[this.labelIndex[k]];
  }

  private labelOf(gen: GeneratedRequest): number {
    const key = `${gen.sloClass}\u0000${gen.tenantId}\u0000${gen.model}`;
    let index = this.labelKeys.get(key);
    if (index === undefined) {
      index = this.labels.length;
      this.labels.push({ sloClass: gen.sloClass, tenantId: gen.tenantId, model: gen.model });
      this.labelKeys.set(key, index);
    }
    return index;
  }

  private grow(index: number): void {
    let n = this.stage.length;
    while (n <= index) n *= 2;
    if (index < this.expectedRows) n = Math.min(n, this.expectedRows);
    // The same typed array kind, `n` long; new rows hold `fill` (NaN = no map entry for the latency columns).
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(old: T, fill = 0): T => {
      const next = new (old.constructor as new (length: number) => T)(n);
      if (fill !== 0) next.fill(fill, old.length);
      next.set(old as never);
      return next;
    };
    this.computed = grown(this.computed);
    this.ttft = grown(this.ttft, NaN);
    this.e2e = grown(this.e2e, NaN);
    this.tpot = grown(this.tpot, NaN);
    this.schedulingDelay = grown(this.schedulingDelay, NaN);
    this.stage = grown(this.stage);
    this.arrivalTime = grown(this.arrivalTime);
    this.inputLength = grown(this.inputLength);
    this.outputLength = grown(this.outputLength);
    this.assignedInstance = grown(this.assignedInstance, -1);
    this.labelIndex = grown(this.labelIndex);
  }
}
