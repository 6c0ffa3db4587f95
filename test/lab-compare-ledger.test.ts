import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildComparison, formatCompareTable } from '../src/lab/compare.js';
import { buildLedgerReport, formatLedgerMarkdown, parseLedger, type EntryOutcome } from '../src/lab/ledger.js';
import type { MetricValues } from '../src/lab/metrics.js';
import { tempDir } from './lab/helpers.js';

const A = { name: 'a', file: '/x/a.yaml' };
const B = { name: 'b', file: '/x/b.yaml' };

function metrics(crit: number, tps: number, extra: MetricValues = {}): MetricValues {
  return { critical_ttft_p99_ms: crit, sheddable_ttft_p99_ms: crit * 2, throughput_tps: tps, ttft_p99_ms: crit * 1.5, slo_gap: 2, ...extra };
}

describe('compare', () => {
  it('pairs seeds and reports the t interval in % of A', () => {
    // Critical TTFT: A = 10, 12, 14; B = 11, 15, 15 → d = 1, 3, 1 (the hand-computed case of lab-stats).
    const result = buildComparison(A, B, [42, 43, 44], [metrics(10, 100), metrics(12, 100), metrics(14, 100)], [metrics(11, 100), metrics(15, 100), metrics(15, 100)]);
    const crit = result.rows.find((r) => r.metric === 'critical_ttft_p99_ms')!;
    expect(crit.scope).toBe('critical');
    expect(crit.name).toBe('ttft_p99_ms');
    expect(crit.diffPct).toBeCloseTo(13.8889, 3);
    expect(crit.halfWidth).toBeCloseTo(4.302652729749464 * (2 / 3), 10);
    expect(crit.significant).toBe(false);
    const tps = result.rows.find((r) => r.metric === 'throughput_tps')!;
    expect(tps.meanDiff).toBe(0);
    const table = formatCompareTable(result);
    expect(table).toMatch(/critical\s+ttft_p99_ms\s+12\.00\s+13\.67\s+\+13\.9\s+\[-10\.0, \+37\.8\]\s+n\.s\./);
    expect(table).toMatch(/cluster\s+throughput_tps\s+100\.00\s+100\.00\s+0\.0\s+\[0\.0, 0\.0\]\s+identical/);
    expect(table).toContain("95 % CI from Student's t on the paired differences (df = 2)");
    // Missing metrics (no standard class here) are n/a, not a crash.
    expect(table).toMatch(/standard\s+ttft_p99_ms\s+n\/a/);
    const json = JSON.parse(JSON.stringify(result)) as { rows: Array<{ metric: string; meanA: number | null }> };
    expect(json.rows.find((r) => r.metric === 'standard_ttft_p99_ms')!.meanA).toBeNull();
  });

  it('a consistent improvement is significant', () => {
    const as = [42, 43, 44, 45, 46].map((s) => metrics(100 + s, 100));
    const bs = [42, 43, 44, 45, 46].map((s) => metrics(50 + s + (s % 2), 100));
    const crit = buildComparison(A, B, [42, 43, 44, 45, 46], as, bs).rows.find((r) => r.metric === 'critical_ttft_p99_ms')!;
    expect(crit.significant).toBe(true);
    expect(crit.ciHighPct).toBeLessThan(0);
  });
});

const LEDGER = `
title: Test ledger
seeds: 1,2
baseline: base
entries:
  - {id: base, name: Base, strategy: s/base.yaml, mechanism: FCFS, seed_ledger: {critical_ttft_p99_ms: 100}}
  - id: better
    name: Better
    strategy: s/better.yaml
    mechanism: priority
    seed_ledger:
      critical_ttft_p99_ms_delta_pct: -50
      throughput_tps_delta_pct: {value: 0, tolerance: 0.5}
    note: checked by hand
  - {id: other-base, name: Other workload, strategy: s/o.yaml, baseline: none, seeds: 7}
  - {id: other, name: Other best, strategy: s/o2.yaml, baseline: other-base, seeds: [7]}
`;

/** Outcomes where every seed of the row ran: the base rows on [1, 2], the other rows on [7]. */
function complete(perSeed: Map<string, MetricValues[]>): Map<string, EntryOutcome> {
  return new Map([...perSeed].map(([id, metricsList]) => [id, { seeds: id.startsWith('other') ? [7] : [1, 2], metrics: metricsList, failures: [] }]));
}

describe('ledger', () => {
  it('parses entries, per-entry seeds and baselines', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    expect(ledger.seeds).toEqual([1, 2]);
    expect(ledger.entries.map((e) => [e.id, e.baseline, e.seeds])).toEqual([
      ['base', undefined, undefined],
      ['better', 'base', undefined],
      ['other-base', undefined, [7]],
      ['other', 'other-base', [7]],
    ]);
    expect(ledger.entries[1]!.strategyFile).toBe('/lab/s/better.yaml');
    expect(ledger.entries[1]!.seedLedger.critical_ttft_p99_ms_delta_pct).toEqual({ value: -50, tolerance: 1 });
  });

  it.each([
    ['baseline: nope\nentries: [{id: a, name: A, strategy: a.yaml}]', /baseline: no entry has id "nope"/],
    ['baseline: a\nentries: [{id: a, name: A, strategy: a.yaml}, {id: a, name: B, strategy: b.yaml}]', /entries\[1\]\.id: "a" is used twice/],
    ['baseline: a\nentries: [{id: a, name: A, strategy: a.yaml, seed_ledger: {ttft: 1}}]', /entries\[0\]\.seed_ledger\.ttft: unknown metric "ttft"/],
    ['baseline: a\nentries: [{id: a, name: A, strategy: a.yaml, colour: red}]', /entries\[0\]: unknown field "colour"; allowed: id, name, kind, strategy, strategies, reference, vary, metrics, mechanism, baseline, seeds, seed_ledger, note, note_seeds/],
    ['baseline: a\nentries: []', /entries: Too small/],
  ])('rejects bad ledgers (%#)', (yaml, pattern) => {
    expect(() => parseLedger(yaml, '/l.yaml')).toThrow(pattern);
  });

  it('computes Δ% vs each row\'s baseline, checks seed figures and formats the seed table', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const perSeed = new Map<string, MetricValues[]>([
      ['base', [metrics(90, 1000, { standard_ttft_p99_ms: 80, rejected: 0, injected: 1000 }), metrics(110, 1000, { standard_ttft_p99_ms: 100, rejected: 0, injected: 1000 })]],
      ['better', [metrics(45, 1004, { standard_ttft_p99_ms: 60, rejected: 100, injected: 900 }), metrics(55, 1000, { standard_ttft_p99_ms: 80, rejected: 200, injected: 800 })]],
      ['other-base', [metrics(40, 10, { rejected: 0, injected: 10 })]],
      ['other', [metrics(30, 10, { rejected: 0, injected: 10 })]],
    ]);
    const report = buildLedgerReport(ledger, [1, 2], complete(perSeed), 'test');
    const better = report.rows[1]!;
    expect(better.delta_pct.critical_ttft_p99_ms).toBeCloseTo(-50, 10);
    expect(better.delta_pct.standard_ttft_p99_ms).toBeCloseTo(((70 - 90) / 90) * 100, 10);
    expect(better.per_seed.critical_ttft_p99_ms).toEqual({ '1': 45, '2': 55 });
    expect(better.seed_ledger.map((c) => c.matches)).toEqual([true, true]);
    expect(better.status).toBe('Reproduced (2 seed figures)');
    expect(report.rows[2]!.seeds).toEqual([7]);
    expect(report.rows[3]!.delta_pct.critical_ttft_p99_ms).toBeCloseTo(-25, 10);

    const md = formatLedgerMarkdown(report);
    expect(md).toContain('| Iter | Strategy Name | TTFT P99 Δ% | Throughput Δ% | SLO Gap | Rejections | Key Mechanism | Status |');
    expect(md).toContain('| base | Base | — | — | 2.00x | 0 | FCFS | Reproduced (1 seed figure) |');
    expect(md).toContain('| better | Better | Crit: -50.0%, Std: -22.2%, Shed: -50.0% | +0.2% | 2.00x | 150.0 (15.0%) | priority | Reproduced (2 seed figures) — checked by hand |');
    expect(md).toContain('| other | Other best (seed 7) | Crit: -25.0%, Std: n/a, Shed: -25.0% (vs other-base) |');
    expect(md).toMatch(/\| better \| critical_ttft_p99_ms_delta_pct \| -50\.00 \| -50\.00 \| \+0\.00 \| ±1 \| ok \|/);
  });

  it('reports a differing figure with both values', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const perSeed = new Map<string, MetricValues[]>([
      ['base', [metrics(100, 1000), metrics(100, 1000)]],
      ['better', [metrics(60, 900), metrics(60, 900)]],
      ['other-base', [metrics(40, 10)]],
      ['other', [metrics(30, 10)]],
    ]);
    const row = buildLedgerReport(ledger, [1, 2], complete(perSeed), 'test').rows[1]!;
    expect(row.status).toBe('Differs: Crit TTFT P99 Δ% -40.0 vs seed -50.0; TPS Δ% -10.0 vs seed 0.0');
  });

  it('records a failed seed in its row, pairs Δ% on the seeds both rows ran, and finishes', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const outcomes = complete(
      new Map([
        ['base', [metrics(100, 1000), metrics(200, 1000)]],
        ['better', [metrics(50, 1000)]],
        ['other-base', [metrics(40, 10)]],
        ['other', []],
      ]),
    );
    outcomes.set('better', { seeds: [1], metrics: [metrics(50, 1000)], failures: [{ seed: 2, error: 'strategy better, seed 2: KV allocation out of range' }] });
    outcomes.set('other', { seeds: [], metrics: [], failures: [{ seed: 7, error: 'boom' }] });
    const report = buildLedgerReport(ledger, [1, 2], outcomes, 'test');
    const better = report.rows[1]!;
    expect(better.seeds).toEqual([1]);
    expect(better.failed_seeds).toEqual([{ seed: 2, error: 'strategy better, seed 2: KV allocation out of range' }]);
    // Paired on seed 1 only: 100 → 50, not the base's two-seed mean 150.
    expect(better.delta_pct.critical_ttft_p99_ms).toBeCloseTo(-50, 10);
    expect(better.status).toMatch(/^Partial: seed 2 failed \(KV allocation out of range\); figures over the other 1; /);
    expect(report.rows[3]!.status).toBe('Failed on every seed (7): boom');
    expect(report.failed_evaluations).toBe(2);
    // One paired seed is too few for an interval.
    expect(better.delta_ci_pct).toEqual({});
  });

  it('gives Δ% a paired 95 % interval when a row shares at least three seeds with its baseline', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const outcomes = complete(
      new Map([
        ['base', [metrics(100, 1000), metrics(110, 1000), metrics(90, 1000)]],
        ['better', [metrics(50, 1000), metrics(60, 1000), metrics(40, 1000)]],
        ['other-base', [metrics(40, 10)]],
        ['other', [metrics(30, 10)]],
      ]),
    );
    for (const id of ['base', 'better']) outcomes.set(id, { ...outcomes.get(id)!, seeds: [1, 2, 3] });
    const row = buildLedgerReport(ledger, [1, 2, 3], outcomes, 'test').rows[1]!;
    // Every seed drops by exactly 50: zero spread, the interval is the point.
    expect(row.delta_ci_pct.critical_ttft_p99_ms).toEqual([-50, -50]);
    expect(formatLedgerMarkdown(buildLedgerReport(ledger, [1, 2, 3], outcomes, 'test'))).toContain('| better | base | -50.0% [-50.0%, -50.0%] |');
  });

  it('does not check the seed ledger\'s figures on other seeds', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const perSeed = new Map<string, MetricValues[]>([
      ['base', [metrics(100, 1000), metrics(100, 1000), metrics(100, 1000)]],
      ['better', [metrics(60, 900), metrics(60, 900), metrics(60, 900)]],
      ['other-base', [metrics(40, 10)]],
      ['other', [metrics(30, 10)]],
    ]);
    const outcomes = new Map([...complete(perSeed)].map(([id, o]) => [id, id.startsWith('other') ? o : { ...o, seeds: [1, 2, 3] }]));
    const row = buildLedgerReport(ledger, [1, 2, 3], outcomes, 'test').rows[1]!;
    expect(row.status).toBe("Measured on seeds 1-3; the seed ledger's figures are for seeds 1,2, not compared");
  });
});

describe('presets', () => {
  it('every preset strategy and the preset ledger parse', async () => {
    const { loadStrategy } = await import('../src/lab/strategy.js');
    const { loadLedger } = await import('../src/lab/ledger.js');
    const ledger = loadLedger('presets/ledger.yaml');
    expect(ledger.entries.length).toBeGreaterThanOrEqual(17);
    for (const entry of ledger.entries) expect(loadStrategy(entry.strategyFile).name).toBeTruthy();
    const opt8 = loadStrategy('presets/strategies/opt-iter8.yaml');
    expect(opt8.parameters).toHaveLength(6);
    expect(opt8.constraints).toHaveLength(3);
    expect(loadStrategy('presets/strategies/opt-iter1.yaml').parameters).toHaveLength(7);
    // Presets name workloads that exist and equal the golden copies below their header.
    for (const name of ['mixed-production', 'nonorthogonal', 'asymmetric', 'multiprefix', 'multiturn', 'multiturn-heavy']) {
      const preset = readFileSync(`presets/workloads/${name}.yaml`, 'utf8');
      const golden = readFileSync(`test/fixtures/golden/workloads/${name === 'mixed-production' ? 'mixed-production-workload' : `workload-${name}`}.yaml`, 'utf8');
      expect(preset.endsWith(golden)).toBe(true);
    }
  });

  it('a ledger can live anywhere: strategy paths are relative to it', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'l.yaml'), 'baseline: a\nentries: [{id: a, name: A, strategy: ../a.yaml}]\n');
    expect(parseLedger(readFileSync(join(dir, 'sub', 'l.yaml'), 'utf8'), join(dir, 'sub', 'l.yaml')).entries[0]!.strategyFile).toBe(join(dir, 'a.yaml'));
  });
});
