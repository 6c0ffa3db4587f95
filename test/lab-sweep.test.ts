// Sweeps: value shorthands, grid expansion, variants per grid point, and one small real sweep against a reference.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { loadStrategy } from '../src/lab/strategy.js';
import { atGridPoint, expandGrid, expandValues, parseVary } from '../src/lab/sweep.js';
import { errorOf } from './support/cli.js';

const ROOT = new URL('..', import.meta.url).pathname;
const WORKLOAD = join(ROOT, 'presets/workloads/mixed-production.yaml');


describe('--vary values', () => {
  it('lists, ranges and log ranges', () => {
    expect(expandValues('768,1024, 2048')).toEqual(['768', '1024', '2048']);
    expect(expandValues('1500:3000:250')).toEqual(['1500', '1750', '2000', '2250', '2500', '2750', '3000']);
    expect(expandValues('0.1:0.5:0.2')).toEqual(['0.1', '0.3', '0.5']);
    expect(expandValues('1000:1100:30')).toEqual(['1000', '1030', '1060', '1090']); // TO not on the step
    expect(expandValues('log:768:6144:4')).toEqual(['768', '1536', '3072', '6144']);
    expect(expandValues('log:0.001:1:4')).toEqual(['0.001', '0.01', '0.1', '1']);
  });

  it('refuses malformed values', () => {
    expect(errorOf(() => expandValues('3000:1500:250'))).toBe('--vary: range "3000:1500:250": expected FROM <= TO and STEP > 0');
    expect(errorOf(() => expandValues('log:0:10:3'))).toBe('--vary: log range "log:0:10:3" needs finite ends > 0');
    expect(errorOf(() => expandValues('1,,2'))).toBe('--vary: empty value in "1,,2"');
    expect(errorOf(() => parseVary('rate'))).toMatch(/^--vary: expected NAME=VALUES/);
    expect(errorOf(() => parseVary('rate=1,1'))).toBe('--vary: rate: a value is listed twice');
    expect(errorOf(() => expandValues('0:1000000:1'))).toMatch(/has 1000001 points; at most 1000$/);
  });

  it('expands a grid, first --vary slowest', () => {
    expect(expandGrid([parseVary('a=1,2'), parseVary('b=x,y,z')])).toEqual([
      { a: '1', b: 'x' },
      { a: '1', b: 'y' },
      { a: '1', b: 'z' },
      { a: '2', b: 'x' },
      { a: '2', b: 'y' },
      { a: '2', b: 'z' },
    ]);
    expect(errorOf(() => expandGrid([parseVary('a=1'), parseVary('a=2')]))).toBe('--vary: a is varied twice');
  });
});

describe('sweep', () => {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-sweep-'));
  const write = (name: string, extra: string) => {
    writeFileSync(
      join(dir, `${name}.yaml`),
      `name: ${name}\nworkload_spec: ${WORKLOAD}\nseeds: 42,43,44\nfixed_args: [--model meta-llama/llama-3.1-8b-instruct, --num-instances 2, --num-requests 80${extra}]\n` +
        'objective: {metric: ttft_p99_ms, direction: minimize}\n',
    );
    return join(dir, `${name}.yaml`);
  };
  const base = write('base', '');
  const tiered = write('tiered', ', --scheduler priority-fcfs, --priority-policy slo-tiered');

  it('builds each grid point as a variant, and refuses a bad value before any simulation', () => {
    const s = atGridPoint(loadStrategy(tiered), { 'max-num-scheduled-tokens': '512', workload: WORKLOAD }, dir);
    expect(s.fixedArgs).toContain('--max-num-scheduled-tokens=512');
    expect(() => atGridPoint(loadStrategy(tiered), { 'num-instances': 'zero' }, dir)).toThrow(/invalid argument "zero" for "--num-instances"/);
  });

  it('reports every grid point against the reference with the same varied flag', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      ['sweep', tiered, '--reference', base, '--vary', 'max-num-scheduled-tokens=256,2048', '--metrics', 'critical_ttft_p99_ms,completed', '--jobs', '1', '--store', join(dir, 's.sqlite'), '--csv'],
      { cwd: dir, writeStdout: (t) => void (stdout += t), writeStderr: (t) => void (stderr += t), env: { SERVESIM_PROGRESS: 'plain' } },
    );
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('max-num-scheduled-tokens,metric,n,mean,ci_half_width,reference_mean,reference_ci_half_width,delta_pct,ci_low_pct,ci_high_pct,significant');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      '256,critical_ttft_p99_ms,3',
      '256,completed,3',
      '2048,critical_ttft_p99_ms,3',
      '2048,completed,3',
    ]);
    // Every request completes at both budgets, for the strategy and the reference alike.
    expect(lines[2]!.split(',').slice(3, 8)).toEqual(['80', '0', '80', '0', '0']);
    // A smaller token budget must change the critical latency of the reference (it gets the same flag).
    const criticalRef = [lines[1]!, lines[3]!].map((l) => Number(l.split(',')[5]));
    expect(criticalRef[0]).not.toBe(criticalRef[1]);
  }, 60_000);
});
