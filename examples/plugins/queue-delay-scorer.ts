// Predicted queueing-delay scorer (`--routing-scorers predicted-delay:W,…`).
//
// The built-in queue-depth scorer counts requests: a running request (decode only, ≈3 µs of step time per token in
// the alpha/beta model) weighs as much as a queued one (a whole prefill, ≈18 µs per prompt token), and the request's
// own prompt does not enter at all. This scorer instead asks the latency model how long this request would wait for
// its first token on each instance: the prefill work ahead of it (queued + routed-but-pending requests × an assumed
// number of uncached prompt tokens each) plus its own uncached prompt (the prompt minus the blocks cached there) is
// split into steps of at most `token-budget` tokens, each step costing `predictStepTime(tokens, batch size)`:
//
//   work_i  = (queue_i + pending_i) · tokens-per-request + own uncached tokens on i
//   delay_i = ceil(work_i / token-budget) · predictStepTime(min(work_i, token-budget), batch_i)
//
// Scores are min-max normalised: (max − delay_i) / (max − min), all equal → 1 (as queue-depth does).
import type { ClusterView, ParamTable, RequestView, Scorer, ScorerContext, ScorerModule } from 'servesim';

const params = {
  'tokens-per-request': {
    type: 'int',
    default: 256,
    min: 0,
    help: 'assumed uncached prompt tokens of each queued or pending request',
  },
  'token-budget': {
    type: 'int',
    default: 2048,
    min: 1,
    help: 'prompt tokens an instance prefills per step (set it to --max-num-scheduled-tokens)',
  },
  'own-prefill': {
    type: 'bool',
    default: true,
    help: 'add the request’s own uncached prompt (prompt minus the prefix cached on the instance)',
  },
} as const satisfies ParamTable;

const scorer: ScorerModule<typeof params> = {
  axis: 'scorer',
  name: 'predicted-delay',
  description: 'min-max normalised inverse of the latency model’s predicted wait for the first token',
  params,
  create(p, ctx: ScorerContext): Scorer {
    const perRequest = p['tokens-per-request'];
    const budget = p['token-budget'];
    const ownPrefill = p['own-prefill'];
    return {
      score(req: RequestView, cluster: ClusterView, out: Float64Array) {
        const n = cluster.numInstances;
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < n; i++) {
          let work = (cluster.queueDepth[i]! + cluster.pendingRequests[i]!) * perRequest;
          if (ownPrefill) {
            const cached = ctx.cachedPrefixBlocks(req, i) * ctx.blockSize;
            work += Math.max(0, req.inputTokens.length - cached);
          }
          const steps = Math.max(1, Math.ceil(work / budget));
          const delay = steps * ctx.latency.predictStepTime(Math.min(work, budget), cluster.batchSize[i]!);
          out[i] = delay;
          if (delay < min) min = delay;
          if (delay > max) max = delay;
        }
        for (let i = 0; i < n; i++) {
          const s = max === min ? 1 : (max - out[i]!) / (max - min);
          out[i] = s < 0 ? 0 : s > 1 ? 1 : s;
        }
      },
    };
  },
};

export default scorer;
