// A run's requests in arrival order, one at a time: from a list (sorted here when a trace is not) or from a stream
// that generates them as the run reaches them.
import { ServesimError } from '../errors.js';
import type { GeneratedRequest, RequestStream } from '../types.js';

export class RequestFeed {
  private list: readonly GeneratedRequest[] | null = null;
  /** List indices by (arrival time, index). */
  private order: Int32Array | null = null;
  private stream: RequestStream | null = null;
  private position = 0;
  private head: GeneratedRequest | undefined;
  private headIndex = -1;
  private readonly expected: number | undefined;

  constructor(source: readonly GeneratedRequest[] | RequestStream) {
    if (isStream(source)) {
      this.stream = source;
      this.expected = source.expectedCount;
    } else {
      this.useList(source);
      this.expected = source.length;
    }
    this.load();
  }

  /** Requests of the run when known (the list length, or the stream's announced count). */
  get expectedCount(): number | undefined {
    return this.expected;
  }

  /**
   * Requests generated but not taken: the rest of a list; for a stream only the one it has generated ahead (the
   * ones after it are never generated).
   */
  get unarrived(): number {
    if (this.stream === null) return this.order!.length - this.position;
    return this.head === undefined ? 0 : 1;
  }

  /** Whether the requests come from a stream (they are generated as the run reaches them). */
  get isStream(): boolean {
    return this.stream !== null;
  }

  get hasNext(): boolean {
    return this.head !== undefined;
  }

  /** Arrival time of the next request; only valid when hasNext. */
  peekTime(): number {
    return this.head!.arrivalTime;
  }

  /** Index of the next request; only valid when hasNext. */
  peekIndex(): number {
    return this.headIndex;
  }

  /** The next request (and moves past it); only valid when hasNext. */
  take(): GeneratedRequest {
    const req = this.head!;
    this.position++;
    this.load();
    return req;
  }

  /**
   * Every request of the run, in index order (policies that rank all request IDs up front need them). A stream is
   * drained into a list, so this must be called before the first take().
   */
  all(): readonly GeneratedRequest[] {
    if (this.stream !== null) {
      if (this.position > 0) throw new Error('RequestFeed.all() after the run started');
      const all: GeneratedRequest[] = [];
      for (let req = this.head; req !== undefined; req = this.stream.next()) all.push(req);
      this.stream = null;
      this.useList(all);
      this.load();
    }
    return this.list!;
  }

  private useList(list: readonly GeneratedRequest[]): void {
    const count = list.length;
    const order = new Int32Array(count);
    let sorted = true;
    for (let i = 0; i < count; i++) {
      order[i] = i;
      if (i > 0 && list[i].arrivalTime < list[i - 1].arrivalTime) sorted = false;
    }
    // CSV traces need not be sorted; a stable sort keeps list order on ties.
    if (!sorted) order.set(Array.from(order).sort((a, b) => list[a].arrivalTime - list[b].arrivalTime));
    this.list = list;
    this.order = order;
  }

  private load(): void {
    if (this.stream === null) {
      const order = this.order!;
      this.headIndex = this.position < order.length ? order[this.position] : -1;
      this.head = this.headIndex >= 0 ? this.list![this.headIndex] : undefined;
      return;
    }
    const previous = this.head;
    this.head = this.stream.next();
    this.headIndex = this.position;
    if (this.head !== undefined && previous !== undefined && this.head.arrivalTime < previous.arrivalTime) {
      throw new ServesimError(
        `request stream out of arrival order: request ${this.position} arrives at ${this.head.arrivalTime} µs, before ${previous.arrivalTime} µs`,
      );
    }
  }
}

function isStream(source: readonly GeneratedRequest[] | RequestStream): source is RequestStream {
  return !Array.isArray(source);
}
