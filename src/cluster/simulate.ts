// Library entry point: the cluster control plane and the global event loop (README §Event ordering,
// policies.md §1–2). Pure and deterministic: all state lives inside one simulate() call.
import { ServesimError } from '../errors.js';
import { InstanceSimulator, RequestStage, createRunTables, type StepObservation } from '../instance/instance.js';
import { EventKind } from '../instance/event-heap.js';
import { createKVStore, PrefixInterner } from '../kv/index.js';
import { createLatencyModel } from '../latency/index.js';
import { buildResult } from '../metrics/aggregate.js';
import { createAdmissionPolicy } from '../policies/admission/index.js';
import { createPriorityPolicy } from '../policies/priority/index.js';
import { createRouterState, type RouterState } from '../policies/router-state.js';
import { createRoutingPolicy } from '../policies/routing/index.js';
import { createScheduler } from '../policies/scheduler/index.js';
import { sloTier } from '../policies/slo-class.js';
import type { GeneratedRequest, SimConfig, SimRequest, SimResult } from '../types.js';
import { ClusterEventClass, ClusterQueue } from './cluster-queue.js';
import { DecisionTrace } from './decision-trace.js';

export interface SimulateOptions {
  /** Debug hook called after every instance step (tests: invariants). */
  onStep?: (observation: StepObservation, instances: readonly InstanceSimulator[]) => void;
}

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

function validate(config: SimConfig): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v <= 0) throw new ServesimError(`${name} must be > 0, got ${v}`);
  };
  positiveInt('num-instances', config.numInstances);
  const e = config.engine;
  positiveInt('--total-kv-blocks', e.totalKvBlocks);
  positiveInt('--block-size-in-tokens', e.blockSize);
  positiveInt('--max-num-running-reqs', e.maxRunningReqs);
  positiveInt('--max-num-scheduled-tokens', e.maxScheduledTokens);
  if (!(e.longPrefillTokenThreshold >= 0)) {
    throw new ServesimError('--long-prefill-token-threshold must be >= 0');
  }
  if (Number.isNaN(config.horizon)) throw new ServesimError('horizon must be a number');
}

function toSimRequest(gen: GeneratedRequest, index: number): SimRequest {
  return {
    gen,
    index,
    id: gen.id,
    inputTokens: gen.inputTokens,
    outputTokens: gen.outputTokens,
    arrivalTime: gen.arrivalTime,
    sloClass: gen.sloClass,
    progressIndex: 0,
    numNewTokens: 0,
    itl: [],
    firstTokenTime: -1,
    priority: 0,
    state: 'queued',
    assignedInstance: -1,
    scheduledStepIdx: 0,
    finishedStepIdx: 0,
    inputPrefixIds: null,
  };
}

/** Rank of each request ID in byte-wise string order (scheduler tie-break). */
function idRanks(requests: readonly SimRequest[]): Int32Array {
  const order = requests.map((_, i) => i);
  order.sort((a, b) => (requests[a].id < requests[b].id ? -1 : requests[a].id > requests[b].id ? 1 : 0));
  const ranks = new Int32Array(requests.length);
  order.forEach((requestIndex, rank) => (ranks[requestIndex] = rank));
  return ranks;
}

export function simulate(config: SimConfig, options: SimulateOptions = {}): SimResult {
  validate(config);
  const policies = config.policies;
  const engine = config.engine;
  const horizon = config.horizon;
  const numInstances = config.numInstances;
  const requests = config.requests.map(toSimRequest);
  const tables = createRunTables(requests);
  const latency = createLatencyModel(config.latency);
  const interner = new PrefixInterner(engine.blockSize);
  const schedulerName = policies.scheduler;
  const ranks = schedulerName === '' || schedulerName === 'fcfs' ? new Int32Array(0) : idRanks(requests);

  const bridgeActive = policies.routing.policy === 'weighted' && policies.routing.sloPriorityBridge;
  const instances: InstanceSimulator[] = [];
  const onStep = options.onStep;
  for (let i = 0; i < numInstances; i++) {
    const priority = createPriorityPolicy(policies.priority);
    instances.push(
      new InstanceSimulator({
        index: i,
        engine,
        sloPrefill: policies.sloPrefill,
        sloPreemption: policies.sloPreemption,
        latency,
        kv: createKVStore(engine, interner),
        priority,
        prioritiesAlwaysZero: priority.alwaysZero === true && !bridgeActive,
        scheduler: createScheduler(schedulerName, ranks),
        tables,
        onStep: onStep === undefined ? undefined : (observation) => onStep(observation, instances),
      }),
    );
  }
  const instanceIds = instances.map((inst) => inst.id);

  const state = createRouterState(instanceIds);
  const admission = createAdmissionPolicy(policies.admission);
  const routing = createRoutingPolicy({
    config: policies.routing,
    numInstances,
    blockSize: engine.blockSize,
    prefixIds: (req) => interner.inputPrefixIds(req),
    affinityKey: (req) => interner.affinityKey(req),
  });
  const bridgeBases = [
    policies.priority.sloBaseCritical,
    policies.priority.sloBaseStandard,
    policies.priority.sloBaseSheddable,
  ];
  const trace =
    config.trace.level === 'decisions' ? new DecisionTrace(instanceIds, config.trace.counterfactualK) : undefined;

  // Snapshot staleness (policies.md §2): KV fields refresh only every `refreshInterval` µs.
  const refreshInterval = policies.routing.snapshotRefreshInterval;
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

  const admissionLatency = policies.admissionLatency;
  const routingLatency = policies.routingLatency;
  const queue = new ClusterQueue(requests.map((req) => req.arrivalTime));
  let rejected = 0;
  const pending = state.pendingRequests;
  let stepsWithoutProgress = 0;

  for (;;) {
    let instanceIndex = -1;
    let ti = 0;
    for (let i = 0; i < numInstances; i++) {
      const heap = instances[i].heap;
      if (heap.size > 0 && (instanceIndex < 0 || heap.peekTime() < ti)) {
        ti = heap.peekTime();
        instanceIndex = i;
      }
    }
    if (queue.size > 0 && (instanceIndex < 0 || queue.peekTime() <= ti)) {
      const time = queue.peekTime();
      const cls = queue.peekClass();
      const req = requests[queue.peekReq()];
      queue.pop();
      if (time > horizon) break;
      stepsWithoutProgress = 0;
      if (cls === ClusterEventClass.Arrival) {
        queue.push(time + admissionLatency, ClusterEventClass.Admission, req.index);
      } else if (cls === ClusterEventClass.Admission) {
        const admitted = admission.admit(req, refreshSnapshots(time));
        trace?.recordAdmission(admitted);
        if (admitted) {
          queue.push(time + routingLatency, ClusterEventClass.Routing, req.index);
        } else {
          rejected++;
          tables.stage[req.index] = RequestStage.Rejected;
        }
      } else {
        const target = routing.route(req, refreshSnapshots(time));
        if (bridgeActive) {
          // Overwritten by the instance's priority policy before any use (quirk 8).
          const hint = bridgeBases[sloTier(req.sloClass)];
          if (hint !== 0) req.priority = hint;
        }
        req.assignedInstance = target;
        trace?.recordRouting(target, routing.lastScores, state);
        pending[target]++;
        tables.stage[req.index] = RequestStage.InFlight;
        instances[target].inject(req, time);
      }
    } else if (instanceIndex >= 0) {
      if (ti > horizon) break;
      const instance = instances[instanceIndex];
      const kind = instance.processNextEvent();
      if (kind === EventKind.Queued && pending[instanceIndex] > 0) pending[instanceIndex]--;
      if (kind === EventKind.Step) {
        if (instance.lastStepCompletions > 0) stepsWithoutProgress = 0;
        else if (++stepsWithoutProgress > STALL_STEP_LIMIT && horizon === Infinity) throw stalledError();
      }
    } else {
      break;
    }
  }

  return buildResult({
    instances,
    tables,
    horizon,
    priorityPolicy: policies.priority.policy,
    rejected,
    trace: trace?.summary(),
  });
}
