// Exact port of Go's container/heap with `Less = a.time < b.time` (docs/spec-notes.md, Event heap).
// Events with equal timestamps come out in an order decided by the heap layout, which parity depends on,
// so push/pop/sift must follow Go step by step. Stored as parallel arrays to keep the hot loop allocation-free.

export const EventKind = {
  Arrival: 0,
  Queued: 1,
  Step: 2,
  Scheduled: 3,
  Preemption: 4,
  RequestLeft: 5,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export class EventHeap {
  private times: Float64Array;
  private kinds: Uint8Array;
  /** Request index for request events; -1 for step events. */
  private reqs: Int32Array;
  private n = 0;

  constructor(initialCapacity = 64) {
    this.times = new Float64Array(initialCapacity);
    this.kinds = new Uint8Array(initialCapacity);
    this.reqs = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.n;
  }

  /** Timestamp of the head (heap index 0). Only valid when size > 0. */
  peekTime(): number {
    return this.times[0];
  }

  peekKind(): EventKind {
    return this.kinds[0] as EventKind;
  }

  peekReq(): number {
    return this.reqs[0];
  }

  push(time: number, kind: EventKind, req: number): void {
    if (this.n === this.times.length) this.grow();
    const j0 = this.n++;
    this.times[j0] = time;
    this.kinds[j0] = kind;
    this.reqs[j0] = req;
    this.up(j0);
  }

  /** Removes the head; read it with peek* first. */
  pop(): void {
    const n = this.n - 1;
    this.swap(0, n);
    this.down(0, n);
    this.n = n;
  }

  private up(j: number): void {
    const times = this.times;
    for (;;) {
      // Go: i := (j - 1) / 2 with truncating division, so j = 0 gives i = 0 and stops.
      const i = ((j - 1) / 2) | 0;
      if (i === j || !(times[j] < times[i])) break;
      this.swap(i, j);
      j = i;
    }
  }

  private down(i0: number, n: number): void {
    const times = this.times;
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && times[j2] < times[j1]) j = j2;
      if (!(times[j] < times[i])) break;
      this.swap(i, j);
      i = j;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.times[a];
    this.times[a] = this.times[b];
    this.times[b] = t;
    const k = this.kinds[a];
    this.kinds[a] = this.kinds[b];
    this.kinds[b] = k;
    const r = this.reqs[a];
    this.reqs[a] = this.reqs[b];
    this.reqs[b] = r;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    const kinds = new Uint8Array(cap);
    kinds.set(this.kinds);
    const reqs = new Int32Array(cap);
    reqs.set(this.reqs);
    this.times = times;
    this.kinds = kinds;
    this.reqs = reqs;
  }

  /** Heap layout as (time, kind, req) triples — for tests only. */
  layout(): Array<[number, EventKind, number]> {
    const out: Array<[number, EventKind, number]> = [];
    for (let i = 0; i < this.n; i++) out.push([this.times[i], this.kinds[i] as EventKind, this.reqs[i]]);
    return out;
  }
}
