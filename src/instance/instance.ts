// One vLLM-like replica (docs/architecture.md, Instance step): event handlers, the 4-phase step and vLLM-style
// batch formation.
// Per-request state that the reference keeps in ID-keyed maps lives in per-run typed arrays indexed by req.index.
import { withRoomFor } from '../typed-array-growth.js';
import type { EngineConfig, KVStore, PolicyConfig, SimRequest } from '../types.js';
import type { LatencyModel } from '../latency/index.js';
import type { PreemptionPolicy, PriorityPolicy, Scheduler } from '../policies/policy.js';
import { isNamedSheddableClass } from '../policies/slo-class.js';
import { EventHeap, EventKind } from './event-heap.js';
import { TickLog } from '../metrics/tick-log.js';
import { RequestDeque } from './request-deque.js';
import { RequestStage, type RunTables } from './run-tables.js';
import { dropTokens, type FrozenTokenStore } from './frozen-tokens.js';

/** Observation passed to the optional per-step debug hook (tests). */
export interface StepObservation {
  instance: number;
  now: number;
  stepTime: number;
  stepCount: number;
  usedBlocks: number;
  totalBlocks: number;
  waitQueueLength: number;
  runningLength: number;
  preempted: number;
  scheduled: number;
  completed: number;
}

export interface InstanceOptions {
  index: number;
  engine: EngineConfig;
  sloPrefill: PolicyConfig['sloPrefill'];
  preemption: PreemptionPolicy;
  latency: LatencyModel;
  kv: KVStore;
  priority: PriorityPolicy;
  scheduler: Scheduler;
  tables: RunTables;
  /**
   * Skip recomputing queued priorities: only sound when they are identically 0 and nothing else (the router bridge)
   * ever writes a priority.
   */
  prioritiesAlwaysZero: boolean;
  /** The run's store of frozen waiting requests (null: requests keep their token arrays). */
  frozenTokens?: FrozenTokenStore | null;
  onStep?: (observation: StepObservation) => void;
}

const NO_CACHED_BLOCKS: readonly number[] = [];

export class InstanceSimulator {
  readonly index: number;
  readonly id: string;
  readonly kv: KVStore;
  readonly heap = new EventHeap();
  readonly waitQ = new RequestDeque();

  /** Timestamp of the last event executed here. */
  clock = 0;
  stepCount = 0;

  // Metrics (docs/spec-notes.md, Raw metrics).
  completed = 0;
  totalInputTokens = 0;
  totalOutputTokens = 0;
  preemptionCount = 0;
  kvAllocationFailures = 0;
  droppedUnservable = 0;
  /** ITL entries of completed requests, in completion order. */
  readonly allItls = new TickLog();
  /** Token latency (the ITL entry) of every step, by step number; see SimRequest.decodeFrom. */
  private stepLatency = new Float64Array(1024);
  /** Per-step WaitQ observations, kept as sum and count (only their mean is used). */
  waitQueueObservationSum = 0;
  stepObservationCount = 0;

  /** Requests completed by the most recent step (stall detection). */
  lastStepCompletions = 0;

  // Running batch: `running[0..runningLength)`. Slots past the length keep stale entries on purpose — batch
  // formation must read the original storage after swap-removes (ghost visits, docs/reference-quirks.md, quirk 6).
  private running: SimRequest[] = [];
  private runningLength = 0;
  private stepPending = false;

  private readonly engine: EngineConfig;
  private readonly latency: LatencyModel;
  private readonly priority: PriorityPolicy;
  private readonly scheduler: Scheduler;
  private readonly tables: RunTables;
  private readonly onStep: ((observation: StepObservation) => void) | undefined;
  private readonly otpt: number;
  private readonly sloPrefill: PolicyConfig['sloPrefill'];
  private readonly preemption: PreemptionPolicy;
  private readonly prioritiesAlwaysZero: boolean;
  private readonly frozenTokens: FrozenTokenStore | null;

  // Batch-formation scratch, reused across steps.
  private readonly preempted: SimRequest[] = [];
  private readonly scheduled: SimRequest[] = [];
  private preemptionHappened = false;

  constructor(options: InstanceOptions) {
    this.index = options.index;
    this.id = `instance_${options.index}`;
    this.kv = options.kv;
    this.engine = options.engine;
    this.latency = options.latency;
    this.priority = options.priority;
    this.scheduler = options.scheduler;
    this.tables = options.tables;
    this.onStep = options.onStep;
    this.otpt = options.latency.outputTokenProcessingTime;
    this.sloPrefill = options.sloPrefill;
    this.preemption = options.preemption;
    this.prioritiesAlwaysZero = options.prioritiesAlwaysZero;
    this.frozenTokens = options.frozenTokens ?? null;
  }

  get batchSize(): number {
    return this.runningLength;
  }

  get queueDepth(): number {
    return this.waitQ.length;
  }

  /** Current running batch (copy; diagnostics and tests). */
  runningRequests(): SimRequest[] {
    return this.running.slice(0, this.runningLength);
  }

  /** Router injection at routing time `time`. */
  inject(req: SimRequest, time: number): void {
    this.heap.push(time, EventKind.Arrival, req.index);
  }

  /** Pops and executes the head event; returns its kind. */
  processNextEvent(): EventKind {
    const heap = this.heap;
    const time = heap.peekTime();
    const kind = heap.peekKind();
    const reqIndex = heap.peekReq();
    heap.pop();
    this.clock = time;
    switch (kind) {
      case EventKind.Arrival: {
        const req = this.tables.live[reqIndex]!;
        heap.push(time + this.latency.queueingTime(req), EventKind.Queued, reqIndex);
        break;
      }
      case EventKind.Queued:
        this.enqueue(this.tables.live[reqIndex]!);
        // Deliberately not marking the step pending: same-tick QueuedEvents can start two step chains
        // (docs/reference-quirks.md, quirk 1).
        if (!this.stepPending) heap.push(time, EventKind.Step, -1);
        break;
      case EventKind.Step:
        this.step(time);
        break;
      default:
        // Scheduled / Preemption / RequestLeft only occupy the heap.
        break;
    }
    return kind;
  }

  private enqueue(req: SimRequest): void {
    const blocksNeeded = Math.ceil(req.inputLength / this.kv.blockSize);
    if (blocksNeeded > this.kv.totalBlocks) {
      this.droppedUnservable++;
      this.tables.stage[req.index] = RequestStage.Dropped;
      this.tables.release(req.index);
      if (req.frozenChunk !== null) this.frozenTokens!.discard(req);
      dropTokens(req);
      return;
    }
    this.tables.stage[req.index] = RequestStage.Enqueued;
    this.waitQ.pushBack(req);
    this.totalInputTokens += req.inputLength;
  }

  private step(now: number): void {
    const kv = this.kv;
    const heap = this.heap;
    const tables = this.tables;
    const otpt = this.otpt;

    // Phase 1 — scheduling.
    this.stepCount++;
    kv.setClock(now);
    const waitQ = this.waitQ;
    if (!this.prioritiesAlwaysZero) {
      const priority = this.priority;
      priority.observeQueueLength?.(waitQ.length);
      for (let i = 0, n = waitQ.length; i < n; i++) {
        const req = waitQ.at(i);
        req.priority = priority.compute(req, now);
      }
    }
    const compare = this.scheduler.compare;
    if (compare !== null) waitQ.sort(compare);
    this.formBatch();
    const preempted = this.preempted;
    const frozenTokens = this.frozenTokens;
    for (let i = 0; i < preempted.length; i++) {
      heap.push(now, EventKind.Preemption, preempted[i].index);
      this.preemptionCount++;
      // Back in the WaitQ: it waits frozen like any other (only now: batch formation may still have visited it).
      frozenTokens?.freeze(preempted[i]);
    }
    const scheduled = this.scheduled;
    for (let i = 0; i < scheduled.length; i++) {
      const req = scheduled[i];
      heap.push(now, EventKind.Scheduled, req.index);
      tables.schedulingDelay[req.index] = now - req.arrivalTime;
    }
    this.waitQueueObservationSum += waitQ.length;
    this.stepObservationCount++;

    // Phase 2 — execution, fused with Phase 3 — completions. Per request, phase 3 only reads that request's own
    // phase-2 state, and KV calls stay in running order, so one pass is equivalent to the reference's two.
    const running = this.running;
    const count = this.runningLength;
    const stepTime = this.latency.stepTime(running, count) + kv.consumePendingTransferLatency();
    const tokenLatency = stepTime + otpt;
    const stepCount = this.stepCount;
    if (stepCount === this.stepLatency.length) this.stepLatency = withRoomFor(this.stepLatency, stepCount);
    this.stepLatency[stepCount] = tokenLatency;
    const computed = tables.computed;
    let kept = 0;
    let completedNow = 0;
    for (let i = 0; i < count; i++) {
      const req = running[i];
      const inputLength = req.inputLength;
      if (req.progressIndex < inputLength) {
        req.progressIndex = computed[req.index];
      } else {
        // Every decode-phase request advances, even without budget this step (docs/reference-quirks.md, quirk 5).
        req.progressIndex++;
        this.totalOutputTokens++;
        if (req.decodeFrom === 0) req.decodeFrom = stepCount;
      }
      if (req.progressIndex === inputLength) {
        const firstTokenTime = now + tokenLatency - req.arrivalTime;
        req.firstTokenTime = firstTokenTime;
        tables.ttft[req.index] = firstTokenTime;
      }
      const outputLength = req.outputLength;
      if (req.progressIndex === inputLength + (outputLength > 1 ? outputLength : 1) - 1) {
        this.complete(req, now, stepTime, tokenLatency);
        completedNow++;
      } else {
        running[kept++] = req;
      }
    }
    this.runningLength = kept;

    this.lastStepCompletions = completedNow;

    // Phase 4 — next step. An emptied batch with an empty WaitQ makes the instance idle from `now`
    // (docs/reference-quirks.md, quirk 2).
    if (kept > 0 || waitQ.length > 0) {
      heap.push(now + stepTime, EventKind.Step, -1);
      this.stepPending = true;
    } else {
      this.stepPending = false;
    }

    if (this.onStep !== undefined) {
      this.onStep({
        instance: this.index,
        now,
        stepTime,
        stepCount: this.stepCount,
        usedBlocks: kv.usedBlocks(),
        totalBlocks: kv.totalBlocks,
        waitQueueLength: waitQ.length,
        runningLength: kept,
        preempted: preempted.length,
        scheduled: scheduled.length,
        completed: completedNow,
      });
    }
  }

  /** Phase 3 for one finished request (docs/spec-notes.md, Instance step). */
  private complete(req: SimRequest, now: number, stepTime: number, tokenLatency: number): void {
    const kv = this.kv;
    const tables = this.tables;
    const outputLength = req.outputLength;
    if (outputLength > 0 && !kv.allocate(req, req.progressIndex, req.progressIndex + 1, NO_CACHED_BLOCKS)) {
      this.kvAllocationFailures++;
    }
    kv.release(req);
    // A completed request leaves the system: its row in the run tables is all the metrics need (the release above
    // already dropped its prompt ids).
    dropTokens(req);
    tables.release(req.index);
    req.finishedStepIdx = this.stepCount;
    req.state = 'completed';
    this.heap.push(now + stepTime, EventKind.RequestLeft, req.index);
    this.completed++;
    tables.stage[req.index] = RequestStage.Completed;
    const firstTokenTime = Number.isNaN(tables.ttft[req.index]) ? 0 : req.firstTokenTime;
    // The ITL entries in order: every decoding step, then the completing step a second time
    // (docs/reference-quirks.md, quirk 3).
    let e2e = firstTokenTime;
    const ranges = req.decodeRanges;
    if (ranges !== null) {
      for (let r = 0; r < ranges.length; r += 2) e2e = this.addItls(e2e, ranges[r], ranges[r + 1]);
    }
    if (req.decodeFrom !== 0) e2e = this.addItls(e2e, req.decodeFrom, this.stepCount + 1);
    e2e += tokenLatency;
    this.allItls.push(tokenLatency);
    tables.e2e[req.index] = e2e;
    tables.tpot[req.index] = outputLength > 0 ? (e2e - firstTokenTime) / Math.max(outputLength - 1, 1) : 0;
  }

  /** Adds the ITL entries of steps [from, to) to `sum` (in step order) and to the completed-ITL log. */
  private addItls(sum: number, from: number, to: number): number {
    const log = this.stepLatency;
    const allItls = this.allItls;
    for (let s = from; s < to; s++) {
      const value = log[s];
      sum += value;
      allItls.push(value);
    }
    return sum;
  }

  /** Chunk threshold of a request (0 = no chunking); per SLO class with --slo-prefill. */
  private prefillThreshold(req: SimRequest): number {
    const sloPrefill = this.sloPrefill;
    if (!sloPrefill.enabled) return this.engine.longPrefillTokenThreshold;
    const cls = req.sloClass;
    if (cls === 'critical') return sloPrefill.critical;
    if (isNamedSheddableClass(cls)) return sloPrefill.sheddable;
    return this.engine.longPrefillTokenThreshold;
  }

  /** vLLM-style batch formation (docs/spec-notes.md, Batch formation). Fills `this.preempted` and `this.scheduled`. */
  private formBatch(): void {
    const kv = this.kv;
    const computed = this.tables.computed;
    const waitQ = this.waitQ;
    const running = this.running;
    this.preempted.length = 0;
    this.scheduled.length = 0;
    this.preemptionHappened = false;
    let budget = this.engine.maxScheduledTokens;

    // Phase A — continuing requests, over the original storage: evicted entries are still visited ("ghosts").
    const originalLength = this.runningLength;
    for (let i = 0; i < originalLength; i++) {
      if (budget <= 0) break;
      const req = running[i];
      const inputLength = req.inputLength;
      let tokens = inputLength - req.progressIndex;
      if (tokens > 0) {
        const threshold = this.prefillThreshold(req);
        if (threshold > 0 && threshold < tokens) tokens = threshold;
        if (tokens > budget) tokens = budget;
        if (!this.makeRoom(req, tokens)) break;
        budget -= tokens;
        req.numNewTokens = tokens;
        computed[req.index] += tokens;
      }
      // progressIndex is the pre-step value, so a request finishing its prefill now does not also decode.
      if (req.progressIndex >= inputLength && req.outputLength > 0) {
        if (!this.makeRoom(req, 1)) break;
        budget -= 1;
        req.numNewTokens = 1;
        computed[req.index] += 1;
      }
    }

    // Phase B — admit from the WaitQ head; never after a preemption, never past a blocked head.
    const blockSize = kv.blockSize;
    const maxRunning = this.engine.maxRunningReqs;
    while (this.runningLength < maxRunning && waitQ.length > 0 && budget > 0 && !this.preemptionHappened) {
      const req = waitQ.at(0);
      if (req.frozenChunk !== null) this.frozenTokens!.thaw(req);
      const cached = kv.getCachedBlocks(req);
      const start = cached.length * blockSize;
      let tokens = req.inputLength - start;
      const threshold = this.prefillThreshold(req);
      if (threshold > 0 && threshold < tokens) tokens = threshold;
      if (tokens > budget) tokens = budget;
      if (!kv.allocate(req, start, start + tokens, cached)) break;
      waitQ.popFront();
      running[this.runningLength++] = req;
      req.scheduledStepIdx = this.stepCount;
      this.scheduled.push(req);
      budget -= tokens;
      req.state = 'running';
      req.numNewTokens = tokens;
      computed[req.index] = tokens + start;
    }
  }

  /** Allocates `tokens` for `req`, evicting from the batch until it fits; false if impossible or `req` was evicted. */
  private makeRoom(req: SimRequest, tokens: number): boolean {
    const kv = this.kv;
    const running = this.running;
    for (;;) {
      if (kv.allocate(req, req.progressIndex, req.progressIndex + tokens, NO_CACHED_BLOCKS)) return true;
      if (this.runningLength === 0) return false;
      this.preemptionHappened = true;
      const last = this.runningLength - 1;
      const victimIndex = this.preemption.victim(running, this.runningLength);
      const victim = running[victimIndex];
      // Swap-remove: the slot at `last` keeps its old entry, which phase A may still visit.
      running[victimIndex] = running[last];
      this.runningLength = last;
      this.preempted.push(victim);
      victim.state = 'queued';
      victim.progressIndex = 0;
      if (victim.decodeFrom !== 0) {
        // It decoded up to the previous step: this step's phase 2 no longer sees it.
        (victim.decodeRanges ??= []).push(victim.decodeFrom, this.stepCount);
        victim.decodeFrom = 0;
      }
      kv.release(victim);
      this.tables.computed[victim.index] = 0;
      this.waitQ.pushFront(victim);
      if (victim === req) return false;
    }
  }

  /** Finalize values (end-of-run values in docs/spec-notes.md, Raw metrics). */
  get stillQueued(): number {
    return this.waitQ.length;
  }

  get stillRunning(): number {
    return this.runningLength;
  }
}
