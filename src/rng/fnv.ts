// Stream seed derivation (docs/spec-notes.md, Random numbers; docs/architecture.md, Determinism).
import { toInt64Seed, type Int64Seed } from './go-rand.js';

const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

/** FNV-1a 64-bit over the UTF-8 bytes of `name`, reinterpreted as a signed int64. */
export function fnv1a64(name: string): bigint {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(name)) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * FNV_PRIME);
  }
  return BigInt.asIntN(64, hash);
}

/** `masterSeed XOR fnv1a64(name)` in two's complement. */
export function deriveStreamSeed(masterSeed: Int64Seed, name: string): bigint {
  return BigInt.asIntN(64, toInt64Seed(masterSeed) ^ fnv1a64(name));
}
