// Predictive shedding admission (`--admission-policy predictive-shed`).
//
// The built-in slo-gated admission rejects sheddable requests while the average EffectiveLoad (a request count)
// exceeds a threshold — a number with no unit that must be re-tuned for every model, GPU and prompt length. This
// policy states the threshold as what the operator actually promises: a critical TTFT budget in µs. At each
// admission it predicts the TTFT a typical critical request would see on an average instance from the cluster
// snapshot and the latency model, and sheds a sheddable-tier request only while that prediction exceeds
// `critical-ttft-budget`. Critical and standard (and unclassified) requests are always admitted.
//
//   work_i = (queue_i + pending_i + 1) · tokens-per-request
//   wait_i = ceil(work_i / token-budget) · predictStepTime(min(work_i, token-budget), batch_i)
//   predicted critical TTFT = queueingTime(tokens-per-request) + mean_i wait_i + output-token processing time
import type { AdmissionModule, AdmissionPolicy, ClusterView, ParamTable, PolicyContext, RequestView } from 'servesim';

// The built-ins' class grouping: 'critical'; 'standard' or '' (no class); every other name is sheddable.
const isSheddableTier = (sloClass: string): boolean =>
  sloClass !== 'critical' && sloClass !== 'standard' && sloClass !== '';

const params = {
  'critical-ttft-budget': {
    type: 'int64',
    default: 100_000,
    min: 0,
    help: 'shed sheddable requests while the predicted critical TTFT (µs) exceeds this',
  },
  'tokens-per-request': {
    type: 'int',
    default: 256,
    min: 1,
    help: 'assumed uncached prompt tokens of each queued or pending request (and of the critical probe)',
  },
  'token-budget': {
    type: 'int',
    default: 2048,
    min: 1,
    help: 'prompt tokens an instance prefills per step (set it to --max-num-scheduled-tokens)',
  },
} as const satisfies ParamTable;

const admission: AdmissionModule<typeof params> = {
  axis: 'admission',
  name: 'predictive-shed',
  description: 'shed sheddable-tier requests while the predicted critical TTFT exceeds a budget',
  params,
  create(p, ctx: PolicyContext): AdmissionPolicy {
    const budget = p['critical-ttft-budget'];
    const perRequest = p['tokens-per-request'];
    const tokenBudget = p['token-budget'];
    const fixed = ctx.latency.queueingTime(perRequest) + ctx.latency.outputTokenProcessingTime;
    const predictCriticalTtft = (cluster: ClusterView): number => {
      let total = 0;
      for (let i = 0; i < cluster.numInstances; i++) {
        const work = (cluster.queueDepth[i]! + cluster.pendingRequests[i]! + 1) * perRequest;
        const steps = Math.ceil(work / tokenBudget);
        total += steps * ctx.latency.predictStepTime(Math.min(work, tokenBudget), cluster.batchSize[i]!);
      }
      return fixed + total / cluster.numInstances;
    };
    return {
      admit(req: RequestView, cluster: ClusterView) {
        if (!isSheddableTier(req.sloClass)) return true;
        return !(predictCriticalTtft(cluster) > budget);
      },
    };
  },
};

export default admission;
