import type { EngineConfig, KVStore } from '../types.js';
import { GpuKVStore } from './gpu-store.js';
import type { PrefixInterner } from './prefix.js';
import { TieredKVStore } from './tiered-store.js';

export { KVRangeError, KVReloadOverflowError } from './errors.js';
export { GpuKVStore, NO_BLOCK, NO_HASH, type BlockInfo } from './gpu-store.js';
export { DEFAULT_COLLECT_MIN_NODES, EMPTY_SEQUENCE_ID, PrefixInterner, SequenceIdBuilder, type MarkId, type RootProvider } from './prefix.js';
export { TieredKVStore, type TieredKVOptions } from './tiered-store.js';

/** A KV store that can audit its own consistency (both implementations). */
export interface CheckedKVStore extends KVStore {
  /** One message per violated invariant; empty when consistent. */
  invariantViolations(): string[];
  /** Throws an Error listing every violated invariant. */
  checkInvariants(): void;
}

/** The KV store of one instance: tiered iff `kvCpuBlocks > 0` (docs/spec-notes.md, CPU tier). */
export function createKVStore(engine: EngineConfig, interner: PrefixInterner): CheckedKVStore {
  if (engine.kvCpuBlocks > 0) {
    return new TieredKVStore(engine.totalKvBlocks, engine.blockSize, interner, {
      cpuBlocks: engine.kvCpuBlocks,
      offloadThreshold: engine.kvOffloadThreshold,
      transferBandwidth: engine.kvTransferBandwidth,
      transferBaseLatency: engine.kvTransferBaseLatency,
    });
  }
  return new GpuKVStore(engine.totalKvBlocks, engine.blockSize, interner);
}
