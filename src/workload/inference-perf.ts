// Expansion of the compact `inference_perf` section into clients (docs/spec-notes.md, inference_perf expansion).
import { ServesimError } from '../errors.js';
import type { ClientSpec, LifecycleWindow, WorkloadSpec } from './spec.js';

const PREFIX = 'Failed to generate workload: inference_perf';
const MULTI_TURN_ROUNDS = 5;
const MULTI_TURN_THINK_TIME_US = 500000;

function positiveFinite(value: number, field: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new ServesimError(`${PREFIX}.${field} must be a finite number > 0, got ${value}`);
  }
}

/** Returns a copy of `spec` whose clients come from `inference_perf` (used only when `clients` is empty). */
export function expandInferencePerf(spec: WorkloadSpec): WorkloadSpec {
  const ip = spec.inferencePerf;
  if (!ip) return spec;
  const sp = ip.sharedPrefix;
  if (!sp) throw new ServesimError(`${PREFIX}.shared_prefix is required to expand inference_perf into clients`);
  if (ip.stages.length === 0) throw new ServesimError(`${PREFIX}.stages must list at least one {rate, duration} stage`);
  ip.stages.forEach((s, i) => {
    positiveFinite(s.rate, `stages[${i}].rate`);
    positiveFinite(s.duration, `stages[${i}].duration`);
  });
  if (!(sp.numUniqueSystemPrompts >= 1)) {
    throw new ServesimError(`${PREFIX}.shared_prefix.num_unique_system_prompts must be >= 1, got ${sp.numUniqueSystemPrompts}`);
  }
  if (!(sp.numUsersPerSystemPrompt >= 1)) {
    throw new ServesimError(
      `${PREFIX}.shared_prefix.num_users_per_system_prompt must be >= 1, got ${sp.numUsersPerSystemPrompt}`,
    );
  }
  // Token counts cannot be negative (the reference would silently turn them into 1-token lengths or a bad prefix).
  for (const [field, value] of [
    ['system_prompt_len', sp.systemPromptLen],
    ['question_len', sp.questionLen],
    ['output_len', sp.outputLen],
  ] as const) {
    if (value < 0) throw new ServesimError(`${PREFIX}.shared_prefix.${field} must be >= 0, got ${value}`);
  }

  // Several stages become activity windows at cumulative second offsets; one stage needs none.
  let windows: LifecycleWindow[] | undefined;
  if (ip.stages.length > 1) {
    windows = [];
    let elapsed = 0;
    for (const stage of ip.stages) {
      const start = elapsed;
      elapsed += stage.duration;
      windows.push({ startUs: Math.trunc(start * 1e6), endUs: Math.trunc(elapsed * 1e6) });
    }
  }
  let weightedRate = 0;
  let totalDuration = 0;
  for (const stage of ip.stages) {
    weightedRate += stage.rate * stage.duration;
    totalDuration += stage.duration;
  }

  const clientCount = sp.numUniqueSystemPrompts * sp.numUsersPerSystemPrompt;
  const clients: ClientSpec[] = [];
  for (let p = 0; p < sp.numUniqueSystemPrompts; p++) {
    for (let u = 0; u < sp.numUsersPerSystemPrompt; u++) {
      const client: ClientSpec = {
        id: `prompt-${p}-user-${u}`,
        tenantId: `prompt-${p}`,
        sloClass: 'batch',
        model: '',
        rateFraction: 1 / clientCount,
        arrival: { process: 'poisson' },
        inputDistribution: { type: 'constant', params: { value: sp.questionLen }, file: '' },
        outputDistribution: { type: 'constant', params: { value: sp.outputLen }, file: '' },
        prefixGroup: `prompt-${p}`,
        prefixLength: sp.systemPromptLen,
        streaming: false,
      };
      if (windows) client.lifecycle = { windows: windows.map((w) => ({ ...w })) };
      if (sp.enableMultiTurnChat) {
        client.reasoning = {
          reasonRatioDistribution: { type: 'constant', params: { value: 0 }, file: '' },
          multiTurn: { maxRounds: MULTI_TURN_ROUNDS, thinkTimeUs: MULTI_TURN_THINK_TIME_US, contextGrowth: 'accumulate' },
        };
      }
      clients.push(client);
    }
  }
  return {
    ...spec,
    clients,
    aggregateRate: spec.aggregateRate > 0 ? spec.aggregateRate : weightedRate / totalDuration,
  };
}
