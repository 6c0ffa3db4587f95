import type { MetricsBlock } from '../types.js';

/** Field order of the JSON metrics block (struct field order in the reference; docs/spec-notes.md, JSON metrics block). */
export const METRICS_BLOCK_KEYS = [
  'instance_id',
  'completed_requests',
  'still_queued',
  'still_running',
  'injected_requests',
  'total_input_tokens',
  'total_output_tokens',
  'vllm_estimated_duration_s',
  'responses_per_sec',
  'tokens_per_sec',
  'e2e_mean_ms',
  'e2e_p90_ms',
  'e2e_p95_ms',
  'e2e_p99_ms',
  'ttft_mean_ms',
  'ttft_p90_ms',
  'ttft_p95_ms',
  'ttft_p99_ms',
  'itl_mean_ms',
  'itl_p90_ms',
  'itl_p95_ms',
  'itl_p99_ms',
  'scheduling_delay_p99_ms',
  'kv_allocation_failures',
  'preemption_count',
  'dropped_unservable',
] as const satisfies ReadonlyArray<keyof MetricsBlock>;

/** The numeric fields of the block, under their printed names (latencies in ms). */
export const NUMERIC_BLOCK_KEYS = METRICS_BLOCK_KEYS.filter(
  (key): key is Exclude<(typeof METRICS_BLOCK_KEYS)[number], 'instance_id'> => key !== 'instance_id',
);
