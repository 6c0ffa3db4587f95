// Ledger entries that are experiments (comparison, sweep, ablation): parsing and its errors, zipped and workload-field
// sweeps, claims checked per grid point / strategy / component on the seeds they describe, failed runs recorded in
// their row, and one small real ledger with a sweep point that fails.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLedgerReport, formatLedgerMarkdown, parseLedger, type ExperimentOutcome, type LedgerOutcome } from '../src/lab/ledger.js';
import type { MetricValues } from '../src/lab/metrics.js';
import { loadStrategy } from '../src/lab/strategy.js';
import { atGridPoint, expandGrid, parseVary } from '../src/lab/sweep.js';
import { errorOf, runCliCaptured } from './support/cli.js';

const ROOT = new URL('..', import.meta.url).pathname;
const WORKLOAD = join(ROOT, 'presets/workloads/mixed-production.yaml');

describe('zipped --vary', () => {
  it('moves several flags together, one tuple per grid point', () => {
    const vary = parseVary('total-kv-blocks,kv-cpu-blocks=132139:44046, 2000:666');
    expect(vary.columns).toEqual(['total-kv-blocks', 'kv-cpu-blocks']);
    expect(expandGrid([vary, parseVary('scheduler=fcfs,sjf')])).toEqual([
      { 'total-kv-blocks': '132139', 'kv-cpu-blocks': '44046', scheduler: 'fcfs' },
      { 'total-kv-blocks': '132139', 'kv-cpu-blocks': '44046', scheduler: 'sjf' },
      { 'total-kv-blocks': '2000', 'kv-cpu-blocks': '666', scheduler: 'fcfs' },
      { 'total-kv-blocks': '2000', 'kv-cpu-blocks': '666', scheduler: 'sjf' },
    ]);
  });

  it('refuses tuples of the wrong size, repeated tuples or names, and a name varied twice', () => {
    expect(errorOf(() => parseVary('a,b=1:2,3'))).toBe('--vary: a,b: expected 2 values separated by ":" in each comma-separated tuple (e.g. 1:2), got "3"');
    expect(errorOf(() => parseVary('a,b=1500:3000:250'))).toMatch(/^--vary: a,b: expected 2 values separated by ":"/); // no ranges in tuples
    expect(errorOf(() => parseVary('a,b=1:2,1:2'))).toBe('--vary: a,b: a tuple is listed twice');
    expect(errorOf(() => parseVary('a,a=1:2'))).toBe('--vary: a,a: a name is listed twice');
    expect(errorOf(() => parseVary('a,=1:2'))).toBe('--vary: empty name in "a,"');
    expect(errorOf(() => expandGrid([parseVary('a,b=1:2'), parseVary('b=3')]))).toBe('--vary: b is varied twice');
  });
});

describe('workload.FIELD sweeps', () => {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-ledgerx-'));
  const strategyFile = join(dir, 's.yaml');
  writeFileSync(strategyFile, `name: s\nworkload_spec: ${WORKLOAD}\nfixed_args: [--model meta-llama/llama-3.1-8b-instruct, --num-instances 2]\n`);

  it('runs a derived copy of the spec with the field replaced; equal variants share one file', () => {
    const strategy = loadStrategy(strategyFile);
    const at1500 = atGridPoint(strategy, { 'workload.aggregate_rate': '1500' }, dir);
    expect(at1500.workloadSpec).not.toBe(WORKLOAD);
    const text = readFileSync(at1500.workloadSpec, 'utf8');
    expect(text).toMatch(/^aggregate_rate: 1500\.0$/m);
    // Everything else is the original spec, comments included, below a header line naming the change.
    expect(text.split('\n')[0]).toBe('# mixed-production.yaml with aggregate_rate = 1500 (a servesim sweep variant)');
    expect(text.split('\n').slice(1).join('\n').replace('aggregate_rate: 1500.0', 'aggregate_rate: 2000.0')).toBe(readFileSync(WORKLOAD, 'utf8'));
    expect(atGridPoint(strategy, { 'workload.aggregate_rate': '1500' }, dir).workloadSpec).toBe(at1500.workloadSpec);
    expect(atGridPoint(strategy, { 'workload.clients.0.rate_fraction': '0.4' }, dir).workloadSpec).not.toBe(at1500.workloadSpec);
  });

  it('refuses a field the spec lacks, a non-scalar field and a value the spec checks refuse', () => {
    const strategy = loadStrategy(strategyFile);
    expect(errorOf(() => atGridPoint(strategy, { 'workload.rate': '1' }, dir))).toBe(`--vary: workload.rate: the workload spec ${WORKLOAD} has no such field`);
    expect(errorOf(() => atGridPoint(strategy, { 'workload.clients': '1' }, dir))).toBe(`--vary: workload.clients: not a single value in ${WORKLOAD}`);
    expect(errorOf(() => atGridPoint(strategy, { 'workload.aggregate_rate': '0' }, dir))).toBe(
      '--vary workload.aggregate_rate="0": Invalid workload spec: aggregate_rate must be positive, got 0.000000',
    );
  });
});

const LEDGER = `
seeds: 1,2,3
baseline: base
entries:
  - {id: base, name: Base, strategy: s/base.yaml}
  - id: sweep
    kind: sweep
    name: Budget sweep
    strategy: s/best.yaml
    reference: s/base.yaml
    vary: ["max-num-scheduled-tokens=512,1024"]
    metrics: [critical_ttft_p99_ms, throughput_tps]
    seed_ledger:
      - {at: {max-num-scheduled-tokens: 512}, critical_ttft_p99_ms: 50, critical_ttft_p99_ms_delta_pct: -50}
      - {seeds: 1, critical_ttft_p99_ms: {at_most: 60}}
  - id: kv
    kind: sweep
    name: KV
    strategy: s/best.yaml
    vary: ["total-kv-blocks,kv-cpu-blocks=3000:1000,2000:666"]
    seed_ledger:
      - {at: {total-kv-blocks: 2000}, seeds: 1, critical_ttft_p99_ms_delta_pct: -40}
  - id: cmp
    kind: comparison
    name: Alternatives
    strategies: [s/best.yaml, s/alt.yaml]
    seed_ledger:
      - {critical_ttft_p99_ms_delta_pct: {at_least: 0}}
  - id: abl
    kind: ablation
    name: Components
    strategy: s/best.yaml
    reference: s/base.yaml
    metrics: [critical_ttft_p99_ms]
    seed_ledger:
      - {for: prio, critical_ttft_p99_ms_add_one_pct: 0}
      - {critical_ttft_p99_ms_delta_pct: -50}
`;

const m = (crit: number, tps = 100): MetricValues => ({ critical_ttft_p99_ms: crit, throughput_tps: tps });
const ok = (seeds: number[], crits: number[]) => ({ seeds, metrics: crits.map((c) => m(c)), failures: [] });
const info = (name: string) => ({ name, file: `/lab/s/${name}.yaml`, workloadSpec: '/lab/w.yaml', fixedArgs: [] });

function outcomes(): Map<string, LedgerOutcome> {
  const sweep: ExperimentOutcome = {
    kind: 'sweep',
    strategy: info('best'),
    reference: info('base'),
    points: [{ 'max-num-scheduled-tokens': '512' }, { 'max-num-scheduled-tokens': '1024' }],
    measured: [
      { own: ok([1, 2, 3], [40, 50, 60]), ref: ok([1, 2, 3], [100, 100, 100]) },
      // Seed 3 of the reference fails at 1024: the strategy's mean keeps it, the paired Δ drops it.
      { own: ok([1, 2, 3], [70, 80, 90]), ref: { seeds: [1, 2], metrics: [m(100), m(200)], failures: [{ seed: 3, error: 'strategy base, seed 3: KV allocation out of range' }] } },
    ],
  };
  const kv: ExperimentOutcome = {
    kind: 'sweep',
    strategy: info('best'),
    points: [{ 'total-kv-blocks': '3000', 'kv-cpu-blocks': '1000' }, { 'total-kv-blocks': '2000', 'kv-cpu-blocks': '666' }],
    measured: [{ own: ok([1, 2, 3], [50, 50, 50]) }, { own: ok([1, 2, 3], [60, 999, 999]) }],
  };
  const cmp: ExperimentOutcome = { kind: 'comparison', strategies: [info('best'), info('alt')], outcomes: [ok([1, 2, 3], [50, 50, 50]), ok([1, 2, 3], [45, 55, 53])] };
  const components = [{ name: 'prio', args: ['--priority-policy slo-tiered'] }];
  // baseline, full, +prio, -prio
  const abl: ExperimentOutcome = {
    kind: 'ablation',
    full: info('best'),
    baseline: info('base'),
    components,
    outcomes: [ok([1, 2, 3], [100, 100, 100]), ok([1, 2, 3], [50, 50, 50]), ok([1, 2, 3], [100, 100, 100]), ok([1, 2, 3], [90, 90, 90])],
  };
  return new Map<string, LedgerOutcome>([
    ['base', ok([1, 2, 3], [100, 100, 100])],
    ['sweep', sweep],
    ['kv', kv],
    ['cmp', cmp],
    ['abl', abl],
  ]);
}

describe('ledger experiment entries', () => {
  it('parse by kind, with paths relative to the ledger', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    expect(ledger.entries.map((e) => [e.id, e.kind, e.baseline])).toEqual([
      ['base', 'strategy', undefined],
      ['sweep', 'sweep', undefined], // it has a reference: no baseline entry
      ['kv', 'sweep', 'base'], // no reference: figures' Δ% vs the ledger's baseline
      ['cmp', 'comparison', undefined],
      ['abl', 'ablation', undefined],
    ]);
    expect(ledger.entries[3]!.strategyFiles).toEqual(['/lab/s/best.yaml', '/lab/s/alt.yaml']);
    expect(ledger.entries[4]!.referenceFile).toBe('/lab/s/base.yaml');
    expect(ledger.entries[2]!.grid).toHaveLength(2);
    expect(ledger.entries[1]!.claims.map((c) => [c.key, c.at, c.seeds, c.figure])).toEqual([
      ['critical_ttft_p99_ms', { 'max-num-scheduled-tokens': ['512'] }, undefined, { value: 50, tolerance: 0.5 }],
      ['critical_ttft_p99_ms_delta_pct', { 'max-num-scheduled-tokens': ['512'] }, undefined, { value: -50, tolerance: 1 }],
      ['critical_ttft_p99_ms', undefined, [1], { value: 60, tolerance: 0, bound: 'at_most' }],
    ]);
  });

  it.each([
    ['{id: x, kind: sweep, name: X, strategy: a.yaml}', 'entries[1].vary: required for kind sweep'],
    ['{id: x, name: X, strategy: a.yaml, vary: ["a=1"]}', 'entries[1].vary: not a field of kind strategy (it takes strategy, baseline)'],
    ['{id: x, kind: comparison, name: X, strategy: a.yaml, strategies: [a.yaml, b.yaml]}', 'entries[1].strategy: not a field of kind comparison (it takes strategies, metrics)'],
    ['{id: x, kind: ablation, name: X, strategy: a.yaml}', 'entries[1].reference: required for kind ablation'],
    ['{id: x, kind: sweep, name: X, strategy: a.yaml, vary: ["a=1,1"]}', 'entries[1].vary[0]: a: a value is listed twice'],
    ['{id: x, kind: sweep, name: X, strategy: a.yaml, vary: ["a=1", "a=2"]}', 'entries[1].vary: a is varied twice'],
    ['{id: x, kind: sweep, name: X, strategy: a.yaml, vary: ["a=1"], seed_ledger: [{at: {b: 1}, ttft_p99_ms: 1}]}', 'entries[1].seed_ledger[0].at.b: not a varied name (varied: a)'],
    ['{id: x, kind: sweep, name: X, strategy: a.yaml, vary: ["a=1"], seed_ledger: [{at: {a: 2}, ttft_p99_ms: 1}]}', 'entries[1].seed_ledger[0].at.a: 2 is not a grid value (1)'],
    ['{id: x, kind: sweep, name: X, strategy: a.yaml, vary: ["a=1"], seed_ledger: [{for: y, ttft_p99_ms: 1}]}', 'entries[1].seed_ledger[0].for: only comparison and ablation entries'],
    ['{id: x, kind: sweep, name: X, strategy: a.yaml, vary: ["a=1"], seed_ledger: {ttft_p99_ms: 1}}', 'entries[1].seed_ledger: expected a list of claims'],
    ['{id: x, name: X, strategy: a.yaml, seed_ledger: [{ttft_p99_ms: 1}]}', 'entries[1].seed_ledger: a list of claims is for comparison, sweep and ablation entries'],
    ['{id: x, kind: ablation, name: X, strategy: a.yaml, reference: b.yaml, seed_ledger: [{ttft_p99_ms_add_one_pct: 1}]}', 'add_one_pct is the effect of an ablation component (give for: COMPONENT)'],
    ['{id: x, kind: comparison, name: X, strategies: [a.yaml, b.yaml], seed_ledger: [{seeds: "x", ttft_p99_ms: 1}]}', 'entries[1].seed_ledger[0].seeds: "x" is not a seed'],
    ['{id: x, kind: comparison, name: X, strategies: [a.yaml, b.yaml], seed_ledger: [{ttft_p99_ms: {at_least: "high"}}]}', 'entries[1].seed_ledger[0].ttft_p99_ms: expected a number, {value, tolerance}, {at_least} or {at_most}'],
    ['{id: x, kind: comparison, name: X, strategies: [a.yaml, b.yaml], metrics: [standard_completed]}', 'entries[1].metrics[0]: a comparison reports'],
    ['{id: x, kind: comparison, name: X, strategies: [a.yaml, b.yaml]}\n  - {id: y, name: Y, strategy: a.yaml, baseline: x}', 'entries[2].baseline: entry "x" is a comparison, not a strategy'],
  ])('refuses %s', (entry, message) => {
    const text = `baseline: a\nentries:\n  - {id: a, name: A, strategy: a.yaml}\n  - ${entry}\n`;
    expect(errorOf(() => parseLedger(text, '/l.yaml'))).toContain(message);
  });

  it('checks each claim where it applies, on the seeds it names, and records failed runs in the row', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const report = buildLedgerReport(ledger, [1, 2, 3], outcomes(), 'test');
    const row = (id: string) => report.rows.find((r) => r.id === id)!;

    const sweep = row('sweep');
    expect(sweep.kind).toBe('sweep');
    // 512: mean 50, Δ vs reference -50 %; 1024: the reference's seed 3 failed → Δ over seeds 1, 2: (150 − 150) / 150.
    const [p512, p1024] = sweep.sweep!.points;
    expect(p512!.cells[0]!).toMatchObject({ metric: 'critical_ttft_p99_ms', n: 3, mean: 50 });
    expect(p512!.cells[0]!.reference!.diffPct).toBeCloseTo(-50, 10);
    expect(p1024!.cells[0]!).toMatchObject({ n: 3, mean: 80 });
    expect(p1024!.cells[0]!.reference!.diffPct).toBeCloseTo(-50, 10); // (75 − 150) / 150 on the paired seeds 1, 2
    expect(p1024!.failed_seeds).toEqual([{ seed: 3, error: 'strategy base, seed 3: KV allocation out of range', side: 'reference' }]);
    expect(sweep.failed_seeds).toEqual([{ seed: 3, error: 'strategy base, seed 3: KV allocation out of range', variant: 'max-num-scheduled-tokens=1024 (reference base)' }]);
    expect(sweep.status).toMatch(/^Partial: 1 of 12 runs failed \(max-num-scheduled-tokens=1024 \(reference base\) seed 3: KV allocation out of range\); their cells use the other seeds; Differs: Crit TTFT P99 @ max-num-scheduled-tokens=1024 \(seed 1\) 70\.0 vs seed ≤ 60\.0$/);
    // The seed-1 claim applies at every point: 40 and 70, at most 60.
    expect(sweep.seed_ledger.filter((c) => c.seeds).map((c) => [c.at, c.ours, c.matches])).toEqual([
      [{ 'max-num-scheduled-tokens': '512' }, 40, true],
      [{ 'max-num-scheduled-tokens': '1024' }, 70, false],
    ]);
    expect(report.failed_evaluations).toBe(1);

    // Without a reference, Δ% is vs the baseline entry on the claim's seeds: seed 1, 60 vs 100.
    const kv = row('kv');
    expect(kv.seed_ledger).toEqual([
      { key: 'critical_ttft_p99_ms_delta_pct', ours: -40, seed: -40, difference: 0, tolerance: 1, matches: true, at: { 'total-kv-blocks': '2000', 'kv-cpu-blocks': '666' }, seeds: [1] },
    ]);
    expect(kv.status).toBe('Reproduced (1 seed figure)');

    // Comparison: alt is 51 vs 50 → +2 %, at least 0.
    const cmp = row('cmp');
    expect(cmp.seed_ledger.map((c) => [c.for, c.ours, c.bound, c.matches])).toEqual([['alt', 2, 'at_least', true]]);
    expect(cmp.comparison!.rows.find((r) => r.metric === 'critical_ttft_p99_ms' && r.strategy === 'alt')!.mean).toBeCloseTo(51, 10);

    // Ablation: +prio alone does nothing (0 %), the full strategy halves the metric.
    const abl = row('abl');
    expect(abl.seed_ledger.map((c) => [c.key, c.for, c.ours, c.matches])).toEqual([
      ['critical_ttft_p99_ms_add_one_pct', 'prio', 0, true],
      ['critical_ttft_p99_ms_delta_pct', undefined, -50, true],
    ]);
    // Per seed the interaction is −50 − 0 (a zero-width interval): the full effect comes from the combination.
    expect(abl.ablation!.metrics[0]!.verdict).toBe('super-additive');
  });

  it('skips claims about seeds the run lacks and figures of another seed set', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const shifted = new Map([...outcomes()].map(([id, o]) => [id, o]));
    const report = buildLedgerReport(ledger, [1, 2, 3, 4], shifted, 'test');
    // The seed-1 figure of `kv` is still checked on seed 1; the unseeded figures of `cmp` describe seeds 1-3: not compared.
    expect(report.rows.find((r) => r.id === 'kv')!.status).toBe('Reproduced (1 seed figure)');
    expect(report.rows.find((r) => r.id === 'cmp')!.status).toBe("Measured on seeds 1-4; the seed ledger's figures are for seeds 1-3, not compared");
  });

  it('writes a section per experiment with CIs for 3 seeds and its failed runs', () => {
    const ledger = parseLedger(LEDGER, '/lab/ledger.yaml');
    const md = formatLedgerMarkdown(buildLedgerReport(ledger, [1, 2, 3], outcomes(), 'test'));
    expect(md).toContain('| sweep | Budget sweep | Crit: -50.0% over 2 points of max-num-scheduled-tokens (vs base) |');
    expect(md).toContain('## Sweep sweep: Budget sweep');
    expect(md).toContain('| 512 | 50.0 ± 24.8 | -50.0% [-74.8%, -25.2%] | 100.0 ± 0.0 | 0.0% [0.0%, 0.0%] n.s. |');
    expect(md).toContain('- max-num-scheduled-tokens=1024 (reference base), seed 3: strategy base, seed 3: KV allocation out of range');
    expect(md).toContain('## Comparison cmp: Alternatives');
    expect(md).toContain('| alt | 51.0 ± 13.1 | +2.0% [-24.3%, +28.3%] n.s. |');
    expect(md).toContain('## Ablation abl: Components');
    expect(md).toContain('| cmp | critical_ttft_p99_ms_delta_pct (alt) | 2.00 | ≥ 0.00 | +2.00 | ±0 | ok |');
    expect(md).toContain('| kv | critical_ttft_p99_ms_delta_pct (total-kv-blocks=2000 kv-cpu-blocks=666, seed 1) | -40.00 | -40.00 |');
    // Experiment rows stay out of the per-strategy tables.
    expect(md.split('## Absolute figures')[1]!.split('## Per seed')[0]).not.toMatch(/^\| (sweep|kv|cmp|abl) \|/m);
  });
});

describe('a real ledger with a sweep point that fails', () => {
  it('finishes, records the failed point in its row and exits with status 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servesim-ledgerx-run-'));
    // A priority plugin that breaks the run when its weight is above 0.5: the sweep's second point fails on every seed.
    writeFileSync(
      join(dir, 'aged.ts'),
      `export default { axis: 'priority', name: 'aged', params: { weight: { type: 'float', default: 0, min: 0, help: 'w' } },
  create: (p) => ({ compute: (req, now) => (p.weight > 0.5 ? Number.NaN : p.weight * (now - req.arrivalTime)) }) };\n`,
    );
    const common = `workload_spec: ${WORKLOAD}\nfixed_args: [--model meta-llama/llama-3.1-8b-instruct, --num-instances 2, --num-requests 60, --scheduler priority-fcfs`;
    writeFileSync(join(dir, 'base.yaml'), `name: base\n${common}]\n`);
    writeFileSync(join(dir, 'aged.yaml'), `name: aged\n${common}, --priority-policy aged]\n`);
    writeFileSync(
      join(dir, 'ledger.yaml'),
      `seeds: 42,43\nbaseline: "0"\nplugins: [aged.ts]\nentries:\n  - {id: "0", name: Base, strategy: base.yaml}\n` +
        `  - id: "1"\n    kind: sweep\n    name: Weights\n    strategy: aged.yaml\n    vary: ["aged.weight=0,1", "workload.aggregate_rate=1000"]\n` +
        `    seed_ledger: [{at: {aged.weight: 0}, seeds: 42, critical_ttft_p99_ms: {at_least: 0}}]\n`,
    );
    const out = join(dir, 'out');
    const { exitCode, stdout, stderr } = await runCliCaptured(['ledger', 'ledger.yaml', '--jobs', '1', '--store', 's.sqlite', '--out', out], dir, { SERVESIM_PROGRESS: 'plain' });
    expect(stderr).toMatch(/ledger: 2 of 6 evaluations failed \(row 1: seeds 42, 43\); their rows say why \(exit status 3\)\n$/);
    expect(exitCode).toBe(3);
    expect(stdout).toMatch(/\| 1 \| Weights \| Crit TTFT P99 [\d.]+ ms over 2 points of aged\.weight, workload\.aggregate_rate \|.*Partial: 2 of 4 runs failed \(aged\.weight=1 workload\.aggregate_rate=1000 \(aged\) seed 42; aged\.weight=1 workload\.aggregate_rate=1000 \(aged\) seed 43: .*returned NaN/);
    const report = JSON.parse(readFileSync(join(out, 'ledger.json'), 'utf8')) as {
      rows: Array<{ kind: string; failed_seeds: Array<{ seed: number; variant: string }>; seed_ledger: Array<{ matches: boolean }>; sweep: { points: Array<{ cells: Array<{ n: number }>; failed_seeds?: unknown[] }> } }>;
    };
    const row = report.rows[1]!;
    expect(row.kind).toBe('sweep');
    expect(row.failed_seeds.map((f) => [f.seed, f.variant])).toEqual([
      [42, 'aged.weight=1 workload.aggregate_rate=1000 (aged)'],
      [43, 'aged.weight=1 workload.aggregate_rate=1000 (aged)'],
    ]);
    expect(row.sweep.points.map((p) => [p.cells[0]!.n, p.failed_seeds?.length ?? 0])).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(row.seed_ledger.map((c) => c.matches)).toEqual([true]);
    expect(readFileSync(join(out, 'ledger.md'), 'utf8')).toContain('## Sweep 1: Weights');
    expect(existsSync(join(out, 'ledger.json'))).toBe(true);
  }, 60_000);
});
