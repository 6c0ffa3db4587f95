// Spec v2 request generation (docs/spec-notes.md, Workload DSL).
//
// The reference generates every client's requests up to its cap (2 × maxRequests) and then keeps the earliest
// maxRequests after a stable sort. Each client draws from its own RNG, so a client's request k depends only on
// its own earlier draws; we therefore merge the clients lazily in arrival order and stop drawing as soon as the
// first maxRequests arrivals are final. The output is identical (see `generateSpecWorkloadLiteral`, which
// follows the reference step by step and is compared against this in tests), at a fraction of the cost.
import { ServesimError } from '../errors.js';
import { GoRand, deriveStreamSeed, type Int64Seed } from '../rng/index.js';
import type { GeneratedRequest, RequestStream } from '../types.js';
import { expandInferencePerf } from './inference-perf.js';
import { upgradeV1Spec } from './load-spec.js';
import {
  SamplerConfigError,
  buildArrivalSampler,
  buildLengthSampler,
  type ArrivalSampler,
  type LengthSampler,
} from './samplers.js';
import type { ClientSpec, DistSpec, WorkloadSpec } from './spec.js';
import { validateWorkloadSpec } from './validate.js';

export const GENERATE_PREFIX = 'Failed to generate workload: ';
const DEFAULT_PREFIX_LENGTH = 50;
/** Larger lengths would make the reference allocate gigabytes (or panic); we refuse them instead. */
const MAX_TOKENS_PER_REQUEST = 1 << 28;

export interface SpecGenerationOptions {
  /** The seed actually used: `--seed` when given explicitly, else the spec's seed (docs/reference-quirks.md, quirk 41). */
  seed: Int64Seed;
  /**
   * Ticks; `Infinity` = unbounded (as is anything ≥ 2^63-1, the reference's MaxInt64 default, which a CLI may
   * pass through as a number). Arrivals at t >= horizon are not generated.
   */
  horizon: number;
  /** Request cap; 0 = unlimited (then the horizon must be finite). */
  maxRequests: number;
}

/** What the CLI knows: each value is present only when its flag was given explicitly. */
export interface SpecGenerationOverrides {
  seed?: Int64Seed;
  horizon?: number;
  numRequests?: number;
}

/**
 * Combine explicit CLI values with the spec's seed, horizon and num_requests (docs/spec-notes.md, Seed, horizon and
 * request cap; docs/reference-quirks.md, quirk 41).
 */
export function resolveSpecGenerationOptions(
  spec: WorkloadSpec,
  overrides: SpecGenerationOverrides = {},
): SpecGenerationOptions {
  return {
    seed: overrides.seed ?? spec.seed,
    horizon: overrides.horizon ?? (spec.horizon > 0 ? spec.horizon : Infinity),
    maxRequests: overrides.numRequests ?? spec.numRequests,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-client state

/**
 * Hands out token arrays as views of large shared chunks: one backing-store allocation per 256 KiB instead
 * of one per request (allocating thousands of small typed arrays was a measurable share of generation time).
 * Consumers that look at `.buffer` must honour `byteOffset`/`byteLength`.
 */
class TokenArena {
  private static readonly CHUNK_TOKENS = 1 << 16;
  private chunk = new Int32Array(0);
  private used = 0;

  take(length: number): Int32Array {
    if (this.used + length > this.chunk.length) {
      this.chunk = new Int32Array(Math.max(TokenArena.CHUNK_TOKENS, length));
      this.used = 0;
    }
    const view = this.chunk.subarray(this.used, this.used + length);
    this.used += length;
    return view;
  }
}

interface DraftRequest {
  arrivalTime: number;
  clientIndex: number;
  /** Generation order within the client: the stable-sort tie-breaker. */
  seq: number;
  inputTokens: Int32Array;
  outputTokens: Int32Array;
  sessionId: string;
  roundIndex: number;
  /** The client's shared prefix when `inputTokens` starts with it (one array for the whole prefix group). */
  sharedPrefix: Int32Array | null;
}

interface MultimodalSamplers {
  text: LengthSampler | null;
  /** [per-item, count] pairs for image, audio, video — only those with both types set. */
  media: Array<[LengthSampler, LengthSampler]>;
}

interface SessionPlan {
  maxRounds: number;
  thinkTimeUs: number;
  accumulate: boolean;
  reasonRatio: LengthSampler | null;
}

class ClientRun {
  /** Current time; after `advance()` it is the arrival of the next unit (request or session start). */
  t = 0;
  count = 0;
  active = true;
  nextSeq = 0;
  readonly lastWindowEnd: number;

  constructor(
    readonly index: number,
    readonly spec: ClientSpec,
    readonly rng: GoRand,
    readonly arrival: ArrivalSampler,
    readonly input: LengthSampler,
    readonly output: LengthSampler,
    readonly prefix: Int32Array | null,
    readonly session: SessionPlan | null,
    readonly multimodal: MultimodalSamplers | null,
    private readonly horizon: number,
    private readonly perClientCap: number,
    private readonly arena: TokenArena,
  ) {
    const windows = spec.lifecycle?.windows;
    this.lastWindowEnd = windows ? windows.reduce((m, w) => Math.max(m, w.endUs), -Infinity) : Infinity;
  }

  private inLifecycleWindow(t: number): boolean {
    return this.spec.lifecycle!.windows.some((w) => w.startUs <= t && t < w.endUs);
  }

  /** Moves to the next kept arrival, or deactivates the client (cap, horizon, or past its last window). */
  advance(): void {
    if (!(this.t < this.horizon)) {
      this.active = false;
      return;
    }
    for (;;) {
      if (this.perClientCap > 0 && this.count >= this.perClientCap) break;
      this.t += this.arrival.sampleIat(this.rng);
      if (this.t >= this.horizon) break;
      // Lifecycle windows apply to single-request clients only (multi-turn clients ignore them).
      if (this.session === null && this.spec.lifecycle !== undefined) {
        // Improvement over the reference, which loops forever here when the horizon is unbounded: no later
        // arrival can fall in a window, and nothing this client draws is observable elsewhere.
        if (this.t >= this.lastWindowEnd) break;
        if (!this.inLifecycleWindow(this.t)) continue;
      }
      return;
    }
    this.active = false;
  }

  /** Generates the unit at `this.t` (one request, or all rounds of one session). */
  generateUnit(): DraftRequest[] {
    const drafts = this.session ? this.generateSession(this.session) : [this.generateRequest()];
    this.count += drafts.length;
    return drafts;
  }

  private draft(
    arrivalTime: number,
    input: Int32Array,
    output: Int32Array,
    sessionId = '',
    round = 0,
    sharedPrefix: Int32Array | null = null,
  ): DraftRequest {
    return {
      sharedPrefix,
      arrivalTime,
      clientIndex: this.index,
      seq: this.nextSeq++,
      inputTokens: input,
      outputTokens: output,
      sessionId,
      roundIndex: round,
    };
  }

  /** `count` fresh token draws, after a copy of `prefix` when given. */
  private tokens(count: number, prefix: Int32Array | null = null): Int32Array {
    const prefixLength = prefix?.length ?? 0;
    checkLength(this.spec, count);
    const out = this.arena.take(prefixLength + count);
    if (prefix) out.set(prefix);
    this.rng.fillTokens(out, prefixLength, count);
    return out;
  }

  private concat(a: Int32Array, b: Int32Array): Int32Array {
    const out = this.arena.take(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }

  private generateRequest(): DraftRequest {
    const rng = this.rng;
    if (this.multimodal) {
      const input = this.tokens(multimodalLength(this.multimodal, rng, this.spec), this.prefix);
      const output = this.tokens(this.output.sample(rng));
      return this.draft(this.t, input, output, '', 0, this.prefix);
    }
    const inLen = this.input.sample(rng);
    const outLen = this.output.sample(rng);
    const input = this.tokens(inLen, this.prefix);
    const output = this.tokens(outLen);
    return this.draft(this.t, input, output, '', 0, this.prefix);
  }

  private generateSession(plan: SessionPlan): DraftRequest[] {
    const rng = this.rng;
    const sessionId = `sess_${rng.int63()}`;
    const drafts: DraftRequest[] = [];
    let time = this.t;
    let context: Int32Array = new Int32Array(0);
    for (let round = 0; round < plan.maxRounds; round++) {
      const inLen = this.input.sample(rng);
      const outLen = this.output.sample(rng);
      const newInput = this.tokens(inLen);
      const output = this.tokens(outLen);
      const input = plan.accumulate && round > 0 ? this.concat(context, newInput) : newInput;
      plan.reasonRatio?.sample(rng); // metadata only in the reference, but it consumes draws
      drafts.push(this.draft(time, input, output, sessionId, round));
      if (plan.accumulate) context = this.concat(input, output);
      time += plan.thinkTimeUs + outLen;
    }
    return drafts;
  }
}


function clientLabel(spec: ClientSpec): string {
  return `client ${JSON.stringify(spec.id)}`;
}

function checkLength(spec: ClientSpec, length: number): void {
  if (length < 0 || length > MAX_TOKENS_PER_REQUEST) {
    throw new ServesimError(
      `${GENERATE_PREFIX}${clientLabel(spec)}: sampled a request length of ${length} tokens; ` +
        `lengths must be in [0, ${MAX_TOKENS_PER_REQUEST}] — check the distribution parameters`,
    );
  }
}

function multimodalLength(samplers: MultimodalSamplers, rng: GoRand, spec: ClientSpec): number {
  let total = samplers.text ? samplers.text.sample(rng) : 0;
  for (const [item, count] of samplers.media) {
    const n = count.sample(rng);
    checkLength(spec, n);
    for (let i = 0; i < n; i++) total += item.sample(rng);
  }
  return total === 0 ? 1 : total;
}

function buildSampler(spec: ClientSpec, what: string, dist: DistSpec): LengthSampler {
  try {
    return buildLengthSampler(dist);
  } catch (err) {
    if (err instanceof SamplerConfigError) {
      throw new ServesimError(`${GENERATE_PREFIX}${clientLabel(spec)} ${what}: ${err.message}`);
    }
    throw err;
  }
}

function buildMultimodal(spec: ClientSpec): MultimodalSamplers | null {
  const mm = spec.multimodal;
  if (!mm) return null;
  const media: Array<[LengthSampler, LengthSampler]> = [];
  const kinds = [
    ['image', mm.imageDistribution, mm.imageCountDistribution],
    ['audio', mm.audioDistribution, mm.audioCountDistribution],
    ['video', mm.videoDistribution, mm.videoCountDistribution],
  ] as const;
  const text = mm.textDistribution.type !== '' ? buildSampler(spec, 'multimodal text distribution', mm.textDistribution) : null;
  for (const [kind, item, count] of kinds) {
    if (item.type === '' || count.type === '') continue;
    media.push([
      buildSampler(spec, `multimodal ${kind} distribution`, item),
      buildSampler(spec, `multimodal ${kind} count distribution`, count),
    ]);
  }
  return { text, media };
}

/**
 * Multi-turn plan, or 'no-requests' for sessions without rounds. `deferredError` is a sampler error the
 * reference would only hit once it generates this client's first session.
 */
function buildSessionPlan(
  spec: ClientSpec,
  index: number,
  horizon: number,
): { plan: SessionPlan | null | 'no-requests'; deferredError?: unknown } {
  const mt = spec.reasoning?.multiTurn;
  if (!mt) return { plan: null };
  if (mt.maxRounds <= 0) {
    if (horizon === Infinity) {
      throw new ServesimError(
        `${GENERATE_PREFIX}client[${index}] (${clientLabel(spec)}): reasoning.multi_turn.max_rounds must be >= 1 ` +
          `when the horizon is unbounded, got ${mt.maxRounds} (sessions without rounds would never reach the request cap)`,
      );
    }
    return { plan: 'no-requests' };
  }
  const ratio = spec.reasoning!.reasonRatioDistribution;
  let reasonRatio: LengthSampler | null = null;
  let deferredError: unknown;
  if (ratio.type !== '') {
    try {
      reasonRatio = buildSampler(spec, 'reason ratio distribution', ratio);
    } catch (err) {
      deferredError = err;
    }
  }
  const plan = { maxRounds: mt.maxRounds, thinkTimeUs: mt.thinkTimeUs, accumulate: mt.contextGrowth === 'accumulate', reasonRatio };
  return { plan, deferredError };
}

// ---------------------------------------------------------------------------------------------------------------
// Setup shared by both generation strategies

const MAX_INT64_AS_NUMBER = 2 ** 63;

/** Validates the options and maps MaxInt64-like horizons to Infinity. */
function checkOptions(options: SpecGenerationOptions): SpecGenerationOptions {
  const { maxRequests } = options;
  let { horizon } = options;
  if (typeof horizon !== 'number' || Number.isNaN(horizon)) {
    throw new ServesimError(`${GENERATE_PREFIX}horizon must be a number of ticks or Infinity, got ${String(horizon)}`);
  }
  if (horizon >= MAX_INT64_AS_NUMBER) horizon = Infinity;
  if (!Number.isSafeInteger(maxRequests)) {
    throw new ServesimError(`${GENERATE_PREFIX}maxRequests must be an integer, got ${String(maxRequests)}`);
  }
  if (maxRequests <= 0 && horizon === Infinity) {
    throw new ServesimError(
      '--workload-spec requires either num_requests (in YAML or --num-requests) or --horizon to bound generation',
    );
  }
  if (maxRequests < 0) {
    throw new ServesimError(`${GENERATE_PREFIX}maxRequests must be non-negative, got ${maxRequests}`);
  }
  return { ...options, horizon };
}

/** The generation steps (docs/spec-notes.md, Generation order) up to (and including) each client's first arrival. */
function prepareClients(specIn: WorkloadSpec, optionsIn: SpecGenerationOptions): ClientRun[] {
  const options = checkOptions(optionsIn);
  if (specIn.servegenData !== undefined) {
    throw new ServesimError(
      `${GENERATE_PREFIX}servegen_data is not supported (servegen_data.path = ${JSON.stringify(specIn.servegenData.path)}); ` +
        'describe the ServeGen clients inline with empirical input/output distributions instead',
    );
  }
  const expanded = specIn.clients.length === 0 && specIn.inferencePerf ? expandInferencePerf(specIn) : specIn;
  const { spec } = upgradeV1Spec(expanded);
  validateWorkloadSpec(spec);

  const { horizon, maxRequests } = options;
  const gen = new GoRand(deriveStreamSeed(options.seed, 'workload-gen'));

  let fractionSum = 0;
  for (const c of spec.clients) fractionSum += c.rateFraction;

  // Step 4: shared prefixes, drawn in client order; the first client of a group decides its length.
  const prefixes = new Map<string, Int32Array>();
  for (const c of spec.clients) {
    if (c.prefixGroup === '' || prefixes.has(c.prefixGroup)) continue;
    const length = c.prefixLength > 0 ? c.prefixLength : DEFAULT_PREFIX_LENGTH;
    checkLength(c, length);
    const tokens = new Int32Array(length);
    gen.fillTokens(tokens, 0, length);
    prefixes.set(c.prefixGroup, tokens);
  }

  const perClientCap = maxRequests > 0 ? 2 * maxRequests : 0;
  const arena = new TokenArena();
  const runs: ClientRun[] = [];
  spec.clients.forEach((c, index) => {
    const rate = (spec.aggregateRate * (c.rateFraction / fractionSum)) / 1e6;
    if (!(rate > 0)) return;
    const rng = new GoRand(gen.int63());
    let arrival: ArrivalSampler;
    try {
      arrival = buildArrivalSampler(c.arrival, rate);
    } catch (err) {
      if (err instanceof SamplerConfigError) throw new ServesimError(`${GENERATE_PREFIX}${clientLabel(c)} arrival: ${err.message}`);
      throw err;
    }
    const input = buildSampler(c, 'input distribution', c.inputDistribution);
    const output = buildSampler(c, 'output distribution', c.outputDistribution);
    const { plan: session, deferredError: sessionError } = buildSessionPlan(c, index, horizon);
    if (session === 'no-requests') return;
    let multimodal: MultimodalSamplers | null = null;
    let multimodalError: unknown;
    if (session === null) {
      try {
        multimodal = buildMultimodal(c);
      } catch (err) {
        multimodalError = err;
      }
    }
    const prefix = session === null && c.prefixGroup !== '' ? prefixes.get(c.prefixGroup)! : null;
    const run = new ClientRun(index, c, rng, arrival, input, output, prefix, session, multimodal, horizon, perClientCap, arena);
    run.advance();
    // The reference builds these samplers while generating the client's first request or session; report
    // their errors in the same client order, even if that request would later be cut by maxRequests.
    if (run.active && sessionError !== undefined) throw sessionError;
    if (run.active && multimodalError !== undefined) throw multimodalError;
    runs.push(run);
  });
  return runs;
}

function toGenerated(d: DraftRequest, spec: ClientSpec, k: number): GeneratedRequest {
  return {
    id: `request_${k}`,
    arrivalTime: d.arrivalTime,
    inputTokens: d.inputTokens,
    outputTokens: d.outputTokens,
    sloClass: spec.sloClass,
    tenantId: spec.tenantId,
    model: spec.model,
    // Multi-turn requests do not carry the client's streaming flag (docs/reference-quirks.md, quirk 40).
    streaming: d.sessionId === '' ? spec.streaming : false,
    sessionId: d.sessionId,
    roundIndex: d.roundIndex,
    sharedPrefix: d.sharedPrefix,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Lazy merge

/** Orders by (arrival, client, generation order) — the final order of the reference's stable sort. */
function draftBefore(a: DraftRequest, b: DraftRequest): boolean {
  if (a.arrivalTime !== b.arrivalTime) return a.arrivalTime < b.arrivalTime;
  if (a.clientIndex !== b.clientIndex) return a.clientIndex < b.clientIndex;
  return a.seq < b.seq;
}

function runBefore(a: ClientRun, b: ClientRun): boolean {
  return a.t !== b.t ? a.t < b.t : a.index < b.index;
}

/** Minimal binary min-heap. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && this.before(h[l + 1]!, h[l]!) ? l + 1 : l;
        if (!this.before(h[c]!, h[i]!)) break;
        [h[i], h[c]] = [h[c]!, h[i]!];
        i = c;
      }
    }
    return top;
  }
}

/**
 * The requests of a spec in arrival order, generated while they are asked for: a long run holds only the requests
 * it has reached. Every invalid input that generation can detect before the first request is reported by the
 * constructor; a sampled length out of range is reported when that request is generated.
 */
export class SpecRequestStream implements RequestStream {
  readonly expectedCount: number | undefined;
  private readonly limit: number;
  private readonly runs: ClientRun[];
  private readonly specs: Map<number, ClientSpec>;
  private readonly frontier = new MinHeap<ClientRun>(runBefore);
  // Generated requests that some client with an earlier frontier could still precede (only multi-turn rounds).
  private readonly pending = new MinHeap<DraftRequest>(draftBefore);
  private emitted = 0;

  constructor(spec: WorkloadSpec, options: SpecGenerationOptions) {
    this.runs = prepareClients(spec, options);
    this.specs = new Map(this.runs.map((r) => [r.index, r.spec]));
    this.limit = options.maxRequests > 0 ? options.maxRequests : Infinity;
    this.expectedCount = options.maxRequests > 0 ? options.maxRequests : undefined;
    for (const r of this.runs) if (r.active) this.frontier.push(r);
  }

  next(): GeneratedRequest | undefined {
    const draft = this.nextDraft();
    if (draft === undefined) return undefined;
    return toGenerated(draft, this.specs.get(draft.clientIndex)!, this.emitted++);
  }

  private nextDraft(): DraftRequest | undefined {
    if (this.emitted >= this.limit) return undefined;
    const { frontier, pending } = this;
    for (;;) {
      const next = frontier.peek();
      if (next === undefined) return pending.pop();
      // Every future request has a key ≥ (next.t, next.index, next.nextSeq), so earlier pending ones are final.
      // (Pending requests of `next` itself always have a smaller sequence number than its next unit.)
      const p = pending.peek();
      if (p !== undefined && (p.arrivalTime !== next.t ? p.arrivalTime < next.t : p.clientIndex <= next.index)) {
        return pending.pop();
      }
      frontier.pop();
      const drafts = next.generateUnit();
      next.advance();
      if (next.active) frontier.push(next);
      // A single request sits exactly at the minimum frontier and after every flushed one: it is final already.
      if (next.session === null) return drafts[0]!;
      for (const d of drafts) pending.push(d);
    }
  }
}

/**
 * Generates the requests of a validated-or-not spec (it is expanded, v1-upgraded and validated here too).
 * Throws ServesimError for every invalid input.
 */
export function generateSpecWorkload(spec: WorkloadSpec, options: SpecGenerationOptions): GeneratedRequest[] {
  const stream = new SpecRequestStream(spec, options);
  const out: GeneratedRequest[] = [];
  for (let req = stream.next(); req !== undefined; req = stream.next()) out.push(req);
  return out;
}

/**
 * The reference algorithm verbatim: every client generates up to its cap, then a stable sort by arrival and
 * truncation. Slower; kept as the executable specification that `generateSpecWorkload` is tested against.
 */
export function generateSpecWorkloadLiteral(spec: WorkloadSpec, options: SpecGenerationOptions): GeneratedRequest[] {
  const runs = prepareClients(spec, options);
  const all: DraftRequest[] = [];
  for (const r of runs) {
    while (r.active) {
      all.push(...r.generateUnit());
      r.advance();
    }
  }
  all.sort((a, b) => a.arrivalTime - b.arrivalTime); // Array.prototype.sort is stable
  if (options.maxRequests > 0) all.length = Math.min(all.length, options.maxRequests);
  const specs = new Map(runs.map((r) => [r.index, r.spec]));
  return all.map((d, k) => toGenerated(d, specs.get(d.clientIndex)!, k));
}
