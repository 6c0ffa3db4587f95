// What a report builder needs from the command: whether to re-simulate distributions, and how.
import type { LatencySamples } from '../lab/latency-samples.js';
import type { MetricValues } from '../lab/metrics.js';
import type { SimulationRef } from './distributions.js';

export interface ReportContext {
  /** Re-simulate the stored configurations for the latency distributions (off: --no-distributions, the dashboard). */
  distributions: boolean;
  /** The simulator that re-simulates (src/version.ts). */
  simulatorVersion: string;
  resimulate(refs: ReadonlyMap<string, SimulationRef>): Promise<Map<string, { samples: LatencySamples; metrics: MetricValues }>>;
  warn(message: string): void;
  /** Footer line: what made the report. */
  footer: string;
}
