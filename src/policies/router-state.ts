// Router state: one snapshot per instance, kept as parallel arrays and refreshed in place by the engine; policies
// see it as a read-only ClusterView.
import type { ClusterView } from './policy.js';

export interface RouterState {
  readonly numInstances: number;
  readonly instanceIds: readonly string[];
  /** Cluster clock at the decision. */
  clock: number;
  readonly queueDepth: Int32Array;
  readonly batchSize: Int32Array;
  readonly pendingRequests: Int32Array;
  /**
   * usedBlocks / totalBlocks, possibly stale (--snapshot-refresh-interval). The reference's snapshots also carry
   * FreeKVBlocks and CacheHitRate, refreshed together with this field, but no policy reads them.
   */
  readonly kvUtilization: Float64Array;
}

export function createRouterState(instanceIds: readonly string[]): RouterState {
  const n = instanceIds.length;
  return {
    numInstances: n,
    instanceIds,
    clock: 0,
    queueDepth: new Int32Array(n),
    batchSize: new Int32Array(n),
    pendingRequests: new Int32Array(n),
    kvUtilization: new Float64Array(n),
  };
}

/** EffectiveLoad = QueueDepth + BatchSize + PendingRequests. */
export function effectiveLoad(cluster: ClusterView, i: number): number {
  return cluster.queueDepth[i]! + cluster.batchSize[i]! + cluster.pendingRequests[i]!;
}
