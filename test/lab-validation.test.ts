// Held-out validation verdicts on synthetic per-seed data whose answer is known by construction.
import { describe, expect, it } from 'vitest';
import { formatValidation, validateCandidates, verdictOf, type ValidationCandidate, type ValidationReference } from '../src/lab/validation.js';
import type { Objective } from '../src/lab/strategy.js';

const objectives: Objective[] = [
  { metric: 'critical_ttft_p99_ms', direction: 'minimize' },
  { metric: 'throughput_tps', direction: 'maximize' },
];

// Seed-to-seed load differences (large) and small deterministic noise: a paired comparison sees through the first.
const load = [0, 30, -20, 45, -10, 15, -35, 5, 25, -5];
const noise = [0.4, -0.3, 0.2, -0.5, 0.1, 0.3, -0.2, -0.4, 0.5, -0.1];

function side(critical: (i: number) => number, throughput: (i: number) => number) {
  return load.map((_, i) => ({ critical_ttft_p99_ms: critical(i), throughput_tps: throughput(i) }));
}

const reference: ValidationReference = {
  name: 'ref',
  file: '/ref.yaml',
  tuning: side((i) => 100 + load[i]!, (i) => 20000 + 100 * load[i]!),
  validation: side((i) => 100 + load[i]!, (i) => 20000 + 100 * load[i]!),
};

function candidate(call: number, tuningCritical: number, heldOutCritical: number, heldOutThroughput = 0): ValidationCandidate {
  return {
    call,
    params: { x: call },
    tuning: side((i) => 100 + load[i]! + tuningCritical + noise[i]!, (i) => 20000 + 100 * load[i]! + 10 * noise[i]!),
    validation: side(
      (i) => 100 + load[i]! + heldOutCritical + noise[(i + 3) % 10]!,
      (i) => 20000 + 100 * load[i]! + heldOutThroughput + 10 * noise[(i + 7) % 10]!,
    ),
  };
}

describe('held-out validation verdicts', () => {
  const seeds = { tuning: [42, 43, 44, 45, 46, 47, 48, 49, 50, 51], validation: [52, 53, 54, 55, 56, 57, 58, 59, 60, 61] };
  const report = validateCandidates(
    objectives,
    [
      candidate(1, -10, -10), // 10 % better on both seed sets: validated
      candidate(2, -10, 0), // 10 % better while tuning, nothing held out: over-fitted
      candidate(3, 0, 0), // no difference anywhere: not significant
      candidate(4, -10, -10, -400), // better critical, but 2 % less throughput held out: not validated
      candidate(5, -3, -10), // better held out than tuned: validated, not over-fitted
    ],
    [reference],
    seeds,
  );
  const byCall = new Map(report.rows.map((r) => [r.call, r]));

  it('validated: first objective significantly better, none significantly worse', () => {
    const row = byCall.get(1)!;
    expect(row.verdict).toBe('validated');
    const critical = row.objectives[0]!;
    // Δ = −10 ms on every seed (the noise sums to 0) against a reference mean of 100 + mean(load) = 105 ms.
    expect(critical.diff_pct).toBeCloseTo(-1000 / 105, 9);
    expect(critical.ci_high_pct).toBeLessThan(0);
    expect(critical.significantly_better).toBe(true);
    expect(row.objectives[1]!.significantly_worse).toBe(false);
    expect(byCall.get(5)!.verdict).toBe('validated');
    expect(byCall.get(5)!.objectives[0]!.tuning_outside_ci).toBe(false);
  });

  it('over-fitted: the tuning advantage lies beyond the favourable end of the held-out interval', () => {
    const row = byCall.get(2)!;
    expect(row.verdict).toBe('over-fitted');
    expect(row.objectives[0]!.tuning_diff_pct).toBeLessThan(row.objectives[0]!.ci_low_pct);
    expect(row.objectives[0]!.ci_low_pct).toBeLessThan(0);
    expect(row.objectives[0]!.ci_high_pct).toBeGreaterThan(0);
  });

  it('not significant; a significantly worse objective blocks validation (over-fitted when tuning saw no loss)', () => {
    expect(byCall.get(3)!.verdict).toBe('not significant');
    const row = byCall.get(4)!;
    expect(row.objectives[0]!.significantly_better).toBe(true);
    expect(row.objectives[1]!.significantly_worse).toBe(true);
    expect(row.objectives[1]!.diff_pct).toBeCloseTo(-2, 1);
    // Its tuning throughput was level (≈ 0 %), i.e. more favourable than the held-out interval: the search was fooled.
    expect(row.verdict).toBe('over-fitted');
  });

  it('a hard constraint violated on the held-out seeds blocks validation and is listed', () => {
    const broken = { ...candidate(7, -10, -10), heldOutConstraints: [{ text: 'rejected == 0', mean_slack: 1.5, feasible: false }] };
    const held = { ...candidate(8, -10, -10), heldOutConstraints: [{ text: 'rejected == 0', mean_slack: 0, feasible: true }] };
    const r = validateCandidates(objectives, [broken, held], [reference], seeds);
    expect(r.rows.map((x) => x.verdict)).toEqual(['not significant', 'validated']);
    expect(r.rows[0]!.objectives[0]!.significantly_better).toBe(true);
    expect(formatValidation(r, objectives)).toContain(
      'hard constraints on the held-out seeds (violated: mean per-seed slack > 0, in the metric\'s unit): call 7: rejected == 0 violated (+1.50); call 8: all hold',
    );
  });

  it('a maximised objective is better when higher', () => {
    const v = verdictOf([
      { metric: 't', direction: 'maximize', tuning_diff_pct: 1, diff_pct: 1, ci_low_pct: 0.5, ci_high_pct: 1.5, p_value: 0.01, significantly_better: true, significantly_worse: false, tuning_outside_ci: false },
    ]);
    expect(v).toBe('validated');
    const [throughput] = validateCandidates([objectives[1]!], [candidate(6, 0, 0, 300)], [reference], seeds).rows[0]!.objectives;
    expect(throughput!.significantly_better).toBe(true);
    expect(throughput!.diff_pct).toBeCloseTo(1.5, 1);
  });

  it('prints one line per candidate and reference with Δ %, interval and verdict', () => {
    const text = formatValidation(report, objectives);
    expect(text).toMatch(/^held-out validation on seeds 52-61 \(tuned on 42-51\)/);
    expect(text).toMatch(/\n1 +ref +-9\.\d \[-\d+\.\d, -\d+\.\d\] \+ \(-9\.\d\) .* validated\n/);
    expect(text).toContain('validated: call 1 vs ref, call 5 vs ref');
  });
});
