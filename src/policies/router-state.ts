// Router state (policies.md §2): one snapshot per instance, kept as parallel arrays and refreshed in place.

export interface RouterState {
  readonly numInstances: number;
  readonly instanceIds: readonly string[];
  /** Cluster clock at the decision. */
  clock: number;
  readonly queueDepth: Int32Array;
  readonly batchSize: Int32Array;
  readonly pendingRequests: Int32Array;
  /** Possibly stale (--snapshot-refresh-interval). */
  readonly kvUtilization: Float64Array;
  readonly freeKvBlocks: Float64Array;
  readonly cacheHitRate: Float64Array;
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
    freeKvBlocks: new Float64Array(n),
    cacheHitRate: new Float64Array(n),
  };
}

/** EffectiveLoad = QueueDepth + BatchSize + PendingRequests. */
export function effectiveLoad(state: RouterState, i: number): number {
  return state.queueDepth[i] + state.batchSize[i] + state.pendingRequests[i];
}
