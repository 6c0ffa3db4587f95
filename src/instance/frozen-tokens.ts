// Frozen requests: a routed request waiting in an instance queue needs its tokens only once the instance admits
// it, and in an overloaded run most requests are waiting (1 000 000 requests of the seed's workload on 8 instances
// leave ~650 000 queued when the last one arrives). While it waits, a request keeps its tokens after its group's
// shared prefix and its output tokens bit-packed, at the width its largest token needs (17 bits for a 128k
// vocabulary instead of 32), in a run-wide store; thawing rebuilds the exact arrays.
//
// The store is a list of fixed-size off-heap chunks: an entry costs its packed words and no object of its own
// (a typed array per request costs an object, an ArrayBuffer and a separately allocated backing store, ≈ 300 bytes
// more, measured), and it stays out of V8's heap, whose default limit (4 GiB) a ten-million-request run would
// exceed. A chunk is freed when its last entry thaws; a chunk that is mostly empty because a few of its requests
// wait much longer than the rest (a starved SLO class) has its survivors moved to the current chunk, so memory
// follows the frozen requests, not the oldest one. Hand-written: no library packs bits into a shared arena.
import type { SimRequest } from '../types.js';

const EMPTY_TOKENS = new Int32Array(0);
/** Words per chunk (4 MiB). */
const CHUNK_WORDS = 1 << 20;
/** Tokens per buffer that thawed arrays are cut from (256 KiB). */
const THAW_BUFFER_INTS = 1 << 16;
/** A chunk below this share of live words has its survivors moved out. */
const EVACUATE_BELOW = 0.25;

/** Drops a request's token arrays (it has left the system). */
export function dropTokens(req: SimRequest): void {
  req.inputTokens = EMPTY_TOKENS;
  req.outputTokens = EMPTY_TOKENS;
  req.sharedPrefix = null;
}

class Chunk {
  readonly words: Uint32Array;
  /** Requests with an entry here, in entry order (entries of thawed requests stay until the chunk goes). */
  readonly owners: SimRequest[] = [];
  used = 0;
  live = 0;
  retired = false;

  constructor(words: number) {
    this.words = new Uint32Array(words);
  }
}

export class FrozenTokenStore {
  private current: Chunk | null = null;
  /** Chunks with live entries other than the current one. */
  private readonly sealed = new Set<Chunk>();
  private liveWords = 0;
  private thawBuffer = new ArrayBuffer(0);
  private thawUsed = THAW_BUFFER_INTS; // the first thaw allocates a buffer

  /** Words held by frozen requests (tests and diagnostics). */
  get frozenWords(): number {
    return this.liveWords;
  }

  /** Words allocated in chunks (tests and diagnostics). */
  get allocatedWords(): number {
    let total = this.current === null ? 0 : this.current.words.length;
    for (const chunk of this.sealed) total += chunk.words.length;
    return total;
  }

  /** Packs the request's tokens after its shared prefix and its output tokens; a no-op when already frozen. */
  freeze(req: SimRequest): void {
    if (req.frozenChunk !== null) return;
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
    const size = Math.ceil((count * bits) / 32);
    const chunk = this.chunkWithRoom(size);
    const at = chunk.used; // never written before: chunks start zeroed and only grow
    const position = pack(input, skip, input.length - skip, chunk.words, at * 32, bits);
    pack(output, 0, output.length, chunk.words, position, bits);
    chunk.used += size;
    chunk.live += size;
    chunk.owners.push(req);
    this.liveWords += size;
    req.frozenChunk = chunk;
    req.frozenAt = at;
    req.frozenBits = bits;
    req.inputTokens = EMPTY_TOKENS;
    req.outputTokens = EMPTY_TOKENS;
  }

  /** Rebuilds the token arrays of a frozen request (inputLength/outputLength give their sizes). */
  thaw(req: SimRequest): void {
    const chunk = req.frozenChunk as Chunk | null;
    if (chunk === null) return;
    const bits = req.frozenBits;
    const input = this.thawedArray(req.inputLength);
    const prefix = req.sharedPrefix;
    const skip = prefix === null ? 0 : prefix.length;
    if (prefix !== null) input.set(prefix);
    const output = this.thawedArray(req.outputLength);
    const position = unpack(chunk.words, req.frozenAt * 32, bits, input, skip, input.length - skip);
    unpack(chunk.words, position, bits, output, 0, output.length);
    req.inputTokens = input;
    req.outputTokens = output;
    this.release(req, chunk);
  }

  /** Forgets a frozen request's entry without rebuilding its tokens (it leaves the system while waiting). */
  discard(req: SimRequest): void {
    const chunk = req.frozenChunk as Chunk | null;
    if (chunk !== null) this.release(req, chunk);
  }

  private release(req: SimRequest, chunk: Chunk): void {
    req.frozenChunk = null;
    const size = entryWords(req);
    chunk.live -= size;
    this.liveWords -= size;
    if (chunk !== this.current) this.settle(chunk);
  }

  /**
   * Room for a thawed token array: a view into a shared buffer. Separately allocated arrays cost ≈ 3 µs per request
   * more (measured) and scatter the tokens of requests admitted together. Only running requests hold views (a
   * preempted request is frozen again), so a buffer is released soon after its requests complete.
   */
  private thawedArray(length: number): Int32Array {
    if (this.thawUsed + length > THAW_BUFFER_INTS) {
      this.thawBuffer = new ArrayBuffer(4 * Math.max(THAW_BUFFER_INTS, length));
      this.thawUsed = 0;
    }
    const view = new Int32Array(this.thawBuffer, 4 * this.thawUsed, length);
    this.thawUsed += length;
    return view;
  }

  private chunkWithRoom(size: number): Chunk {
    for (;;) {
      const current = this.current;
      if (current !== null && current.used + size <= current.words.length) return current;
      this.current = new Chunk(Math.max(CHUNK_WORDS, size));
      // Settling may move survivors into the new chunk (and fill it): look again.
      if (current !== null) {
        this.sealed.add(current);
        this.settle(current);
      }
    }
  }

  /** Frees an emptied chunk, or moves the few survivors of a mostly empty one to the current chunk. */
  private settle(chunk: Chunk): void {
    if (chunk.retired) return;
    if (chunk.live === 0) {
      chunk.retired = true;
      this.sealed.delete(chunk);
      return;
    }
    if (chunk.live >= EVACUATE_BELOW * chunk.used) return;
    chunk.retired = true;
    this.sealed.delete(chunk);
    for (const owner of chunk.owners) {
      if (owner.frozenChunk !== chunk) continue;
      const size = entryWords(owner);
      const target = this.chunkWithRoom(size);
      target.words.set(chunk.words.subarray(owner.frozenAt, owner.frozenAt + size), target.used);
      owner.frozenChunk = target;
      owner.frozenAt = target.used;
      target.used += size;
      target.live += size;
      target.owners.push(owner);
    }
  }
}

/** Packed words of a frozen request's entry. */
function entryWords(req: SimRequest): number {
  const skip = req.sharedPrefix === null ? 0 : req.sharedPrefix.length;
  return Math.ceil(((req.inputLength - skip + req.outputLength) * req.frozenBits) / 32);
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
