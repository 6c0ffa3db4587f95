// Micro-benchmark of the KV store hot paths (src/kv). Build and run:
//   npx tsc -p bench/tsconfig.kv-micro.json && node --expose-gc out/bench-kv/bench/kv-micro.js
// Optional arguments: [rounds] [section]. Reports ops/s for the calls the instance makes every step, and the resident memory of 8 instance stores
// sized like the strategy-evolution runs (132139 GPU blocks, 44000 CPU blocks, B = 16).

import { createKVStore, PrefixInterner } from '../src/kv/index.js';
import { createSimRequest } from '../src/instance/sim-request.js';
import { unlabelledRequest } from '../src/workload/unlabelled-request.js';
import type { EngineConfig, KVStore, SimRequest } from '../src/types.js';

const BLOCK_SIZE = 16;
const engine: EngineConfig = {
  totalKvBlocks: 132139,
  blockSize: BLOCK_SIZE,
  maxRunningReqs: 256,
  maxScheduledTokens: 2048,
  longPrefillTokenThreshold: 256,
  kvCpuBlocks: 44000,
  kvOffloadThreshold: 0.9,
  kvTransferBandwidth: 100,
  kvTransferBaseLatency: 0,
};

/** xorshift32: deterministic token ids without depending on the simulator's RNG module. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function makeRequests(count: number, seed: number): SimRequest[] {
  const random = rng(seed);
  const systemPrompts = Array.from({ length: 8 }, () => Array.from({ length: 256 }, () => Math.floor(random() * 128000)));
  const requests: SimRequest[] = [];
  for (let index = 0; index < count; index++) {
    const inputLength = 200 + Math.floor(random() * 1200);
    const outputLength = 10 + Math.floor(random() * 240);
    const input = new Int32Array(inputLength);
    const system = systemPrompts[index % systemPrompts.length];
    for (let i = 0; i < inputLength; i++) input[i] = i < 256 ? system[i] : Math.floor(random() * 128000);
    const output = Int32Array.from({ length: outputLength }, () => Math.floor(random() * 128000));
    requests.push(createSimRequest(unlabelledRequest(`request_${index}`, 0, input, output), index));
  }
  return requests;
}

interface RunCounts {
  allocateCalls: number;
  getCachedCalls: number;
  releases: number;
  steps: number;
}

/** A simplified instance loop (chunked prefill, decode, completion) driving one store over its requests. */
function emulateInstance(store: KVStore, requests: SimRequest[]): RunCounts {
  const counts: RunCounts = { allocateCalls: 0, getCachedCalls: 0, releases: 0, steps: 0 };
  const waiting = [...requests];
  let running: SimRequest[] = [];
  while (waiting.length > 0 || running.length > 0) {
    counts.steps++;
    let budget = engine.maxScheduledTokens;
    for (const r of running) {
      const inputLength = r.inputTokens.length;
      if (r.progressIndex < inputLength) {
        const n = Math.min(inputLength - r.progressIndex, engine.longPrefillTokenThreshold, budget);
        if (n <= 0) continue;
        counts.allocateCalls++;
        if (!store.allocate(r, r.progressIndex, r.progressIndex + n, [])) throw new Error('bench: out of KV');
        r.numNewTokens = n;
        budget -= n;
      } else {
        counts.allocateCalls++;
        if (!store.allocate(r, r.progressIndex, r.progressIndex + 1, [])) throw new Error('bench: out of KV');
        r.numNewTokens = 1;
        budget -= 1;
      }
    }
    while (waiting.length > 0 && running.length < engine.maxRunningReqs && budget > 0) {
      const r = waiting[0];
      counts.getCachedCalls++;
      const cached = store.getCachedBlocks(r);
      const start = cached.length * BLOCK_SIZE;
      const n = Math.min(r.inputTokens.length - start, engine.longPrefillTokenThreshold, budget);
      counts.allocateCalls++;
      if (!store.allocate(r, start, start + n, cached)) break;
      waiting.shift();
      running.push(r);
      r.progressIndex = start;
      r.numNewTokens = n;
      budget -= n;
    }
    const remaining: SimRequest[] = [];
    for (const r of running) {
      if (r.progressIndex < r.inputTokens.length) r.progressIndex += r.numNewTokens;
      else r.progressIndex++;
      if (r.progressIndex === r.inputTokens.length + r.outputTokens.length - 1) {
        counts.allocateCalls++;
        store.allocate(r, r.progressIndex, r.progressIndex + 1, []);
        store.release(r);
        counts.releases++;
      } else {
        remaining.push(r);
      }
    }
    running = remaining;
  }
  return counts;
}

function timeIt<T>(fn: () => T): { result: T; seconds: number } {
  const t0 = process.hrtime.bigint();
  const result = fn();
  return { result, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const rate = (ops: number, seconds: number): string => `${(ops / seconds / 1e6).toFixed(2)} M ops/s`;

function main(): void {
  const rounds = Number(process.argv[2] ?? 5);
  // Optional section filter (ids, prefix, decode, cached, instance, memory); memory is best measured alone.
  const only = process.argv[3];
  const run = (section: string) => only === undefined || only === section;

  // 1. Prefix identities (what the router and the first getCachedBlocks pay per request).
  if (run('prefix')) {
    let best = Infinity;
    let tokens = 0;
    for (let k = 0; k < rounds; k++) {
      const requests = makeRequests(1000, 7 + k);
      const interner = new PrefixInterner(BLOCK_SIZE);
      tokens = requests.reduce((sum, r) => sum + r.inputTokens.length, 0);
      const { seconds } = timeIt(() => {
        for (const r of requests) interner.inputPrefixIds(r);
      });
      best = Math.min(best, seconds);
    }
    console.log(`inputPrefixIds (cold, 1000 requests, ${tokens} tokens): ${(tokens / best / 1e6).toFixed(1)} M tokens/s`);
  }

  // 2. Decode-only: the per-step call for every running request.
  for (const tiered of run('decode') ? [false, true] : []) {
    let best = Infinity;
    let ops = 0;
    for (let k = 0; k < rounds; k++) {
      const requests = makeRequests(256, 11 + k);
      const store = createKVStore({ ...engine, kvCpuBlocks: tiered ? engine.kvCpuBlocks : 0 }, new PrefixInterner(BLOCK_SIZE));
      for (const r of requests) {
        store.allocate(r, 0, r.inputTokens.length, store.getCachedBlocks(r));
        r.progressIndex = r.inputTokens.length;
      }
      const steps = 200;
      ops = 0;
      const { seconds } = timeIt(() => {
        for (let s = 0; s < steps; s++) {
          for (const r of requests) {
            if (r.progressIndex >= r.inputTokens.length + r.outputTokens.length) continue;
            store.allocate(r, r.progressIndex, r.progressIndex + 1, []);
            r.progressIndex++;
            ops++;
          }
        }
      });
      best = Math.min(best, seconds);
    }
    console.log(`decode allocate (${tiered ? 'tiered' : 'single-tier'}, 256 running): ${rate(ops, best)}`);
  }

  // 3. getCachedBlocks on a fully cached long prompt.
  if (run('cached')) {
    const interner = new PrefixInterner(BLOCK_SIZE);
    const store = createKVStore({ ...engine, kvCpuBlocks: 0 }, interner);
    const [owner, twin] = makeRequests(1, 3).concat(makeRequests(1, 3));
    store.allocate(owner, 0, owner.inputTokens.length, []);
    const blocks = Math.floor(twin.inputTokens.length / BLOCK_SIZE);
    let best = Infinity;
    const calls = 20000;
    for (let k = 0; k < rounds; k++) {
      const { seconds } = timeIt(() => {
        for (let i = 0; i < calls; i++) store.getCachedBlocks(twin);
      });
      best = Math.min(best, seconds);
    }
    console.log(`getCachedBlocks (${blocks}-block hit): ${rate(calls, best)} (${rate(calls * blocks, best).replace('ops', 'block lookups')})`);
  }

  // 4. Emulated instance: chunked prefill + decode + completion over 1000 requests.
  for (const tiered of run('instance') ? [false, true] : []) {
    let best = Infinity;
    let counts: RunCounts | undefined;
    for (let k = 0; k < rounds; k++) {
      const requests = makeRequests(1000, 5);
      const store = createKVStore({ ...engine, kvCpuBlocks: tiered ? engine.kvCpuBlocks : 0 }, new PrefixInterner(BLOCK_SIZE));
      const run = timeIt(() => emulateInstance(store, requests));
      best = Math.min(best, run.seconds);
      counts = run.result;
    }
    if (counts === undefined) throw new Error('no rounds');
    console.log(
      `emulated instance (${tiered ? 'tiered' : 'single-tier'}, 1000 requests, ${counts.steps} steps): ` +
        `${(best * 1000).toFixed(1)} ms; ${counts.allocateCalls} allocate + ${counts.getCachedCalls} getCachedBlocks + ` +
        `${counts.releases} release → ${rate(counts.allocateCalls + counts.getCachedCalls + counts.releases, best)}`,
    );
  }

  // 5. Memory: 8 tiered instance stores of experiment size sharing one interner, 125 requests each.
  if (run('memory')) {
    const requests = makeRequests(1000, 99);
    globalThis.gc?.();
    const before = process.memoryUsage();
    const interner = new PrefixInterner(BLOCK_SIZE);
    const stores = Array.from({ length: 8 }, () => createKVStore(engine, interner));
    stores.forEach((store, i) => emulateInstance(store, requests.filter((r) => r.index % 8 === i)));
    globalThis.gc?.();
    const after = process.memoryUsage();
    const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
    console.log(
      `memory, 8 tiered stores × ${engine.totalKvBlocks} blocks after 1000 requests (requests excluded): RSS +${mib(after.rss - before.rss)} MiB ` +
        `(total ${mib(after.rss)} MiB), array buffers +${mib(after.arrayBuffers - before.arrayBuffers)} MiB, ` +
        `heap +${mib(after.heapUsed - before.heapUsed)} MiB, interner ${interner.size} ids; ` +
        `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`,
    );
    void stores;
  }
}

main();
