// WaitQ storage: append at the tail (enqueue), take from and put back at the head (admission, preemption),
// and stable reordering by the scheduler. A ring-free array with a movable head keeps all three cheap.
import type { SimRequest } from '../types.js';

export class RequestDeque {
  private items: Array<SimRequest | undefined> = new Array<SimRequest | undefined>(32);
  private head = 16;
  private tail = 16;

  get length(): number {
    return this.tail - this.head;
  }

  at(i: number): SimRequest {
    return this.items[this.head + i] as SimRequest;
  }

  pushBack(req: SimRequest): void {
    if (this.tail === this.items.length) this.recenter(1);
    this.items[this.tail++] = req;
  }

  pushFront(req: SimRequest): void {
    if (this.head === 0) this.recenter(1);
    this.items[--this.head] = req;
  }

  popFront(): SimRequest {
    const req = this.items[this.head] as SimRequest;
    this.items[this.head++] = undefined;
    if (this.head === this.tail) {
      // Empty: re-centre so alternating pushFront/pushBack never runs out of room on one side.
      this.head = this.tail = this.items.length >> 1;
    }
    return req;
  }

  /** Stable sort in place (Array.prototype.sort is stable). */
  sort(compare: (a: SimRequest, b: SimRequest) => number): void {
    const n = this.length;
    if (n < 2) return;
    const view = this.items.slice(this.head, this.tail) as SimRequest[];
    view.sort(compare);
    for (let i = 0; i < n; i++) this.items[this.head + i] = view[i];
  }

  toArray(): SimRequest[] {
    return this.items.slice(this.head, this.tail) as SimRequest[];
  }

  /** Moves the live range to the middle of a buffer with room for `extra` more items on each side. */
  private recenter(extra: number): void {
    const n = this.length;
    const capacity = Math.max(32, (n + extra) * 2 + 16);
    const items = new Array<SimRequest | undefined>(capacity);
    const head = (capacity - n) >> 1;
    for (let i = 0; i < n; i++) items[head + i] = this.items[this.head + i];
    this.items = items;
    this.head = head;
    this.tail = head + n;
  }
}
