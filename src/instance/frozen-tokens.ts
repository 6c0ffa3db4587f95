// Frozen requests: a routed request waiting in an instance queue needs its tokens only once the instance admits
// it, and in an overloaded run most requests are waiting (1 000 000 requests of the seed's workload on 8 instances
// leave ~650 000 queued when the last one arrives). While it waits, a request keeps its own tokens bit-packed at
// the width its largest token needs (17 bits for a 128k vocabulary instead of 32) and no copy of its group's shared
// prefix; thawing rebuilds the exact arrays. Hand-written because it is a few lines of shifts that no packing
// library does without allocating per value.
import type { SimRequest } from '../types.js';

const EMPTY_TOKENS = new Int32Array(0);

/** Drops a request's token arrays (it has left the system). */
export function dropTokens(req: SimRequest): void {
  req.inputTokens = EMPTY_TOKENS;
  req.outputTokens = EMPTY_TOKENS;
  req.sharedPrefix = null;
  req.frozen = null;
}

/** Packs the request's tokens after its shared prefix and its output tokens; a no-op when already frozen. */
export function freezeTokens(req: SimRequest): void {
  if (req.frozen !== null) return;
  const input = req.inputTokens;
  const output = req.outputTokens;
  const skip = req.sharedPrefix === null ? 0 : req.sharedPrefix.length;
  let max = 0;
  let negative = false;
  for (let i = skip; i < input.length; i++) {
    const t = input[i];
    if (t > max) max = t;
    else if (t < 0) negative = true;
  }
  for (let i = 0; i < output.length; i++) {
    const t = output[i];
    if (t > max) max = t;
    else if (t < 0) negative = true;
  }
  const bits = negative ? 32 : Math.max(1, 32 - Math.clz32(max));
  const count = input.length - skip + output.length;
  const words = new Uint32Array(Math.ceil((count * bits) / 32));
  const position = pack(input, skip, input.length - skip, words, 0, bits);
  pack(output, 0, output.length, words, position, bits);
  req.frozen = words;
  req.frozenBits = bits;
  req.inputTokens = EMPTY_TOKENS;
  req.outputTokens = EMPTY_TOKENS;
}

/** Rebuilds the token arrays of a frozen request (inputLength/outputLength tell their sizes). */
export function thawTokens(req: SimRequest): void {
  const words = req.frozen;
  if (words === null) return;
  const bits = req.frozenBits;
  const input = new Int32Array(req.inputLength);
  const prefix = req.sharedPrefix;
  const skip = prefix === null ? 0 : prefix.length;
  if (prefix !== null) input.set(prefix);
  const output = new Int32Array(req.outputLength);
  const position = unpack(words, 0, bits, input, skip, input.length - skip);
  unpack(words, position, bits, output, 0, output.length);
  req.inputTokens = input;
  req.outputTokens = output;
  req.frozen = null;
}

/** Writes `count` values from `source[from…]` at bit `position`; returns the bit position after them. */
function pack(source: Int32Array, from: number, count: number, words: Uint32Array, position: number, bits: number): number {
  let word = position >>> 5;
  let shift = position & 31;
  for (let i = 0; i < count; i++) {
    const value = source[from + i] >>> 0;
    words[word] |= value << shift;
    if (shift + bits > 32) words[word + 1] |= value >>> (32 - shift);
    shift += bits;
    if (shift >= 32) {
      shift -= 32;
      word++;
    }
  }
  return word * 32 + shift;
}

/** Reads `count` values at bit `position` into `target[to…]`; returns the bit position after them. */
function unpack(words: Uint32Array, position: number, bits: number, target: Int32Array, to: number, count: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  let word = position >>> 5;
  let shift = position & 31;
  for (let i = 0; i < count; i++) {
    let value = words[word] >>> shift;
    if (shift + bits > 32) value |= words[word + 1] << (32 - shift);
    target[to + i] = value & mask;
    shift += bits;
    if (shift >= 32) {
      shift -= 32;
      word++;
    }
  }
  return word * 32 + shift;
}
