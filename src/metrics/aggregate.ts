// Turns the raw per-instance state at the end of a run into a SimResult (docs/spec-notes.md, Metrics).
import type { InstanceSimulator } from '../instance/instance.js';
import { RequestStage, type RunTables } from '../instance/run-tables.js';
import type { MetricsBlock, RequestRecord, SimResult, SloDistribution, SloMetrics, TraceSummary } from '../types.js';
import { distributionMeanMs, distributionPercentileMs, meanMs, meanTicks, percentileMs, percentileTicks, sortedCopy } from './stats.js';
import { mergeSortedValues, TickDistribution } from './tick-log.js';

/** Raw values of one metrics block (an instance or the cluster), distributions sorted ascending (ticks). */
export interface RawBlock {
  id: string;
  completed: number;
  stillQueued: number;
  stillRunning: number;
  droppedUnservable: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  simEnded: number;
  preemptions: number;
  kvAllocationFailures: number;
  ttft: Float64Array;
  e2e: Float64Array;
  itl: TickDistribution;
  schedulingDelay: Float64Array;
}

export interface AggregationInput {
  instances: readonly InstanceSimulator[];
  tables: RunTables;
  horizon: number;
  /** The priority policy is identically 0 (then no inversions are counted, as in the reference's `constant`). */
  prioritiesAlwaysZero: boolean;
  rejected: number;
  /** Requests the workload had generated that never reached their arrival (the horizon ended the run first). */
  unarrived: number;
  trace: TraceSummary | undefined;
}

export function buildMetricsBlock(raw: RawBlock): MetricsBlock {
  const durationS = raw.simEnded / 1e6;
  // The reference fills rates and latencies only when something completed (they stay 0 in the results file).
  const any = raw.completed > 0;
  return {
    instance_id: raw.id,
    completed_requests: raw.completed,
    still_queued: raw.stillQueued,
    still_running: raw.stillRunning,
    injected_requests: raw.completed + raw.stillQueued + raw.stillRunning + raw.droppedUnservable,
    total_input_tokens: raw.totalInputTokens,
    total_output_tokens: raw.totalOutputTokens,
    vllm_estimated_duration_s: durationS,
    responses_per_sec: any ? raw.completed / durationS : 0,
    tokens_per_sec: any ? raw.totalOutputTokens / durationS : 0,
    e2e_mean_ms: any ? meanMs(raw.e2e) : 0,
    e2e_p90_ms: any ? percentileMs(raw.e2e, 90) : 0,
    e2e_p95_ms: any ? percentileMs(raw.e2e, 95) : 0,
    e2e_p99_ms: any ? percentileMs(raw.e2e, 99) : 0,
    ttft_mean_ms: any ? meanMs(raw.ttft) : 0,
    ttft_p90_ms: any ? percentileMs(raw.ttft, 90) : 0,
    ttft_p95_ms: any ? percentileMs(raw.ttft, 95) : 0,
    ttft_p99_ms: any ? percentileMs(raw.ttft, 99) : 0,
    itl_mean_ms: any ? distributionMeanMs(raw.itl) : 0,
    itl_p90_ms: any ? distributionPercentileMs(raw.itl, 90) : 0,
    itl_p95_ms: any ? distributionPercentileMs(raw.itl, 95) : 0,
    itl_p99_ms: any ? distributionPercentileMs(raw.itl, 99) : 0,
    scheduling_delay_p99_ms: any ? percentileMs(raw.schedulingDelay, 99) : 0,
    kv_allocation_failures: raw.kvAllocationFailures,
    preemption_count: raw.preemptions,
    dropped_unservable: raw.droppedUnservable,
  };
}

/** Requests in the cluster registry: routed into an instance and not dropped (completed or not). */
function isRegistered(stage: number): boolean {
  return stage === RequestStage.InFlight || stage === RequestStage.Enqueued || stage === RequestStage.Completed;
}

function collectInstanceRaw(instance: InstanceSimulator, tables: RunTables, horizon: number): RawBlock {
  const ttft: number[] = [];
  const e2e: number[] = [];
  const schedulingDelay: number[] = [];
  const { stage, assignedInstance } = tables;
  for (let k = 0; k < tables.count; k++) {
    if (assignedInstance[k] !== instance.index || !isRegistered(stage[k])) continue;
    if (!Number.isNaN(tables.ttft[k])) ttft.push(tables.ttft[k]);
    if (!Number.isNaN(tables.e2e[k])) e2e.push(tables.e2e[k]);
    if (!Number.isNaN(tables.schedulingDelay[k])) schedulingDelay.push(tables.schedulingDelay[k]);
  }
  return {
    id: instance.id,
    completed: instance.completed,
    stillQueued: instance.stillQueued,
    stillRunning: instance.stillRunning,
    droppedUnservable: instance.droppedUnservable,
    totalInputTokens: instance.totalInputTokens,
    totalOutputTokens: instance.totalOutputTokens,
    simEnded: Math.min(instance.clock, horizon),
    preemptions: instance.preemptionCount,
    kvAllocationFailures: instance.kvAllocationFailures,
    ttft: sortedCopy(ttft),
    e2e: sortedCopy(e2e),
    itl: instance.allItls.distribution(),
    schedulingDelay: sortedCopy(schedulingDelay),
  };
}

function aggregateCluster(blocks: readonly RawBlock[]): RawBlock {
  const cluster: RawBlock = {
    id: 'cluster',
    completed: 0,
    stillQueued: 0,
    stillRunning: 0,
    droppedUnservable: 0,
    totalInputTokens: 0,
    totalOutputTokens: 0,
    simEnded: 0,
    preemptions: 0,
    kvAllocationFailures: 0,
    // Float64 parts merge into a Float64Array.
    ttft: mergeSortedValues(blocks.map((b) => b.ttft)) as Float64Array,
    e2e: mergeSortedValues(blocks.map((b) => b.e2e)) as Float64Array,
    itl: TickDistribution.union(blocks.map((b) => b.itl)),
    schedulingDelay: mergeSortedValues(blocks.map((b) => b.schedulingDelay)) as Float64Array,
  };
  for (const b of blocks) {
    cluster.completed += b.completed;
    cluster.stillQueued += b.stillQueued;
    cluster.stillRunning += b.stillRunning;
    cluster.droppedUnservable += b.droppedUnservable;
    cluster.totalInputTokens += b.totalInputTokens;
    cluster.totalOutputTokens += b.totalOutputTokens;
    if (b.simEnded > cluster.simEnded) cluster.simEnded = b.simEnded;
    cluster.preemptions += b.preemptions;
    cluster.kvAllocationFailures += b.kvAllocationFailures;
  }
  return cluster;
}

/** Registry indices ordered by ID string, then stably by arrival (the reference's unstable tie order is unknowable). */
function registryOrder(tables: RunTables, filter: (k: number) => boolean): number[] {
  const order: number[] = [];
  for (let k = 0; k < tables.count; k++) if (filter(k)) order.push(k);
  const ids: string[] = new Array<string>(tables.count);
  for (const k of order) ids[k] = tables.id(k);
  order.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  const arrival = tables.arrivalTime;
  order.sort((a, b) => arrival[a] - arrival[b]);
  return order;
}

function distribution(values: number[]): SloDistribution {
  const sorted = sortedCopy(values);
  return { mean: meanTicks(sorted), p99: percentileTicks(sorted, 99), n: sorted.length };
}

function perSloMetrics(tables: RunTables): SloMetrics[] {
  const byClass = new Map<string, { ttft: number[]; e2e: number[] }>();
  const { stage } = tables;
  for (let k = 0; k < tables.count; k++) {
    if (!isRegistered(stage[k])) continue;
    const hasTtft = !Number.isNaN(tables.ttft[k]);
    const hasE2e = !Number.isNaN(tables.e2e[k]);
    if (!hasTtft && !hasE2e) continue;
    const sloClass = tables.label(k).sloClass;
    const cls = sloClass === '' ? 'default' : sloClass;
    let entry = byClass.get(cls);
    if (entry === undefined) {
      entry = { ttft: [], e2e: [] };
      byClass.set(cls, entry);
    }
    if (hasTtft) entry.ttft.push(tables.ttft[k]);
    if (hasE2e) entry.e2e.push(tables.e2e[k]);
  }
  return [...byClass.keys()].sort().map((cls) => {
    const entry = byClass.get(cls)!;
    return { sloClass: cls, ttft: distribution(entry.ttft), e2e: distribution(entry.e2e) };
  });
}

/** Pairs i < j (arrival order) with e2e_i > 2·e2e_j, in O(n log n) by merge counting. */
export function countInversions(e2eInArrivalOrder: Float64Array): number {
  const n = e2eInArrivalOrder.length;
  if (n < 2) return 0;
  let values = Float64Array.from(e2eInArrivalOrder);
  let scratch = new Float64Array(n);
  let count = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(left + width, n);
      const right = Math.min(left + 2 * width, n);
      // Both halves are sorted ascending: count pairs (i in left half, j in right half) with v_i > 2·v_j.
      let j = mid;
      for (let i = left; i < mid; i++) {
        while (j < right && values[i] > 2 * values[j]) j++;
        count += j - mid;
      }
      let a = left;
      let b = mid;
      let o = left;
      while (a < mid && b < right) scratch[o++] = values[a] <= values[b] ? values[a++] : values[b++];
      while (a < mid) scratch[o++] = values[a++];
      while (b < right) scratch[o++] = values[b++];
    }
    const swap = values;
    values = scratch;
    scratch = swap;
  }
  return count;
}

function priorityInversions(input: AggregationInput): number {
  if (input.prioritiesAlwaysZero) return 0;
  const { tables } = input;
  let total = 0;
  for (const instance of input.instances) {
    const order = registryOrder(
      tables,
      (k) =>
        tables.assignedInstance[k] === instance.index &&
        isRegistered(tables.stage[k]) &&
        !Number.isNaN(tables.e2e[k]),
    );
    const groups = new Map<string, number[]>();
    for (const k of order) {
      const sloClass = tables.label(k).sloClass;
      const cls = sloClass === '' ? 'default' : sloClass;
      let group = groups.get(cls);
      if (group === undefined) {
        group = [];
        groups.set(cls, group);
      }
      group.push(tables.e2e[k]);
    }
    for (const group of groups.values()) total += countInversions(Float64Array.from(group));
  }
  return total;
}

function holBlockingEvents(instances: readonly InstanceSimulator[]): number {
  const n = instances.length;
  if (n < 2) return 0;
  const averages = instances.map((inst) =>
    inst.stepObservationCount > 0 ? inst.waitQueueObservationSum / inst.stepObservationCount : 0,
  );
  let sum = 0;
  for (const avg of averages) sum += avg;
  const mean = sum / n;
  if (!(mean > 0)) return 0;
  let count = 0;
  for (const avg of averages) if (avg > 2 * mean) count++;
  return count;
}

function requestRecords(tables: RunTables, instanceIds: readonly string[]): RequestRecord[] {
  const order = registryOrder(tables, (k) => isRegistered(tables.stage[k]));
  const valueOr0 = (v: number): number => (Number.isNaN(v) ? 0 : v);
  return order.map((k) => {
    const label = tables.label(k);
    return {
      id: tables.id(k),
      arrivedAtS: tables.arrivalTime[k] / 1e6,
      numPrefillTokens: tables.inputLength[k],
      numDecodeTokens: tables.outputLength[k],
      ttftMs: valueOr0(tables.ttft[k]) / 1000,
      itlMs: valueOr0(tables.tpot[k]) / 1000,
      e2eMs: valueOr0(tables.e2e[k]) / 1000,
      schedulingDelayMs: valueOr0(tables.schedulingDelay[k]) / 1000,
      sloClass: label.sloClass,
      tenantId: label.tenantId,
      handledBy: instanceIds[tables.assignedInstance[k]] ?? '',
      model: label.model,
    };
  });
}

export function buildResult(input: AggregationInput): SimResult {
  const { instances, tables } = input;
  const rawBlocks = instances.map((inst) => collectInstanceRaw(inst, tables, input.horizon));
  const cluster = aggregateCluster(rawBlocks);
  const n = instances.length;
  let hitSum = 0;
  let thrashSum = 0;
  for (const inst of instances) {
    hitSum += inst.kv.cacheHitRate();
    thrashSum += inst.kv.thrashingRate();
  }
  const generated = tables.count + input.unarrived;
  let inFlight = 0;
  let notArrived = input.unarrived;
  for (let k = 0; k < tables.count; k++) {
    if (tables.stage[k] === RequestStage.InFlight) inFlight++;
    else if (tables.stage[k] === RequestStage.NotRouted) notArrived++;
  }
  const result: Omit<SimResult, 'requests'> = {
    instances: rawBlocks.map(buildMetricsBlock),
    cluster: buildMetricsBlock(cluster),
    perSlo: perSloMetrics(tables),
    anomalies: {
      priorityInversions: priorityInversions(input),
      holBlockingEvents: holBlockingEvents(instances),
      rejectedRequests: input.rejected,
      droppedUnservable: cluster.droppedUnservable,
    },
    kv: {
      preemptionRate: cluster.completed > 0 ? cluster.preemptions / cluster.completed : 0,
      cacheHitRate: hitSum / n,
      thrashingRate: thrashSum / n,
    },
    trace: input.trace,
    raw: {
      simEndedTicks: cluster.simEnded,
      completed: cluster.completed,
      totalOutputTokens: cluster.totalOutputTokens,
      ttftTicks: cluster.ttft,
      e2eTicks: cluster.e2e,
    },
    counters: { generated, rejected: input.rejected, inFlight, notArrived },
  };
  // Built on first access: only the results file and library users read the per-request records. The getter
  // keeps the run's tables alive, not the instances (their KV stores are large).
  const instanceIds = instances.map((inst) => inst.id);
  let records: RequestRecord[] | undefined;
  return Object.defineProperty(result, 'requests', {
    enumerable: true,
    get: () => (records ??= requestRecords(tables, instanceIds)),
  }) as SimResult;
}
