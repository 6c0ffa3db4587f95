// Cluster event queue (docs/architecture.md, Event ordering): total order by (timestamp, class, seq), class 0 =
// arrival, 1 = admission, 2 = routing; seq counts created events, the N arrivals first (in request-list order).
//
// Arrivals are all known up front, so they are kept as a sorted list; only admission/routing events go through
// the heap. An arrival precedes any other event with the same timestamp (lower class), so the merged order is
// the reference's total order.

export const ClusterEventClass = { Arrival: 0, Admission: 1, Routing: 2 } as const;
export type ClusterEventClass = (typeof ClusterEventClass)[keyof typeof ClusterEventClass];

export class ClusterQueue {
  /** Request indices by (arrival time, index). */
  private readonly arrivals: Int32Array;
  private readonly arrivalTimes: Float64Array;
  private nextArrival = 0;

  // Heap of admission/routing events (each request has at most one pending, so it rarely grows).
  private times: Float64Array;
  private classes: Uint8Array;
  private seqs: Float64Array;
  private reqs: Int32Array;
  private n = 0;
  private nextSeq: number;

  // Head of the merged order, resolved by peek().
  private headIsArrival = false;

  constructor(arrivalTimes: readonly number[]) {
    const count = arrivalTimes.length;
    this.arrivals = new Int32Array(count);
    this.arrivalTimes = new Float64Array(count);
    let sorted = true;
    for (let i = 0; i < count; i++) {
      this.arrivals[i] = i;
      if (i > 0 && arrivalTimes[i] < arrivalTimes[i - 1]) sorted = false;
    }
    if (!sorted) {
      // CSV traces need not be sorted; stable sort keeps seq (= index) order on ties.
      const order = Array.from(this.arrivals).sort((a, b) => arrivalTimes[a] - arrivalTimes[b]);
      this.arrivals.set(order);
    }
    for (let i = 0; i < count; i++) this.arrivalTimes[i] = arrivalTimes[this.arrivals[i]];
    this.nextSeq = count;
    const cap = Math.max(16, count);
    this.times = new Float64Array(cap);
    this.classes = new Uint8Array(cap);
    this.seqs = new Float64Array(cap);
    this.reqs = new Int32Array(cap);
  }

  get size(): number {
    return this.arrivals.length - this.nextArrival + this.n;
  }

  /** Timestamp of the next event; only valid when size > 0. Must precede peekClass/peekReq/pop. */
  peekTime(): number {
    const hasArrival = this.nextArrival < this.arrivals.length;
    if (hasArrival && (this.n === 0 || this.arrivalTimes[this.nextArrival] <= this.times[0])) {
      this.headIsArrival = true;
      return this.arrivalTimes[this.nextArrival];
    }
    this.headIsArrival = false;
    return this.times[0];
  }

  peekClass(): ClusterEventClass {
    return this.headIsArrival ? ClusterEventClass.Arrival : (this.classes[0] as ClusterEventClass);
  }

  peekReq(): number {
    return this.headIsArrival ? this.arrivals[this.nextArrival] : this.reqs[0];
  }

  pop(): void {
    if (this.headIsArrival) {
      this.nextArrival++;
      return;
    }
    const last = --this.n;
    this.swap(0, last);
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      let child = left;
      if (left + 1 < last && this.less(left + 1, left)) child = left + 1;
      if (!this.less(child, i)) break;
      this.swap(i, child);
      i = child;
    }
  }

  /** Admission or routing event; takes the next global sequence number. */
  push(time: number, cls: ClusterEventClass, req: number): void {
    if (this.n === this.times.length) this.grow();
    let j = this.n++;
    this.times[j] = time;
    this.classes[j] = cls;
    this.seqs[j] = this.nextSeq++;
    this.reqs[j] = req;
    while (j > 0) {
      const parent = (j - 1) >> 1;
      if (!this.less(j, parent)) break;
      this.swap(j, parent);
      j = parent;
    }
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    const classes = new Uint8Array(cap);
    classes.set(this.classes);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    const reqs = new Int32Array(cap);
    reqs.set(this.reqs);
    this.times = times;
    this.classes = classes;
    this.seqs = seqs;
    this.reqs = reqs;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a];
    const tb = this.times[b];
    if (ta !== tb) return ta < tb;
    const ca = this.classes[a];
    const cb = this.classes[b];
    if (ca !== cb) return ca < cb;
    return this.seqs[a] < this.seqs[b];
  }

  private swap(a: number, b: number): void {
    let t = this.times[a];
    this.times[a] = this.times[b];
    this.times[b] = t;
    t = this.seqs[a];
    this.seqs[a] = this.seqs[b];
    this.seqs[b] = t;
    const c = this.classes[a];
    this.classes[a] = this.classes[b];
    this.classes[b] = c;
    const r = this.reqs[a];
    this.reqs[a] = this.reqs[b];
    this.reqs[b] = r;
  }
}
