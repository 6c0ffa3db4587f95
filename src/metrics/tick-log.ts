// Append-only log of tick values (ITL entries), stored as Int32 while every value is a 32-bit integer — the
// normal case — because sorting an Int32Array is about twice as fast as sorting a Float64Array.

export type SortedValues = Float64Array | Int32Array;

export class TickLog {
  private ints: Int32Array | null = new Int32Array(256);
  private floats: Float64Array | null = null;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    const ints = this.ints;
    if (ints !== null && (value | 0) === value) {
      if (this.count === ints.length) {
        const grown = new Int32Array(ints.length * 2);
        grown.set(ints);
        this.ints = grown;
        grown[this.count++] = value;
      } else {
        ints[this.count++] = value;
      }
      return;
    }
    this.pushFloat(value);
  }

  private pushFloat(value: number): void {
    let floats = this.floats;
    if (floats === null) {
      floats = new Float64Array(Math.max(256, this.count * 2));
      floats.set(this.ints!.subarray(0, this.count));
      this.ints = null;
    } else if (this.count === floats.length) {
      const grown = new Float64Array(floats.length * 2);
      grown.set(floats);
      floats = grown;
    }
    this.floats = floats;
    floats[this.count++] = value;
  }

  /** Ascending copy of the values. */
  sorted(): SortedValues {
    const values = this.ints !== null ? this.ints.slice(0, this.count) : this.floats!.slice(0, this.count);
    values.sort();
    return values;
  }
}

/** Ascending union of ascending arrays (concatenate + builtin sort: faster than a JS merge on cold code). */
export function mergeSortedValues(parts: readonly SortedValues[]): SortedValues {
  let length = 0;
  let allInts = true;
  for (const part of parts) {
    length += part.length;
    if (!(part instanceof Int32Array)) allInts = false;
  }
  const out = allInts ? new Int32Array(length) : new Float64Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  out.sort();
  return out;
}
