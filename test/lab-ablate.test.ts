// Ablations: component variants, and the interaction statistics on synthetic data with known answers.
import { describe, expect, it } from 'vitest';
import { ablationMetric, addComponent, checkComponents, removeComponent, type Component } from '../src/lab/ablate.js';
import type { Strategy } from '../src/lab/strategy.js';

const strategy = (name: string, fixedArgs: string[]): Strategy => ({
  name,
  description: '',
  file: `/s/${name}.yaml`,
  fixedArgs,
  parameters: [],
  derived: [],
  workloadSpec: '/w.yaml',
  constraints: [],
  penalties: 'per_seed',
  components: [],
});

const baseline = strategy('baseline', ['--model', 'm', '--scheduler', 'fcfs', '--routing-scorers', 'a:1']);
const full = strategy('full', ['--model', 'm', '--scheduler', 'priority-fcfs', '--priority-policy', 'slo-tiered', '--routing-scorers', 'a:1,b:2', '--slo-priority-bridge']);
const components: Component[] = [
  { name: 'priority', args: ['--scheduler priority-fcfs', '--priority-policy slo-tiered'] },
  { name: 'scorer', args: ['--routing-scorers a:1,b:2'] },
  { name: 'bridge', args: ['--slo-priority-bridge'] },
];

describe('component variants', () => {
  it('adds a component to the baseline, replacing the baseline value of its flags', () => {
    expect(addComponent(baseline, components[0]!).fixedArgs).toEqual(['--model', 'm', '--routing-scorers', 'a:1', '--scheduler', 'priority-fcfs', '--priority-policy', 'slo-tiered']);
    expect(addComponent(baseline, components[2]!).fixedArgs).toEqual([...baseline.fixedArgs, '--slo-priority-bridge']);
  });

  it('removes a component from the full strategy, restoring the baseline value or dropping the flag', () => {
    expect(removeComponent(full, baseline, components[0]!).fixedArgs).toEqual(['--model', 'm', '--routing-scorers', 'a:1,b:2', '--slo-priority-bridge', '--scheduler', 'fcfs']);
    expect(removeComponent(full, baseline, components[2]!).fixedArgs).not.toContain('--slo-priority-bridge');
  });

  it('checks that the components are what the strategy sets, one component per flag', () => {
    expect(() => checkComponents(full, components)).not.toThrow();
    expect(() => checkComponents(full, [{ name: 'x', args: ['--scheduler sjf'] }])).toThrow('ablate: component "x" sets --scheduler sjf but the strategy has --scheduler priority-fcfs');
    expect(() => checkComponents(full, [components[1]!, { name: 'dup', args: ['--routing-scorers a:1,b:2'] }])).toThrow(/is in components "scorer" and "dup"/);
    expect(() => checkComponents(full, [])).toThrow(/names no components/);
  });
});

describe('interaction', () => {
  const seeds = 5;
  const constant = (v: number) => Array.from({ length: seeds }, (_, i) => v + (i % 2 === 0 ? 0.5 : -0.5));

  it('is additive when the full effect is the sum of the single effects', () => {
    // baseline 100; A alone −10, B alone −20; full −30 on every seed (plus the same seed noise everywhere).
    const m = ablationMetric('ttft', ['A', 'B'], {
      baseline: constant(100),
      full: constant(70),
      addOne: [constant(90), constant(80)],
      leaveOneOut: [constant(80), constant(90)],
    });
    expect(m.fullEffect.mean).toBeCloseTo(-30, 10);
    expect(m.interaction.mean).toBeCloseTo(0, 10);
    expect(m.verdict).toBe('additive');
    expect(m.components.map((c) => c.addOne.mean)).toEqual([-10, -20].map((v) => expect.closeTo(v, 10)));
    expect(m.components[1]!.leaveOneOut.mean).toBeCloseTo(-20, 10);
  });

  it('is super-additive when the parts only work together (priority without a priority scheduler does nothing)', () => {
    const noise = [0.4, -0.3, 0.2, -0.1, 0.0];
    const m = ablationMetric('ttft', ['priority', 'scheduler'], {
      baseline: noise.map((e) => 100 + e),
      full: noise.map((e, i) => 50 + e + i * 0.1),
      addOne: [noise.map((e) => 100 + e), noise.map((e) => 98 + e)],
      leaveOneOut: [noise.map((e) => 98 + e), noise.map((e) => 100 + e)],
    });
    // full −50 vs sum of singles −2: interaction ≈ −48, in the direction of the full effect.
    expect(m.interaction.mean).toBeCloseTo(-48 + 0.2, 10);
    expect(m.interaction.ciHigh).toBeLessThan(0);
    expect(m.verdict).toBe('super-additive');
  });

  it('is sub-additive when the parts overlap (each alone already does most of it)', () => {
    const m = ablationMetric('ttft', ['A', 'B'], {
      baseline: [100, 101, 99, 100, 100],
      full: [70, 71, 69, 70, 70.5],
      addOne: [[72, 73, 71, 72, 72], [75, 76, 74, 75, 75]],
      leaveOneOut: [[75, 76, 74, 75, 75], [72, 73, 71, 72, 72]],
    });
    // full −30 vs sum −53: interaction +23, against the full effect's direction.
    expect(m.interaction.mean).toBeCloseTo(23.1, 10);
    expect(m.verdict).toBe('sub-additive');
  });
});

describe('servesim ablate', () => {
  it('runs baseline, full, add-one and leave-one-out variants and reports the interaction', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runCli } = await import('../src/cli/program.js');
    const dir = mkdtempSync(join(tmpdir(), 'servesim-ablate-'));
    const workload = new URL('../presets/workloads/mixed-production.yaml', import.meta.url).pathname;
    const head = `workload_spec: ${workload}\nseeds: 42,43,44\nobjective: {metric: critical_ttft_p99_ms, direction: minimize}\n`;
    writeFileSync(join(dir, 'base.yaml'), `name: base\n${head}fixed_args: [--model meta-llama/llama-3.1-8b-instruct, --num-instances 2, --num-requests 120]\n`);
    writeFileSync(
      join(dir, 'full.yaml'),
      `extends: base.yaml\nname: full\nfixed_args: [--scheduler priority-fcfs, --priority-policy slo-tiered]\ncomponents:\n  scheduler: [--scheduler priority-fcfs]\n  priority: [--priority-policy slo-tiered]\n`,
    );
    let stdout = '';
    const code = await runCli(['ablate', join(dir, 'full.yaml'), '--baseline', join(dir, 'base.yaml'), '--jobs', '1', '--store', join(dir, 's.sqlite'), '--json'], {
      cwd: dir,
      writeStdout: (t) => void (stdout += t),
      writeStderr: () => {},
      env: { SERVESIM_PROGRESS: 'plain' },
    });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { metrics: Array<{ metric: string; components: Array<{ component: string; addOne: { mean: number } }>; interaction: { mean: number } }> };
    const m = result.metrics[0]!;
    expect(m.metric).toBe('critical_ttft_p99_ms');
    expect(m.components.map((c) => c.component)).toEqual(['scheduler', 'priority']);
    // A priority policy under FCFS changes nothing: its add-one effect is exactly 0.
    expect(m.components[1]!.addOne.mean).toBe(0);
  }, 60_000);
});
