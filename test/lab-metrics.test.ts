import { describe, expect, it } from 'vitest';
import { extractMetrics, METRIC_NAMES, metricsFromJson, metricsToJson } from '../src/lab/metrics.js';
import { aggregateScores, constraintViolation, meanMetrics, scorePoint, scoreSeed } from '../src/lab/objective.js';
import type { Constraint, Objective } from '../src/lab/strategy.js';
import { syntheticResult } from './lab/helpers.js';

const slo = (sloClass: string, ttftMean: number, ttftP99: number, e2eMean: number, e2eP99: number, n: number) => ({
  sloClass,
  ttft: { mean: ttftMean, p99: ttftP99, n },
  e2e: { mean: e2eMean, p99: e2eP99, n },
});

describe('metric extraction', () => {
  // Values of golden G04's per-SLO section (µs).
  const result = syntheticResult([
    slo('critical', 65143.48, 89666.48, 1668303.92, 5963040.84, 179),
    slo('sheddable', 198157.26, 372672.35, 1522904.58, 4759585.4, 352),
    slo('standard', 97541.02, 168000.2, 1498818.14, 5257503.52, 469),
  ]);
  const m = extractMetrics(result);

  it('copies the cluster block and its aliases', () => {
    expect(m.ttft_p99_ms).toBe(363.9);
    expect(m.e2e_p99_ms).toBe(5431.4);
    expect(m.scheduling_delay_p99_ms).toBe(316.6);
    expect(m.throughput_tps).toBe(19094.9);
    expect(m.tokens_per_sec).toBe(19094.9);
    expect(m.completed).toBe(1000);
    expect(m.injected).toBe(1000);
    expect(m.preemptions).toBe(3);
    expect(m.dropped).toBe(1);
  });

  it('reads run counters', () => {
    expect(m.rejected).toBe(168);
    expect(m.priority_inversions).toBe(6617);
    expect(m.cache_hit_rate).toBe(0.5582);
  });

  it('converts per-class µs to ms and computes the SLO gap', () => {
    expect(m.critical_ttft_p99_ms).toBeCloseTo(89.66648, 10);
    expect(m.critical_ttft_mean_ms).toBeCloseTo(65.14348, 10);
    expect(m.standard_ttft_p99_ms).toBeCloseTo(168.0002, 10);
    expect(m.sheddable_e2e_p99_ms).toBeCloseTo(4759.5854, 10);
    expect(m.sheddable_e2e_mean_ms).toBeCloseTo(1522.90458, 10);
    expect(m.critical_completed).toBe(179);
    expect(m.slo_gap).toBeCloseTo(372672.35 / 89666.48, 12);
  });

  it('produces every documented metric name', () => {
    expect(Object.keys(m).sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('missing classes give NaN, and survive the JSON round trip', () => {
    const only = extractMetrics(syntheticResult([slo('standard', 1, 2, 3, 4, 5)]));
    expect(only.critical_ttft_p99_ms).toBeNaN();
    expect(only.slo_gap).toBeNaN();
    expect(only.standard_ttft_p99_ms).toBe(0.002);
    const back = metricsFromJson(JSON.parse(JSON.stringify(metricsToJson(only))) as Record<string, number | null>);
    expect(back.critical_ttft_p99_ms).toBeNaN();
    expect(back.standard_ttft_p99_ms).toBe(0.002);
  });
});

describe('objective and constraint penalties', () => {
  // The seed's iteration-8 objective: critical TTFT P99 + 2·(shed − 600)⁺ + 0.01·(15000 − tps)⁺ + 0.5·(std − 250)⁺.
  const objective: Objective = { metric: 'critical_ttft_p99_ms', direction: 'minimize' };
  const constraints: Constraint[] = [
    { metric: 'sheddable_ttft_p99_ms', direction: 'at_most', threshold: 600, weight: 2 },
    { metric: 'throughput_tps', direction: 'at_least', threshold: 15000, weight: 0.01 },
    { metric: 'standard_ttft_p99_ms', direction: 'at_most', threshold: 250, weight: 0.5 },
  ];

  it('violation is the distance past the threshold', () => {
    expect(constraintViolation(constraints[0]!, 650)).toBe(50);
    expect(constraintViolation(constraints[0]!, 600)).toBe(0);
    expect(constraintViolation(constraints[1]!, 14000)).toBe(1000);
    expect(constraintViolation(constraints[1]!, 16000)).toBe(0);
  });

  it('adds weight × violation per seed, then averages over seeds', () => {
    const seed42 = { critical_ttft_p99_ms: 70, sheddable_ttft_p99_ms: 650, throughput_tps: 14000, standard_ttft_p99_ms: 240 };
    const seed43 = { critical_ttft_p99_ms: 80, sheddable_ttft_p99_ms: 500, throughput_tps: 16000, standard_ttft_p99_ms: 270 };
    const s42 = scoreSeed(objective, constraints, seed42, 42);
    const s43 = scoreSeed(objective, constraints, seed43, 43);
    expect(s42).toEqual({ seed: 42, objectiveValue: 70, penalty: 2 * 50 + 0.01 * 1000, score: 180 });
    expect(s43).toEqual({ seed: 43, objectiveValue: 80, penalty: 0.5 * 20, score: 90 });
    expect(aggregateScores([s42, s43])).toBe(135);
    // On means the shed constraint would be inactive (575 ≤ 600): per-seed scoring is stricter, by design.
    const onMeans = scoreSeed(objective, constraints, meanMetrics([seed42, seed43]), 0);
    expect(onMeans.score).toBe(75 + 0 + 0 + 0.5 * 5);
  });

  it('penalties on the means (the seed script\'s form) vs per seed, at the seed\'s iteration-8 optimum', () => {
    // Per-seed values of critical / sheddable / standard TTFT P99 and throughput at that point.
    const evaluations = [
      { seed: 42, metrics: { critical_ttft_p99_ms: 70.48342, sheddable_ttft_p99_ms: 577.28884, standard_ttft_p99_ms: 184.36492, throughput_tps: 18862.99 } },
      { seed: 43, metrics: { critical_ttft_p99_ms: 69.94851, sheddable_ttft_p99_ms: 629.34858, standard_ttft_p99_ms: 218.27156, throughput_tps: 16429.83 } },
      { seed: 44, metrics: { critical_ttft_p99_ms: 71.9015, sheddable_ttft_p99_ms: 591.06002, standard_ttft_p99_ms: 235.94766, throughput_tps: 15754.32 } },
    ];
    const onMeans = scorePoint(objective, constraints, 'on_means', evaluations);
    const perSeed = scorePoint(objective, constraints, 'per_seed', evaluations);
    expect(onMeans.score).toBeCloseTo(70.77781, 5); // the seed's recorded score: 70.78
    expect(perSeed.score).toBeCloseTo(70.77781 + (2 * 29.34858) / 3, 5);
    expect(perSeed.perSeed.map((s) => s.penalty)).toEqual([0, expect.closeTo(58.69716, 5), 0]);
    expect(onMeans.perSeed).toEqual(perSeed.perSeed);
  });

  it('maximised objectives are negated before penalties', () => {
    const s = scoreSeed({ metric: 'throughput_tps', direction: 'maximize' }, [{ metric: 'dropped', direction: 'at_most', threshold: 0, weight: 1000 }], { throughput_tps: 17000, dropped: 2 }, 1);
    expect(s.score).toBe(-17000 + 2000);
  });

  it('an undefined objective metric names the missing class and the seed', () => {
    const metrics = extractMetrics(syntheticResult([slo('standard', 1, 2, 3, 4, 5), slo('sheddable', 1, 2, 3, 4, 5)]));
    expect(() => scoreSeed(objective, [], metrics, 44)).toThrow(
      'objective critical_ttft_p99_ms is undefined for seed 44: the run has no completed "critical" requests, so critical_ttft_p99_ms is undefined',
    );
  });
});
