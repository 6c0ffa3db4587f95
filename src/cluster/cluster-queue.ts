// Cluster event queue (README §Event ordering): total order by (timestamp, class, seq). Each request has at most
// one pending cluster event, so the capacity is the request count.

export const ClusterEventClass = { Arrival: 0, Admission: 1, Routing: 2 } as const;
export type ClusterEventClass = (typeof ClusterEventClass)[keyof typeof ClusterEventClass];

export class ClusterQueue {
  private readonly times: Float64Array;
  private readonly classes: Uint8Array;
  private readonly seqs: Float64Array;
  private readonly reqs: Int32Array;
  private n = 0;
  private nextSeq = 0;

  constructor(capacity: number) {
    const cap = Math.max(1, capacity);
    this.times = new Float64Array(cap);
    this.classes = new Uint8Array(cap);
    this.seqs = new Float64Array(cap);
    this.reqs = new Int32Array(cap);
  }

  get size(): number {
    return this.n;
  }

  peekTime(): number {
    return this.times[0];
  }

  peekClass(): ClusterEventClass {
    return this.classes[0] as ClusterEventClass;
  }

  peekReq(): number {
    return this.reqs[0];
  }

  /** Every created event takes the next global sequence number. */
  push(time: number, cls: ClusterEventClass, req: number): void {
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

  pop(): void {
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
