// The text summary of a multi-objective (or hard-constrained) `optimize` run: the front with each point's objectives
// (mean ± 95 % CI over the tuning seeds) and parameters, and the hypervolume per call.
import { basename } from 'node:path';
import type { OptimizeResult } from './optimize.js';
import { buildRunArgv, formatArgv } from './runargs.js';
import { formatSeeds } from './seeds.js';
import type { Strategy } from './strategy.js';
import { textTableLines } from './text-table.js';

function figure(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  return v.toFixed(Math.abs(v) >= 1000 ? 0 : Math.abs(v) >= 100 ? 1 : 2);
}

const arrow = (direction: 'minimize' | 'maximize') => (direction === 'minimize' ? '↓' : '↑');

export function formatFrontSummary(strategy: Strategy, r: OptimizeResult, output: string | undefined, store?: string): string {
  const objectives = r.objectives ?? [];
  const front = r.front ?? [];
  const feasibleCalls = r.trace.filter((t) => t.feasible).length;
  const hv = r.hypervolume!;
  const lines = [
    `strategy ${strategy.name}: ${r.settings.nCalls} calls x ${r.settings.seeds.length} seeds (${formatSeeds(r.settings.seeds)}), ` +
      `${strategy.initialPoints?.length ? `${strategy.initialPoints.length} from initial_points + ` : ''}` +
      `${r.settings.nInitial} initial, random state ${r.settings.randomState}`,
    `objectives (each call: the mean over its ${r.settings.seeds.length} seeds): ${objectives.map((o) => `${o.metric} ${arrow(o.direction)}`).join(', ')}`,
    ...(r.requirements?.length
      ? [`hard constraints (feasible iff the mean over seeds of the per-seed slack is <= 0): ${r.requirements.join('; ')}`]
      : []),
    `front: ${front.length} non-dominated of ${feasibleCalls} feasible calls (of ${r.trace.length}); mean ± 95 % CI over the tuning seeds`,
  ];
  if (front.length > 0) {
    const header = ['call', ...objectives.map((o) => `${o.metric} ${arrow(o.direction)}`)];
    const rows = front.map((p) => [String(p.call), ...p.objectives.map((o) => `${figure(o.mean)} ± ${figure(o.half_width)}`)]);
    lines.push(...textTableLines([header, ...rows], (col) => col === 0, { rule: true }).map((l) => `  ${l}`));
    const names = Object.keys(front[0]!.params);
    const paramRows = front.map((p) => [String(p.call), ...names.map((n) => String(p.params[n]))]);
    lines.push('front parameters:', ...textTableLines([['call', ...names], ...paramRows], (col) => col === 0, { rule: true }).map((l) => `  ${l}`));
  } else {
    lines.push('  (no call satisfied every hard constraint)');
  }
  const by = hv.normalised_by === 'call 1' ? 'call 1' : basename(hv.normalised_by);
  const worst = hv.reference_strategies.length > 1 ? `the worst of ${hv.reference_strategies.map((f) => basename(f)).join(', ')}` : by;
  lines.push(
    `hypervolume per call (objectives / ${by}'s tuning-seed means, maximised ones negated; reference point ${worst} + 0.1 = ` +
      `[${hv.reference_point.map((v) => v.toFixed(2)).join(', ')}]):`,
  );
  for (let i = 0; i < hv.per_call.length; i += 10) {
    lines.push(`  ${String(i + 1).padStart(3)}-${String(Math.min(i + 10, hv.per_call.length)).padEnd(3)} ${hv.per_call.slice(i, i + 10).map((v) => v.toFixed(4)).join(' ')}`);
  }
  if (front.length > 0) lines.push(`run the first front point: servesim run ${formatArgv(buildRunArgv(strategy, front[0]!.params, r.settings.seeds[0]!))}`);
  if (store !== undefined && r.run_id !== null) {
    lines.push(`stored as run ${r.run_id}: servesim trials ${formatArgv([store])} --run ${r.run_id}; servesim export ${formatArgv([store])} --run ${r.run_id} --call K`);
  }
  lines.push(
    `simulations run ${r.simulations_run}, reused ${r.evaluations_reused} (already in the trial store, or identical to one running: never ` +
      `simulated twice); ${r.wall_time_s.toFixed(1)} s` +
      (output ? `; written to ${output}` : ''),
  );
  return `${lines.join('\n')}\n`;
}
