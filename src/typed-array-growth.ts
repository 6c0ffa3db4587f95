// Growing a typed array that is indexed by an id or a count: the same doubling everywhere (a cold path, taken
// O(log n) times in a run).

/** `array` itself when `index` is inside it, else a copy with its length doubled until `index` fits. */
export function withRoomFor<T extends Float64Array | Int32Array>(array: T, index: number): T {
  if (index < array.length) return array;
  let length = Math.max(array.length, 1);
  while (length <= index) length *= 2;
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array);
  return grown;
}
