// Naive reference of the router prefix index, shared by the policy and interner-collection tests.

/** Naive reference of docs/spec-notes.md, Router prefix index: map id → stamp per instance, evict the smallest stamp. */
export class NaiveIndex {
  readonly maps: Array<Map<number, number>>;
  readonly counters: number[];
  constructor(
    n: number,
    private readonly capacity: number,
  ) {
    this.maps = Array.from({ length: n }, () => new Map());
    this.counters = new Array<number>(n).fill(0);
  }
  touch(ids: number[], instance: number): void {
    const map = this.maps[instance];
    for (const id of ids) {
      const stamp = ++this.counters[instance];
      if (map.has(id)) map.set(id, stamp);
      else {
        if (map.size >= this.capacity) {
          let oldest = -1;
          let oldestStamp = Infinity;
          for (const [k, v] of map) if (v < oldestStamp) [oldest, oldestStamp] = [k, v];
          map.delete(oldest);
        }
        map.set(id, stamp);
      }
    }
  }
  matched(ids: number[], instance: number): number {
    let m = 0;
    while (m < ids.length && this.maps[instance].has(ids[m])) m++;
    return m;
  }
}
