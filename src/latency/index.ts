// Latency model (docs/spec-notes.md, Latency model): step time, alpha queueing delay and output-token processing
// time, in ticks.
import { ServesimError } from '../errors.js';
import type { LatencyView } from '../policies/policy.js';
import type { LatencyConfig, RooflineLatencyConfig, SimRequest } from '../types.js';

export interface LatencyModel {
  /** Duration of a step over `running[0..count)`, evaluated before progress is advanced. */
  stepTime(running: readonly SimRequest[], count: number): number;
  /** Delay from the instance ArrivalEvent to the QueuedEvent. */
  queueingTime(req: SimRequest): number;
  /** OTPT: added to TTFT and to every ITL entry, never to the clock. */
  readonly outputTokenProcessingTime: number;
}

function checkCoefficients(name: string, values: readonly number[]): void {
  if (values.length < 3) {
    throw new ServesimError(`${name === 'alpha' ? 'AlphaCoeffs' : 'BetaCoeffs'} requires at least 3 elements`);
  }
  for (const v of values) {
    if (!Number.isFinite(v)) throw new ServesimError(`${name} coefficients must be finite, got ${v}`);
  }
}

export function createLatencyModel(config: LatencyConfig): LatencyModel {
  checkCoefficients('alpha', config.alpha);
  const [alpha0, alpha1, alpha2] = config.alpha;
  const queueingTime = (req: SimRequest): number => Math.trunc(alpha0 + alpha1 * req.inputLength);
  const outputTokenProcessingTime = Math.trunc(alpha2);
  if (config.kind === 'blackbox') {
    checkCoefficients('beta', config.beta);
    const [beta0, beta1, beta2] = config.beta;
    return {
      queueingTime,
      outputTokenProcessingTime,
      stepTime(running, count) {
        let prefillTokens = 0;
        let decodeTokens = 0;
        for (let i = 0; i < count; i++) {
          const r = running[i];
          // Stale NumNewTokens of requests that got no budget this step still count
          // (docs/reference-quirks.md, quirk 5).
          if (r.progressIndex < r.inputLength) prefillTokens += r.numNewTokens;
          else if (r.outputLength > 0) decodeTokens += r.numNewTokens;
        }
        return Math.trunc(beta0 + beta1 * prefillTokens + beta2 * decodeTokens);
      },
    };
  }
  const roofline = createRooflineStepTime(config);
  return { queueingTime, outputTokenProcessingTime, stepTime: roofline };
}

/**
 * Analytical roofline step time (docs/spec-notes.md, Roofline); float evaluation order follows the reference
 * (docs/reference-quirks.md, quirk 47).
 */
function createRooflineStepTime(config: RooflineLatencyConfig): (running: readonly SimRequest[], count: number) => number {
  const m = config.model;
  const hw = config.hardware;
  const tp = config.tp;
  const layers = m.numLayers;
  const dModel = m.hiddenSize;
  const heads = m.numHeads;
  const kvHeads = m.numKvHeads > 0 ? m.numKvHeads : heads;
  const dHead = dModel / heads;
  const dKv = kvHeads * dHead;
  const dFf = m.intermediateSize > 0 ? m.intermediateSize : 4 * dModel;
  const bytes = m.bytesPerParam;
  if (!(layers > 0 && dModel > 0 && heads > 0 && bytes > 0 && tp > 0)) {
    throw new ServesimError('invalid roofline model configuration');
  }
  const tpFactor = tp;
  const peakFlops = hw.TFlopsPeak * 1e12;
  const effectiveBandwidth = hw.BwPeakTBs * 1e12 * hw.BwEffConstant;
  const vectorPeak = peakFlops * 0.1;
  const modelWeights = layers * (dModel * (dModel + 2 * dKv) + dModel * dModel + 3 * dModel * dFf) * bytes;
  const weightBytes = modelWeights / tpFactor;
  const layerFloorS = (layers * hw.perLayerOverhead) / 1e6;
  const commOverheadS = tp > 1 ? (layers * 2 * hw.allReduceLatency) / 1e6 : 0;

  // Per-request accumulators, reused (no allocation per step).
  let gemm = 0;
  let vector = 0;
  let dynamicBytes = 0;
  const addRequest = (context: number, newTokens: number): void => {
    const n = newTokens;
    const c = n > 1 ? context + (n - 1) / 2 : context;
    const qkv = 2 * n * (dModel * dModel + 2 * dModel * dKv);
    const outProj = 2 * n * dModel * dModel;
    const attention = 4 * heads * n * c * dHead;
    const mlp = 2 * n * (3 * dModel * dFf);
    gemm += (layers * (qkv + outProj + attention + mlp)) / tpFactor;
    vector += (layers * (5 * heads * n * c + 2 * n * dModel)) / tpFactor;
    const activations = layers * dModel * n * bytes;
    const kvAccess = 2 * layers * kvHeads * dHead * context * bytes;
    const kvGrowth = 2 * layers * kvHeads * dHead * n * bytes;
    const total = activations + kvAccess + kvGrowth + modelWeights;
    dynamicBytes += (total - modelWeights) / tpFactor;
  };

  return (running, count) => {
    let hasPrefill = false;
    let hasDecode = false;
    gemm = 0;
    vector = 0;
    dynamicBytes = 0;
    for (let i = 0; i < count; i++) {
      const r = running[i];
      if (r.progressIndex < r.inputLength) {
        hasPrefill = true;
        addRequest(r.progressIndex, r.numNewTokens);
      }
    }
    let prefillS = 0;
    if (hasPrefill) {
      const compute = gemm / (peakFlops * hw.mfuPrefill) + vector / vectorPeak;
      const memory = (weightBytes + dynamicBytes) / effectiveBandwidth;
      prefillS = Math.max(compute, memory);
    }
    gemm = 0;
    vector = 0;
    dynamicBytes = 0;
    for (let i = 0; i < count; i++) {
      const r = running[i];
      if (r.progressIndex >= r.inputLength && r.outputLength > 0) {
        hasDecode = true;
        addRequest(r.progressIndex, 1);
      }
    }
    let decodeS = 0;
    if (hasDecode) {
      const compute = gemm / (peakFlops * hw.mfuDecode) + vector / vectorPeak;
      const memory = (weightBytes + dynamicBytes) / effectiveBandwidth;
      decodeS = Math.max(compute, memory);
    }
    const hardwareS = prefillS + decodeS;
    const totalMicros = hardwareS * 1e6 + layerFloorS * 1e6 + commOverheadS * 1e6 + hw.TOverheadMicros;
    return goRound(totalMicros);
  };
}

/** Go math.Round: half away from zero. */
export function goRound(x: number): number {
  const t = Math.trunc(x);
  if (Math.abs(x - t) >= 0.5) return t + Math.sign(x);
  return t;
}

/**
 * The policy-facing view of a latency model: step times predicted for a batch described by token counts. Roofline
 * takes each decoding request at context length 1 (it cannot know their contexts), a lower bound.
 */
export function latencyView(model: LatencyModel): LatencyView {
  const prefill = syntheticRequest();
  const decoders: SimRequest[] = [];
  const batch: SimRequest[] = [];
  return {
    outputTokenProcessingTime: model.outputTokenProcessingTime,
    queueingTime: (inputLength) => model.queueingTime({ inputLength } as SimRequest),
    predictStepTime(prefillTokens, decodeTokens) {
      batch.length = 0;
      if (prefillTokens > 0) {
        (prefill as { numNewTokens: number }).numNewTokens = prefillTokens;
        (prefill as { inputLength: number }).inputLength = prefillTokens + 1;
        batch.push(prefill);
      }
      while (decoders.length < decodeTokens) {
        const decoder = syntheticRequest();
        decoder.progressIndex = 1;
        decoder.numNewTokens = 1;
        decoders.push(decoder);
      }
      for (let i = 0; i < decodeTokens; i++) batch.push(decoders[i]!);
      return model.stepTime(batch, batch.length);
    },
  };
}

function syntheticRequest(): SimRequest {
  return { progressIndex: 0, numNewTokens: 0, inputLength: 1, outputLength: 1 } as unknown as SimRequest;
}
