// `servesim report` without a browser: the Pareto flags and ECDF sampling on hand-computed data, the reports of the
// compare/sweep/ablate JSON outputs (detected from their content), and the one-line errors of report and dashboard.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../src/cli/io.js';
import { runLabCommand } from '../src/lab/commands.js';
import { inProcessPool } from '../src/lab/pool.js';
import { TrialStore } from '../src/lab/store.js';
import { paretoChart, paretoFlags, renderSvg, sweepChart } from '../src/report/charts.js';
import { downsampleEcdf, ecdfSeries } from '../src/report/distributions.js';
import { jsonKind } from '../src/report/json-report.js';
import { runCliCaptured } from './support/cli.js';
import { countingEvaluator, tempDir, THREE_PARAM_STRATEGY, writeStrategy } from './lab/helpers.js';

describe('Pareto front', () => {
  const points = [
    { x: 1, y: 5 },
    { x: 2, y: 4 },
    { x: 3, y: 3 },
    { x: 2, y: 5 },
    { x: 4, y: 4 },
    { x: 3, y: 3 }, // a duplicate: neither copy dominates the other
    { x: NaN, y: 0 },
  ];

  it('flags the points no other point beats on both objectives (hand-computed)', () => {
    expect(paretoFlags(points, ['minimize', 'minimize'])).toEqual([true, true, true, false, false, true, false]);
    expect(paretoFlags(points, ['minimize', 'maximize'])).toEqual([true, false, false, false, false, false, false]);
    expect(paretoFlags(points, ['maximize', 'maximize'])).toEqual([false, false, false, true, true, false, false]);
  });

  it('draws validated rings and reference labels only when given', async () => {
    const flags = paretoFlags(points, ['minimize', 'minimize']);
    const objective = points.map((p, i) => ({ label: `p${i}`, ...p, front: flags[i]!, validated: i === 1 }));
    const refs = [
      { label: 'baseline', x: 5, y: 5 },
      { label: 'seed iteration 3', x: 2.5, y: 4.5 },
      { label: 'seed iteration 8', x: 1.5, y: 4.8 },
    ];
    const svg = await renderSvg(paretoChart(objective, refs, { xTitle: 'critical TTFT P99 (ms)', yTitle: 'throughput (tokens/s)' }));
    for (const text of ['baseline', 'seed iteration 3', 'seed iteration 8', 'validated', 'on the front', 'critical TTFT P99 (ms)']) expect(svg).toContain(`>${text}<`);
    const bare = await renderSvg(paretoChart(objective.map((p) => ({ ...p, validated: false })), [], { xTitle: 'a', yTitle: 'b' }));
    expect(bare).not.toContain('>validated<');
    expect(bare).not.toContain('>reference<');
  });
});

describe('inline SVG', () => {
  it('escapes names from the data (strategy names end up inside the HTML)', async () => {
    const name = '<img src=x onerror=alert(1)>&"';
    const svg = await renderSvg(sweepChart([{ value: 1, series: name, mean: 1, lo: 0, hi: 2 }], { xTitle: '<b>flag</b>', yTitle: 'y', order: [name] }));
    expect(svg).not.toContain('<img');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;img src=x onerror=alert(1)&gt;&amp;');
  });
});

describe('ECDF samples', () => {
  it('keeps every point of a small sample and at most N evenly ranked ones of a large one', () => {
    expect(downsampleEcdf([1, 2, 4, 8], 10)).toEqual([
      { ms: 1, p: 0.25 },
      { ms: 2, p: 0.5 },
      { ms: 4, p: 0.75 },
      { ms: 8, p: 1 },
    ]);
    const sorted = Array.from({ length: 10_001 }, (_, i) => i);
    const points = downsampleEcdf(sorted, 200);
    expect(points).toHaveLength(200);
    expect(points[0]).toEqual({ ms: 0, p: 1 / 10_001 });
    expect(points.at(-1)).toEqual({ ms: 10_000, p: 1 });
    // Each kept point is exact: its p is its rank's fraction.
    for (const pt of points) expect(pt.p).toBeCloseTo((pt.ms + 1) / 10_001, 12);
    expect(points.every((pt, i) => i === 0 || pt.ms > points[i - 1]!.ms)).toBe(true);
  });

  it("pools every seed's requests and marks each seed's P99 as the simulator computed it", () => {
    const runs = [
      { seed: 1, samples: { critical: { ttft_ms: [1, 3], e2e_ms: [10] } }, metrics: { critical_ttft_p99_ms: 3, critical_e2e_p99_ms: 10 } },
      { seed: 2, samples: { critical: { ttft_ms: [2], e2e_ms: [20, 30] } }, metrics: { critical_ttft_p99_ms: 2, critical_e2e_p99_ms: 30 } },
    ];
    const [ttft, e2e] = ecdfSeries('s', runs, ['critical']);
    expect(ttft!.points.map((p) => p.ms)).toEqual([1, 2, 3]);
    expect(ttft!.p99).toEqual([
      { seed: 1, ms: 3 },
      { seed: 2, ms: 2 },
    ]);
    expect(e2e!.points).toEqual([
      { ms: 10, p: 1 / 3 },
      { ms: 20, p: 2 / 3 },
      { ms: 30, p: 1 },
    ]);
  });
});

function capture(cwd: string): CliIO & { out: string[] } {
  const out: string[] = [];
  return { cwd, env: {}, out, writeStdout: (t) => void out.push(t), writeStderr: () => {} };
}

/** Runs a lab command with the synthetic evaluator and returns its --json output, written to `file`. */
async function labJson(dir: string, name: 'compare' | 'sweep' | 'ablate', argv: string[], file: string): Promise<unknown> {
  const io = capture(dir);
  const fake = countingEvaluator();
  const code = await runLabCommand(name, [...argv, '--json', '--jobs', '1', '--store', join(dir, 'store.sqlite')], io, {
    progressBar: false,
    createPool: (jobs) => inProcessPool(fake.evaluate, jobs),
  });
  expect(code).toBe(0);
  writeFileSync(join(dir, file), io.out.join(''));
  return JSON.parse(io.out.join(''));
}

describe('reports of the lab JSON outputs', () => {
  const dir = tempDir('servesim-report-json-');
  writeStrategy(dir, THREE_PARAM_STRATEGY, 'a.yaml');
  writeStrategy(dir, THREE_PARAM_STRATEGY.replace('name: toy', 'name: toy-b').replace('default: a}', 'default: b}'), 'b.yaml');
  writeStrategy(dir, THREE_PARAM_STRATEGY.replace('name: toy', 'name: toy-c').replace('default: 10}', 'default: 12}'), 'c.yaml');
  const fixed = (name: string, args: string[], extra = '') =>
    `name: ${name}\nworkload_spec: workload.yaml\nseeds: 42,43,44\nfixed_args:\n${args.map((a) => `  - ${a}`).join('\n')}\nobjective: {metric: critical_ttft_p99_ms, direction: minimize}\n${extra}`;
  writeStrategy(dir, fixed('plain', ['--model meta-llama/llama-3.1-8b-instruct', '--max-num-scheduled-tokens 2048', '--routing-scorers b']), 'plain.yaml');
  writeStrategy(dir, fixed('ref', ['--model meta-llama/llama-3.1-8b-instruct', '--max-num-scheduled-tokens 2048', '--routing-scorers a']), 'ref.yaml');
  writeStrategy(
    dir,
    fixed('full', ['--model meta-llama/llama-3.1-8b-instruct', '--routing-scorers b', '--slo-base-critical 12'], 'components:\n  scorers: [--routing-scorers b]\n  base: [--slo-base-critical 12]\n'),
    'full.yaml',
  );
  writeStrategy(dir, fixed('base', ['--model meta-llama/llama-3.1-8b-instruct', '--routing-scorers a']), 'base.yaml');

  async function report(file: string): Promise<string> {
    const result = await runCliCaptured(['report', file, '--out', `${file}.html`], dir);
    expect(result.exitCode, result.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    return readFileSync(join(dir, `${file}.html`), 'utf8');
  }

  it('compare (two-way and many-way): Δ% per metric with CIs and the per-seed table', async () => {
    expect(jsonKind(await labJson(dir, 'compare', ['a.yaml', 'b.yaml'], 'ab.json'))).toBe('compare');
    const two = await report('ab.json');
    expect(two).toContain('<figure id="compare-delta" data-series="1">');
    expect(two).toContain('change vs toy (%)');
    expect((two.match(/<tr><td>toy-b<\/td><td>4[234]<\/td>/g) ?? []).length).toBe(3); // per-seed rows of b
    expect(jsonKind(await labJson(dir, 'compare', ['a.yaml', 'b.yaml', 'c.yaml'], 'abc.json'))).toBe('compare-many');
    const many = await report('abc.json');
    expect(many).toContain('<figure id="compare-delta" data-series="2">');
    expect(many).toContain('>toy-c<');
  });

  it('sweep: one chart per metric, a line per strategy with a CI band', async () => {
    const data = await labJson(dir, 'sweep', ['plain.yaml', '--vary', 'max-num-scheduled-tokens=1024,2048,3072', '--reference', 'ref.yaml', '--metrics', 'critical_ttft_p99_ms,throughput_tps'], 'sweep.json');
    expect(jsonKind(data)).toBe('sweep');
    const html = await report('sweep.json');
    expect(html).toContain('<figure id="sweep-critical_ttft_p99_ms" data-series="2">');
    expect(html).toContain('<figure id="sweep-throughput_tps" data-series="2">');
    expect(html).toContain('>max-num-scheduled-tokens<'); // the x axis title
    expect((html.match(/<tr><td>(1024|2048|3072)<\/td><td>4[234]<\/td>/g) ?? []).length).toBe(9); // 3 points × 3 seeds
  });

  it('sweep of zipped flags: one line per strategy over the first flag, the zipped flag named on the axis', async () => {
    await labJson(dir, 'sweep', ['plain.yaml', '--vary', 'max-num-scheduled-tokens,max-num-running-reqs=1024:64,2048:128', '--metrics', 'critical_ttft_p99_ms'], 'zipped.json');
    const html = await report('zipped.json');
    expect(html).toContain('<figure id="sweep-critical_ttft_p99_ms" data-series="1">');
    expect(html).toContain('max-num-scheduled-tokens (with max-num-running-reqs)');
  });

  it('sweep over a crossed grid: a line per value of the second flag', async () => {
    await labJson(dir, 'sweep', ['plain.yaml', '--vary', 'max-num-scheduled-tokens=1024,2048', '--vary', 'max-num-running-reqs=64,128', '--metrics', 'critical_ttft_p99_ms'], 'crossed.json');
    const html = await report('crossed.json');
    expect(html).toContain('<figure id="sweep-critical_ttft_p99_ms" data-series="2">');
  });

  it('ablate: each component added and removed, with the interaction', async () => {
    const data = await labJson(dir, 'ablate', ['full.yaml', '--baseline', 'base.yaml'], 'ablate.json');
    expect(jsonKind(data)).toBe('ablate');
    const html = await report('ablate.json');
    expect(html).toContain('<figure id="ablate-figure-critical_ttft_p99_ms" data-series="4">');
    for (const row of ['>scorers<', '>base<', '>interaction<', '>full strategy<']) expect(html).toContain(row);
  });
});

describe('bundle', () => {
  it('bin/servesim report --help runs from the esbuild bundle (vega and the server load lazily)', () => {
    const bin = fileURLToPath(new URL('../bin/servesim', import.meta.url));
    for (const command of ['report', 'dashboard']) {
      const child = spawnSync(bin, [command, '--help'], { encoding: 'utf8' });
      expect(child.status, child.stderr).toBe(0);
      expect(child.stdout).toContain(`Usage: servesim ${command} [options]`);
    }
  });
});

describe('one-line errors', () => {
  const dir = tempDir('servesim-report-errors-');
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  writeFileSync(join(dir, 'other.json'), '{"x": 1}');
  TrialStore.open(join(dir, 'store.sqlite')).close();

  it.each([
    [['report', 'missing', '--out', 'r.html'], 'report: SOURCE missing: no such file or directory'],
    [['report', 'empty', '--out', 'r.html'], 'report: SOURCE empty: a directory without ledger.json (expected the --out directory of `servesim ledger`)'],
    [['report', 'notes.txt', '--out', 'r.html'], /^report: SOURCE notes\.txt: not a trial store and not valid JSON \(.*\)$/],
    [['report', 'other.json', '--out', 'r.html'], 'report: SOURCE other.json: not a ledger.json or the --json output of compare, sweep or ablate'],
    [['report', 'store.sqlite', '--out', 'r.html'], '--run: required with a trial store (store.sqlite has no optimisation runs)'],
    [['report', 'store.sqlite', '--run', '3', '--out', 'r.html'], '--run 3: trial store store.sqlite has no optimisation run 3 (it has no optimisation runs)'],
    [['report', 'other.json', '--run', '1', '--out', 'r.html'], '--run: only meaningful with a trial store; SOURCE other.json is a JSON file'],
    [['report', 'other.json', '--out', 'empty'], /^--out .*empty: is a directory, expected a file path$/],
    [['dashboard', '--store', 'missing.sqlite', '--port', '0'], 'trial store missing.sqlite: no such file'],
    [['dashboard', '--store', 'notes.txt', '--port', '0'], /^trial store notes\.txt is damaged or not a SQLite database/],
    [['dashboard', '--store', 'store.sqlite', '--host', 'example.com'], '--host: expected an IP address or localhost, got "example.com"'],
    [['dashboard', '--store', 'store.sqlite', '--port', '70000'], '--port: expected 0 (any free port) to 65535, got "70000"'],
  ])('%j', async (argv, message) => {
    const result = await runCliCaptured(argv, dir);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    if (typeof message === 'string') expect(lines[0]).toBe(message);
    else expect(lines[0]).toMatch(message);
  });

  it('a port in use is a one-line error', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCliCaptured(['dashboard', '--store', 'store.sqlite', '--port', String(port)], dir);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(`--port ${port}: already in use on 127.0.0.1 (choose another, or --port 0 for a free one)\n`);
    } finally {
      blocker.close();
    }
  });
});
