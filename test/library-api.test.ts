// The package's public entry points as a consumer sees them (`import … from 'servesim'`), built by `npm test`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const goldenDir = join(import.meta.dirname, 'fixtures', 'golden');
const g24Args = ['--model', 'meta-llama/llama-3.1-8b-instruct', '--workload', 'traces', '--workload-traces-filepath', 'workloads/one-request.csv'];

describe("import from 'servesim'", () => {
  it('resolves flags, simulates in-process and renders the reference stdout', async () => {
    const lib = await import('servesim');
    const { sim, output } = lib.resolveRunConfig(g24Args, { cwd: goldenDir });
    const result = lib.simulate(sim);
    expect(result.cluster.completed_requests).toBe(1);
    expect(result.cluster.ttft_mean_ms).toBe(12.434);
    expect(result.cluster.e2e_mean_ms).toBe(38.588);
    let stdout = '';
    lib.renderRunOutput(result, output, (chunk: string) => (stdout += chunk));
    expect(stdout).toBe(readFileSync(join(goldenDir, 'G24.stdout.txt'), 'utf8'));
  });

  it('reports bad flags as a ServesimError, not a crash', async () => {
    const lib = await import('servesim');
    expect(() => lib.resolveRunConfig(['--model', 'm', '--num-instances', 'two'], { cwd: goldenDir })).toThrow(lib.ServesimError);
  });

  it('exposes the optimiser with the gp_minimize-like result shape', async () => {
    const { minimize } = await import('servesim');
    const result = await minimize((x) => ((x[0] as number) - 0.3) ** 2, [{ kind: 'real', name: 'x', low: 0, high: 1 }], {
      nCalls: 12,
      nInitial: 5,
      randomState: 1,
    });
    expect(result.xIters).toHaveLength(12);
    expect(result.funIters).toHaveLength(12);
    expect(result.fun).toBe(Math.min(...result.funIters));
    expect(result.fun).toBeLessThan(0.01);
  });

  it('keeps the strategy lab behind servesim/lab', async () => {
    const lab = await import('servesim/lab');
    expect(lab.parseSeeds('42-44,50')).toEqual([42, 43, 44, 50]);
  });
});
