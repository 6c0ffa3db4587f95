// Cluster event queue (docs/architecture.md, Event ordering): total order by (timestamp, class, seq), class 0 =
// arrival, 1 = admission, 2 = routing; seq counts created events, the N arrivals first (in request-list order).
//
// Arrivals come from the request feed in arrival order; only admission/routing events go through the heap. An
// arrival precedes any other event with the same timestamp (lower class), so the merged order is the reference's
// total order. Heap events only ever compare their seqs with each other, so numbering them from 0 instead of N
// keeps their order.
import type { GeneratedRequest } from '../types.js';
import type { RequestFeed } from './request-feed.js';

export const ClusterEventClass = { Arrival: 0, Admission: 1, Routing: 2 } as const;
export type ClusterEventClass = (typeof ClusterEventClass)[keyof typeof ClusterEventClass];

export class ClusterQueue {
  private readonly feed: RequestFeed;

  // Heap of admission/routing events (each request has at most one pending, so it rarely grows).
  private times: Float64Array;
  private classes: Uint8Array;
  private seqs: Float64Array;
  private reqs: Int32Array;
  private n = 0;
  private nextSeq = 0;

  // Head of the merged order, resolved by peek().
  private headIsArrival = false;

  constructor(feed: RequestFeed) {
    this.feed = feed;
    const cap = 1024;
    this.times = new Float64Array(cap);
    this.classes = new Uint8Array(cap);
    this.seqs = new Float64Array(cap);
    this.reqs = new Int32Array(cap);
  }

  get isEmpty(): boolean {
    return this.n === 0 && !this.feed.hasNext;
  }

  /** Timestamp of the next event; only valid when size > 0. Must precede peekClass/peekReq/pop. */
  peekTime(): number {
    const feed = this.feed;
    if (feed.hasNext && (this.n === 0 || feed.peekTime() <= this.times[0])) {
      this.headIsArrival = true;
      return feed.peekTime();
    }
    this.headIsArrival = false;
    return this.times[0];
  }

  peekClass(): ClusterEventClass {
    return this.headIsArrival ? ClusterEventClass.Arrival : (this.classes[0] as ClusterEventClass);
  }

  peekReq(): number {
    return this.headIsArrival ? this.feed.peekIndex() : this.reqs[0];
  }

  /** Removes the head; for an arrival, the feed moves on and the request arriving is returned. */
  pop(): GeneratedRequest | undefined {
    if (this.headIsArrival) return this.feed.take();
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
    return undefined;
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
