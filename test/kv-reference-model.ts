// A deliberately naive, literal transcription of the KV cache rules (docs/spec-notes.md, KV cache rules; quirks
// 10 and 20–24 of docs/reference-quirks.md) used as a differential oracle for src/kv.
// Hashes are the token prefixes themselves (decimal ids joined by '|'), i.e. exactly the equality structure of
// the reference's HashTokens; the free list is a plain array (index 0 = head). Slow and obviously-correct-ish.

import type { SimRequest } from '../src/types.js';

export const key = (tokens: ArrayLike<number>): string => Array.from(tokens).join('|');

export interface ModelBlock {
  refCount: number;
  inUse: boolean;
  hash: string; // '' = none
  tokens: number[];
}

export class ModelGpuStore {
  readonly blocks: ModelBlock[];
  free: number[];
  readonly requestMap = new Map<number, number[]>();
  readonly hashToBlock = new Map<string, number>();
  usedCount = 0;
  cacheHits = 0;
  cacheMisses = 0;

  constructor(
    readonly total: number,
    readonly B: number,
  ) {
    this.blocks = Array.from({ length: total }, () => ({ refCount: 0, inUse: false, hash: '', tokens: [] }));
    this.free = Array.from({ length: total }, (_, i) => i);
  }

  getCachedBlocks(req: SimRequest): number[] {
    const out: number[] = [];
    const n = Math.floor(req.inputTokens.length / this.B);
    for (let i = 0; i < n; i++) {
      const b = this.hashToBlock.get(key(req.inputTokens.subarray(0, (i + 1) * this.B)));
      if (b === undefined) break;
      out.push(b);
    }
    return out;
  }

  pop(): number | undefined {
    const b = this.free.shift();
    if (b === undefined) return undefined;
    const blk = this.blocks[b];
    if (blk.hash !== '') {
      this.hashToBlock.delete(blk.hash);
      blk.hash = '';
    }
    blk.tokens = [];
    return b;
  }

  allocate(req: SimRequest, start: number, end: number, cached: readonly number[]): boolean {
    const B = this.B;
    const input = Array.from(req.inputTokens);
    const prefill = req.progressIndex < input.length;
    let newTokens: number[];
    if (prefill) {
      if (start > end) throw new Error('slice bounds out of range');
      newTokens = input.slice(start, end);
      if (Math.ceil(newTokens.length / B) > this.total - this.usedCount) return false;
    } else {
      newTokens = [req.outputTokens[start - input.length]];
    }
    const newlyAllocated: Array<{ b: number; prevHash: string }> = [];
    const attached: Array<{ b: number; wasInUse: boolean }> = [];
    let p = 0;
    while (p < newTokens.length) {
      const list = this.requestMap.get(req.index);
      let last: ModelBlock | null = null;
      if (list !== undefined && list.length > 0) {
        last = this.blocks[list[list.length - 1]];
      } else {
        const fresh = list ?? [];
        this.requestMap.set(req.index, fresh);
        for (const c of cached) {
          const blk = this.blocks[c];
          blk.refCount++;
          const wasInUse = blk.inUse;
          if (!blk.inUse) {
            blk.inUse = true;
            this.usedCount++;
            this.free.splice(this.free.indexOf(c), 1);
          }
          this.cacheHits++;
          fresh.push(c);
          attached.push({ b: c, wasInUse });
        }
      }
      if (last !== null && last.tokens.length > 0 && last.tokens.length < B) {
        const take = Math.min(B - last.tokens.length, newTokens.length - p);
        last.tokens.push(...newTokens.slice(p, p + take));
        p += take;
        if (last.tokens.length === B) {
          const all: number[] = [];
          for (const id of this.requestMap.get(req.index)!) all.push(...this.blocks[id].tokens);
          last.hash = key(all);
          this.hashToBlock.set(last.hash, this.requestMap.get(req.index)!.at(-1)!);
        }
        continue;
      }
      const remaining = newTokens.length - p;
      if (remaining <= 0) break;
      const count = Math.ceil(remaining / B);
      for (let j = 0; j < count; j++) {
        const prevHash = this.free.length > 0 ? this.blocks[this.free[0]].hash : '';
        const b = this.pop();
        if (b === undefined) {
          this.rollback(req, newlyAllocated, attached);
          return false;
        }
        const blk = this.blocks[b];
        blk.tokens = newTokens.slice(p, Math.min(p + B, newTokens.length));
        blk.refCount = 1;
        blk.inUse = true;
        this.usedCount++;
        this.cacheMisses++;
        if (blk.tokens.length === B && prefill) {
          blk.hash = key(input.slice(0, start + p + B));
          this.hashToBlock.set(blk.hash, b);
        }
        this.requestMap.get(req.index)!.push(b);
        newlyAllocated.push({ b, prevHash });
        p = Math.min(p + B, newTokens.length);
      }
    }
    return true;
  }

  private rollback(
    req: SimRequest,
    newlyAllocated: Array<{ b: number; prevHash: string }>,
    attached: Array<{ b: number; wasInUse: boolean }>,
  ): void {
    for (let i = newlyAllocated.length - 1; i >= 0; i--) {
      const { b, prevHash } = newlyAllocated[i];
      const blk = this.blocks[b];
      if (blk.hash !== '') this.hashToBlock.delete(blk.hash);
      blk.hash = prevHash;
      if (prevHash !== '') this.hashToBlock.set(prevHash, b);
      blk.inUse = false;
      blk.refCount = 0;
      blk.tokens = [];
      this.usedCount--;
      this.cacheMisses--;
      this.free.unshift(b);
    }
    for (let i = attached.length - 1; i >= 0; i--) {
      const { b, wasInUse } = attached[i];
      const blk = this.blocks[b];
      blk.refCount--;
      this.cacheHits--;
      if (!wasInUse && blk.refCount === 0) {
        blk.inUse = false;
        this.usedCount--;
        this.free.push(b);
      }
    }
    this.requestMap.delete(req.index);
  }

  release(req: SimRequest): void {
    const list = this.requestMap.get(req.index);
    if (list === undefined) return;
    this.requestMap.delete(req.index);
    for (let i = list.length - 1; i >= 0; i--) {
      const blk = this.blocks[list[i]];
      blk.refCount--;
      if (blk.refCount === 0) {
        blk.inUse = false;
        this.usedCount--;
        this.free.push(list[i]);
      }
    }
  }

  hitRate(): number {
    const d = this.cacheHits + this.cacheMisses;
    return d === 0 ? 0 : this.cacheHits / d;
  }
}

export class ModelReloadCrash extends Error {}

export class ModelTieredStore {
  readonly gpu: ModelGpuStore;
  readonly cpu = new Map<number, { tokens: number[]; hash: string; offloadTime: number }>();
  cpuUsed = 0;
  pendingLatency = 0;
  clock = 0;
  offloadCount = 0;
  cpuHits = 0;
  cpuMisses = 0;
  thrashCount = 0;

  constructor(
    total: number,
    B: number,
    readonly cpuCap: number,
    readonly theta: number,
    readonly bw: number,
    readonly lat0: number,
  ) {
    this.gpu = new ModelGpuStore(total, B);
  }

  allocate(req: SimRequest, start: number, end: number, cached: readonly number[]): boolean {
    if (this.gpu.allocate(req, start, end, cached)) return true;
    const reloaded = this.reload();
    if (reloaded === 0) {
      this.cpuMisses++;
      return false;
    }
    const newCached = this.gpu.getCachedBlocks(req);
    const c = newCached.length * this.gpu.B;
    if (c > start) {
      if (c > end) throw new ModelReloadCrash();
      return this.gpu.allocate(req, c, end, newCached);
    }
    return this.gpu.allocate(req, start, end, cached);
  }

  private reload(): number {
    let reloaded = 0;
    const ids = [...this.cpu.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const entry = this.cpu.get(id)!;
      if (entry.hash === '' || this.gpu.hashToBlock.has(entry.hash)) continue;
      const b = this.gpu.pop();
      if (b === undefined) break;
      const blk = this.gpu.blocks[b];
      blk.tokens = [...entry.tokens];
      blk.hash = entry.hash;
      blk.refCount = 0;
      blk.inUse = false;
      this.gpu.hashToBlock.set(entry.hash, b);
      this.gpu.free.push(b);
      this.pendingLatency += this.lat0 + Math.ceil(this.gpu.B / this.bw);
      if (this.clock - entry.offloadTime < 1000) this.thrashCount++;
      this.cpu.delete(id);
      this.cpuUsed--;
      this.cpuHits++;
      reloaded++;
    }
    return reloaded;
  }

  release(req: SimRequest): void {
    this.gpu.release(req);
    const g = this.gpu;
    while (g.usedCount / g.total > this.theta && this.cpuUsed < this.cpuCap) {
      const b = g.free.find((id) => g.blocks[id].hash !== '');
      if (b === undefined) break;
      const blk = g.blocks[b];
      this.cpu.set(b, { tokens: [...blk.tokens], hash: blk.hash, offloadTime: this.clock });
      this.cpuUsed++;
      this.offloadCount++;
      g.free.splice(g.free.indexOf(b), 1);
      g.hashToBlock.delete(blk.hash);
      blk.hash = '';
      blk.tokens = [];
      g.free.push(b);
    }
  }

  consume(): number {
    const l = this.pendingLatency;
    this.pendingLatency = 0;
    return l;
  }

  hitRate(): number {
    const hits = this.gpu.cacheHits + this.cpuHits;
    const d = hits + this.gpu.cacheMisses + this.cpuMisses;
    return d === 0 ? 0 : hits / d;
  }

  thrashRate(): number {
    return this.offloadCount === 0 ? 0 : this.thrashCount / this.offloadCount;
  }
}
