// Library entry point: the cluster control plane and the global event loop (docs/architecture.md, Cluster event
// loop and Event ordering). Pure and deterministic: all state lives inside one simulate() call.
import { ServesimError } from '../errors.js';
import { domainMessage, inDomain, type DomainSpec } from '../policies/params.js';
import { InstanceSimulator, type StepObservation } from '../instance/instance.js';
import { RequestStage, RunTables } from '../instance/run-tables.js';
import { FrozenTokenStore, dropTokens } from '../instance/frozen-tokens.js';
import { EventKind } from '../instance/event-heap.js';
import { createKVStore, PrefixInterner } from '../kv/index.js';
import { createLatencyModel } from '../latency/index.js';
import { buildResult } from '../metrics/aggregate.js';
import type { AdmissionPolicy, RoutingPolicy } from '../policies/policy.js';
import { createRouterState, type RouterState } from '../policies/router-state.js';
import { sloTier } from '../policies/slo-class.js';
import { createRunPolicies } from './run-policies.js';
import { createSimRequest } from '../instance/sim-request.js';
import type { SimConfig, SimRequest, SimResult } from '../types.js';
import { ClusterEventClass, ClusterQueue } from './cluster-queue.js';
import { RequestFeed } from './request-feed.js';
import { DecisionTrace } from './decision-trace.js';

export interface SimulateOptions {
  /**
   * Live prefix identities below which the interner never forgets unheld ones (default 2^20: only long runs
   * collect); tests pass small values to exercise collection on small runs.
   */
  internerCollectMinNodes?: number;
  /** Debug hook called after every instance step (tests: invariants). */
  onStep?: (observation: StepObservation, instances: readonly InstanceSimulator[]) => void;
  /** Called every PROGRESS_EVENTS events with the simulated clock and completions (progress display). */
  onProgress?: (progress: SimProgress) => void;
}

export interface SimProgress {
  /** Simulated time, µs. */
  clock: number;
  completed: number;
  /** Requests of the run: all of them when known up front, else those that have arrived so far. */
  requests: number;
  events: number;
}

/** Events between two onProgress calls: rare enough to cost nothing in the loop. */
const PROGRESS_EVENTS = 1 << 16;

/**
 * Steps without any completion or cluster event after which an unbounded run is declared stuck. Legitimate runs
 * stay far below (a request completes within prompt chunks + output length steps of its last admission); stuck
 * ones arise when KV blocks held by queued (ghost-allocated) requests block the WaitQ head forever, or a request
 * whose prompt fits but whose whole sequence does not keeps evicting itself. The reference loops until its horizon.
 */
const STALL_STEP_LIMIT = 10_000_000;

function stalledError(): ServesimError {
  return new ServesimError(
    `simulation cannot make progress: ${STALL_STEP_LIMIT} steps without a completion (the KV cache is too small ` +
      'for the requests it holds); the reference simulator never terminates here — set --horizon',
  );
}

/**
 * The engine's own guard for hand-built configs (the configuration layer checks flags before this): the fields the
 * event loop cannot run without, in the flag domains' words.
 */
function validate(config: SimConfig): void {
  const positive = { type: 'int', min: 0, exclusiveMin: true } as const;
  const check = (field: string, spec: DomainSpec, value: number): void => {
    if (!inDomain(spec, value)) throw new ServesimError(domainMessage(field, spec, value));
  };
  check('numInstances', { type: 'int', min: 1 }, config.numInstances);
  const e = config.engine;
  check('engine.totalKvBlocks', positive, e.totalKvBlocks);
  check('engine.blockSize', positive, e.blockSize);
  check('engine.maxRunningReqs', positive, e.maxRunningReqs);
  check('engine.maxScheduledTokens', positive, e.maxScheduledTokens);
  check('engine.longPrefillTokenThreshold', { type: 'int', min: 0 }, e.longPrefillTokenThreshold);
  if (!(config.horizon > 0)) throw new ServesimError(`horizon must be > 0 µs (Infinity for none), got ${config.horizon}`);
}

interface EventLoopParts {
  instances: readonly InstanceSimulator[];
  feed: RequestFeed;
  tables: RunTables;
  queue: ClusterQueue;
  horizon: number;
  admission: AdmissionPolicy;
  routing: RoutingPolicy;
  state: RouterState;
  trace: DecisionTrace | undefined;
  refreshSnapshots: (clock: number) => RouterState;
  refreshInterval: number;
  admissionLatency: number;
  routingLatency: number;
  bridgeActive: boolean;
  bridgeBases: readonly number[];
  /** Where routed requests wait with packed tokens; null when they keep their arrays (a plugin may read them). */
  frozenTokens: FrozenTokenStore | null;
  /** Set when the interner forgets unheld identities (it may do so after routing and after an instance step). */
  interner: PrefixInterner | undefined;
}

/**
 * The global event loop (docs/architecture.md, Event ordering; docs/reference-quirks.md, quirk 16): the earliest
 * instance event, unless the cluster queue's head is at or before it. Each instance's head time is mirrored in
 * `headTimes` (∞ = empty heap) and refreshed after every change of that heap, so picking the next event scans one
 * typed array. The work is split into small methods, which V8 optimises early in a run — most of a CLI run is
 * spent before its code is warm.
 */
class EventLoop {
  rejected = 0;
  private readonly instances: readonly InstanceSimulator[];
  private readonly feed: RequestFeed;
  private readonly tables: RunTables;
  private readonly queue: ClusterQueue;
  private readonly horizon: number;
  private readonly admission: AdmissionPolicy;
  private readonly routing: RoutingPolicy;
  private readonly state: RouterState;
  private readonly trace: DecisionTrace | undefined;
  private readonly refreshSnapshots: (clock: number) => RouterState;
  private readonly admissionLatency: number;
  private readonly routingLatency: number;
  private readonly bridgeActive: boolean;
  private readonly bridgeBases: readonly number[];
  private readonly frozenTokens: FrozenTokenStore | null;
  private readonly interner: PrefixInterner | undefined;
  private readonly headTimes: Float64Array;
  /**
   * Whether admission needs a snapshot refresh: not when the policy ignores the state and every refresh recomputes
   * everything (no --snapshot-refresh-interval), since routing refreshes again before anything reads it.
   */
  private readonly refreshForAdmission: boolean;
  private stepsWithoutProgress = 0;

  constructor(parts: EventLoopParts) {
    this.instances = parts.instances;
    this.feed = parts.feed;
    this.tables = parts.tables;
    this.queue = parts.queue;
    this.horizon = parts.horizon;
    this.admission = parts.admission;
    this.routing = parts.routing;
    this.state = parts.state;
    this.trace = parts.trace;
    this.refreshSnapshots = parts.refreshSnapshots;
    this.admissionLatency = parts.admissionLatency;
    this.routingLatency = parts.routingLatency;
    this.bridgeActive = parts.bridgeActive;
    this.bridgeBases = parts.bridgeBases;
    this.frozenTokens = parts.frozenTokens;
    this.interner = parts.interner;
    this.refreshForAdmission = parts.admission.ignoresState !== true || parts.refreshInterval > 0;
    this.headTimes = new Float64Array(parts.instances.length).fill(Infinity);
    for (let i = 0; i < parts.instances.length; i++) this.refreshHead(i);
  }

  run(onProgress?: (progress: SimProgress) => void): void {
    const queue = this.queue;
    const headTimes = this.headTimes;
    const horizon = this.horizon;
    let events = 0;
    for (;;) {
      if (onProgress !== undefined && (++events & (PROGRESS_EVENTS - 1)) === 0) this.reportProgress(onProgress, events);
      const instanceIndex = earliest(headTimes);
      if (!queue.isEmpty && (instanceIndex < 0 || queue.peekTime() <= headTimes[instanceIndex])) {
        if (!this.clusterEvent()) return;
      } else if (instanceIndex >= 0) {
        if (headTimes[instanceIndex] > horizon) return;
        this.instanceEvent(instanceIndex);
      } else {
        return;
      }
    }
  }

  private reportProgress(onProgress: (progress: SimProgress) => void, events: number): void {
    let completed = 0;
    let clock = 0;
    for (const instance of this.instances) {
      completed += instance.completed;
      if (instance.clock > clock) clock = instance.clock;
    }
    onProgress({ clock, completed, requests: this.feed.expectedCount ?? this.tables.count, events });
  }

  private refreshHead(i: number): void {
    const heap = this.instances[i].heap;
    this.headTimes[i] = heap.size > 0 ? heap.peekTime() : Infinity;
  }

  /** Executes the cluster queue's head (peekTime() was just called); false when it lies past the horizon. */
  private clusterEvent(): boolean {
    const queue = this.queue;
    const time = queue.peekTime();
    const cls = queue.peekClass();
    const reqIndex = queue.peekReq();
    if (time > this.horizon) return false;
    const arriving = queue.pop();
    this.stepsWithoutProgress = 0;
    if (arriving !== undefined) {
      // The request object exists from its arrival until it leaves the system.
      this.tables.add(createSimRequest(arriving, reqIndex), arriving);
      queue.push(time + this.admissionLatency, ClusterEventClass.Admission, reqIndex);
    } else if (cls === ClusterEventClass.Admission) {
      this.admit(this.tables.live[reqIndex]!, time);
    } else {
      this.route(this.tables.live[reqIndex]!, time);
    }
    return true;
  }

  private admit(req: SimRequest, time: number): void {
    const admitted = this.admission.admit(req, this.refreshForAdmission ? this.refreshSnapshots(time) : this.state);
    this.trace?.recordAdmission(admitted);
    if (admitted) {
      this.queue.push(time + this.routingLatency, ClusterEventClass.Routing, req.index);
    } else {
      this.rejected++;
      this.tables.stage[req.index] = RequestStage.Rejected;
      this.tables.release(req.index);
      dropTokens(req);
    }
  }

  private route(req: SimRequest, time: number): void {
    const state = this.state;
    const target = this.routing.route(req, this.refreshSnapshots(time));
    if (this.bridgeActive) {
      // Overwritten by the instance's priority policy before any use (docs/reference-quirks.md, quirk 8).
      const hint = this.bridgeBases[sloTier(req.sloClass)];
      if (hint !== 0) req.priority = hint;
    }
    req.assignedInstance = target;
    this.trace?.recordRouting(target, this.routing.lastScores, state);
    state.pendingRequests[target]++;
    this.tables.stage[req.index] = RequestStage.InFlight;
    this.tables.assignedInstance[req.index] = target;
    this.instances[target].inject(req, time);
    this.refreshHead(target);
    if (this.frozenTokens !== null) {
      // A waiting request holds neither tokens nor prompt ids: both come back when its instance admits it.
      this.frozenTokens.freeze(req);
      this.interner?.releaseRequest(req);
    }
    this.interner?.maybeCollect();
  }

  private instanceEvent(i: number): void {
    const instance = this.instances[i];
    const kind = instance.processNextEvent();
    this.refreshHead(i);
    const pending = this.state.pendingRequests;
    if (kind === EventKind.Queued && pending[i] > 0) pending[i]--;
    if (kind === EventKind.Step) {
      this.interner?.maybeCollect();
      if (instance.lastStepCompletions > 0) this.stepsWithoutProgress = 0;
      else if (++this.stepsWithoutProgress > STALL_STEP_LIMIT && this.horizon === Infinity) throw stalledError();
    }
  }
}

/** Index of the smallest value (the lowest index among equal ones); −1 when all are ∞. */
function earliest(times: Float64Array): number {
  let index = -1;
  let best = Infinity;
  for (let i = 0; i < times.length; i++) {
    if (times[i] < best) {
      best = times[i];
      index = i;
    }
  }
  return index;
}

export function simulate(config: SimConfig, options: SimulateOptions = {}): SimResult {
  validate(config);
  const policies = config.policies;
  const engine = config.engine;
  const horizon = config.horizon;
  const numInstances = config.numInstances;
  const feed = new RequestFeed(config.requests);
  const tables = new RunTables(Math.min(feed.expectedCount ?? 1024, 1 << 16), feed.expectedCount);
  const latency = createLatencyModel(config.latency);
  const interner = new PrefixInterner(engine.blockSize);
  const instances: InstanceSimulator[] = [];
  const run = createRunPolicies({ config, latency, interner, kvStore: (i) => instances[i]!.kv, allRequests: () => feed.all() });
  const bridgeActive = run.composesScorers && policies.priorityBridge.enabled;
  const onStep = options.onStep;
  // A list stays alive for the whole run (the caller holds it), so packing its requests' tokens saves nothing.
  const frozenTokens = feed.isStream && !run.usesPlugins ? new FrozenTokenStore() : null;
  if (run.idsReported) interner.enableCollection(options.internerCollectMinNodes);
  let prioritiesAlwaysZero = true;
  for (let i = 0; i < numInstances; i++) {
    const priority = run.priority(i);
    prioritiesAlwaysZero &&= priority.alwaysZero === true;
    instances.push(
      new InstanceSimulator({
        index: i,
        engine,
        sloPrefill: policies.sloPrefill,
        preemption: run.preemption(),
        latency,
        kv: createKVStore(engine, interner),
        priority,
        prioritiesAlwaysZero: priority.alwaysZero === true && !bridgeActive,
        scheduler: run.scheduler(),
        tables,
        frozenTokens,
        onStep: onStep === undefined ? undefined : (observation) => onStep(observation, instances),
      }),
    );
  }
  const instanceIds = instances.map((inst) => inst.id);

  const state = createRouterState(instanceIds);
  const admission = run.admission;
  const routing = run.routing;
  const bridgeBases = policies.priorityBridge.bases;
  const trace =
    config.trace.level === 'decisions' ? new DecisionTrace(instanceIds, config.trace.counterfactualK) : undefined;

  // Snapshot staleness (docs/reference-quirks.md, quirk 25): KV fields refresh only every `refreshInterval` µs.
  const refreshInterval = policies.snapshotRefreshInterval;
  const lastRefresh = new Float64Array(numInstances);
  const refreshSnapshots = (clock: number): RouterState => {
    state.clock = clock;
    for (let i = 0; i < numInstances; i++) {
      const inst = instances[i];
      state.queueDepth[i] = inst.queueDepth;
      state.batchSize[i] = inst.batchSize;
      if (refreshInterval <= 0 || clock - lastRefresh[i] >= refreshInterval) {
        state.kvUtilization[i] = inst.kv.usedBlocks() / inst.kv.totalBlocks;
        lastRefresh[i] = clock;
      }
    }
    return state;
  };

  const queue = new ClusterQueue(feed);
  const loop = new EventLoop({
    instances,
    feed,
    tables,
    queue,
    horizon,
    admission,
    routing,
    state,
    trace,
    refreshSnapshots,
    refreshInterval,
    admissionLatency: policies.admissionLatency,
    routingLatency: policies.routingLatency,
    bridgeActive,
    bridgeBases,
    frozenTokens,
    interner: run.idsReported ? interner : undefined,
  });
  loop.run(options.onProgress);
  const rejected = loop.rejected;

  return buildResult({
    instances,
    tables,
    horizon,
    prioritiesAlwaysZero,
    rejected,
    unarrived: feed.unarrived,
    trace: trace?.summary(),
  });
}
