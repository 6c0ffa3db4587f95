import { ServesimError } from '../errors.js';

/** Exit status of a Go panic, which is what the reference simulator dies with in these situations. */
const GO_PANIC_EXIT_CODE = 2;

/**
 * The reference's tiered-KV crash (docs/reference-quirks.md, quirk 11): after a reload the request's cached
 * prefix ends past the end of the chunk being allocated, and the retry slices `InputTokens[cached:end]` with
 * cached > end.
 */
export class KVReloadOverflowError extends ServesimError {
  readonly requestId: string;
  readonly reloadedBlocks: number;
  readonly cachedPrefixTokens: number;
  readonly chunkEnd: number;

  constructor(requestId: string, reloadedBlocks: number, cachedPrefixTokens: number, chunkEnd: number) {
    super(
      `tiered KV reload overflow: after reloading ${reloadedBlocks} blocks from CPU the cached prefix of ` +
        `${requestId} (${cachedPrefixTokens} tokens) extends past the scheduled chunk end (${chunkEnd} tokens) — ` +
        `the reference simulator crashes here; increase --total-kv-blocks, set --kv-cpu-blocks 0, ` +
        `or set --long-prefill-token-threshold 0`,
      GO_PANIC_EXIT_CODE,
    );
    this.name = 'KVReloadOverflowError';
    this.requestId = requestId;
    this.reloadedBlocks = reloadedBlocks;
    this.cachedPrefixTokens = cachedPrefixTokens;
    this.chunkEnd = chunkEnd;
  }
}

/**
 * A KV allocation whose token range does not exist in the request (the reference would panic on the slice or
 * index). The instance never asks for one in the situations the specification describes.
 */
export class KVRangeError extends ServesimError {
  constructor(requestId: string, detail: string) {
    super(
      `KV allocation out of range for ${requestId}: ${detail} — the reference simulator crashes here ` +
        `(slice/index out of range)`,
      GO_PANIC_EXIT_CODE,
    );
    this.name = 'KVRangeError';
  }
}
