// Frozen requests: a routed request waiting in an instance queue needs its tokens only once the instance admits
// it, and in an overloaded run most requests are waiting (1 000 000 requests of the seed's workload on 8 instances
// leave ~650 000 queued when the last one arrives). While it waits, a request keeps its own tokens bit-packed at
// the width its largest token needs (17 bits for a 128k vocabulary instead of 32) and no copy of its group's shared
// prefix; thawing rebuilds the exact arrays. The packed bytes are kept as a Latin-1 string: one heap object of
// 16 bytes + one byte per byte, where a typed array costs an object, an ArrayBuffer and a separately allocated
// backing store (≈ 300 bytes more per request, measured). Hand-written because it is a few lines of shifts that
// no packing library does without allocating per value.
import { Buffer } from 'node:buffer';
import type { SimRequest } from '../types.js';

const EMPTY_TOKENS = new Int32Array(0);
/** Packing scratch: words, then their bytes in little-endian order (whatever the platform's order). */
let scratchWords = new Uint32Array(256);
let scratchBytes = Buffer.alloc(1024);

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
  const wordCount = Math.ceil((count * bits) / 32);
  if (scratchWords.length < wordCount) {
    scratchWords = new Uint32Array(wordCount * 2);
    scratchBytes = Buffer.alloc(wordCount * 8);
  }
  const words = scratchWords;
  words.fill(0, 0, wordCount);
  const position = pack(input, skip, input.length - skip, words, 0, bits);
  pack(output, 0, output.length, words, position, bits);
  const bytes = scratchBytes;
  for (let w = 0; w < wordCount; w++) {
    const word = words[w];
    bytes[4 * w] = word & 0xff;
    bytes[4 * w + 1] = (word >>> 8) & 0xff;
    bytes[4 * w + 2] = (word >>> 16) & 0xff;
    bytes[4 * w + 3] = word >>> 24;
  }
  req.frozen = bytes.toString('latin1', 0, 4 * wordCount);
  req.frozenBits = bits;
  req.inputTokens = EMPTY_TOKENS;
  req.outputTokens = EMPTY_TOKENS;
}

/** Rebuilds the token arrays of a frozen request (inputLength/outputLength tell their sizes). */
export function thawTokens(req: SimRequest): void {
  const packed = req.frozen;
  if (packed === null) return;
  const wordCount = packed.length >>> 2;
  if (scratchWords.length < wordCount) {
    scratchWords = new Uint32Array(wordCount * 2);
    scratchBytes = Buffer.alloc(wordCount * 8);
  }
  const words = scratchWords;
  for (let w = 0; w < wordCount; w++) {
    words[w] =
      packed.charCodeAt(4 * w) |
      (packed.charCodeAt(4 * w + 1) << 8) |
      (packed.charCodeAt(4 * w + 2) << 16) |
      (packed.charCodeAt(4 * w + 3) << 24);
  }
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
