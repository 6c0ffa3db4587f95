// `ablate`: which named components of a strategy (groups of run flags, e.g. priority, bridge, no-chunk) carry its
// effect. Each component is added alone to the baseline (add-one) and removed alone from the full strategy
// (leave-one-out); the interaction is the full effect minus the sum of the add-one effects, per seed, with a t
// interval: super-additive when the combination does significantly more than the sum of its parts (in the direction
// of the full effect), sub-additive when significantly less, additive otherwise.

import { ServesimError } from '../errors.js';
import type { StrategyEvaluator } from './evaluate.js';
import type { MetricValues } from './metrics.js';
import { argvGroups } from '../config/flags.js';
import { formatSeeds } from './seeds.js';
import { meanInterval, pairedComparison } from './stats.js';
import { defaultParameterValues, type Strategy } from './strategy.js';
import { signedFixed, textTableLines } from './text-table.js';

export interface Component {
  name: string;
  /** `--flag value` entries as in fixed_args. */
  args: string[];
}

type FlagGroup = ReturnType<typeof argvGroups>[number];
const groups = argvGroups;

const tokensOf = (entries: readonly string[]): string[] => entries.flatMap((e) => e.trim().split(/\s+/).filter((t) => t !== ''));

/** `strategy` with the flags of `component` taken from `source` (or dropped when `source` does not set them). */
function swapFlags(strategy: Strategy, flags: ReadonlySet<string>, source: readonly FlagGroup[], name: string): Strategy {
  const kept = groups(strategy.fixedArgs).filter((g) => !flags.has(g.flag));
  const added = source.filter((g) => flags.has(g.flag));
  return {
    ...strategy,
    name,
    parameters: strategy.parameters.filter((p) => !flags.has(p.flag)),
    derived: strategy.derived.filter((d) => !flags.has(d.flag)),
    fixedArgs: [...kept, ...added].flatMap((g) => g.tokens),
  };
}

export function componentFlags(component: Component): Set<string> {
  return new Set(groups(tokensOf(component.args)).map((g) => g.flag));
}

/** The baseline with one component's flags added (replacing the baseline's own values of those flags). */
export function addComponent(baseline: Strategy, component: Component): Strategy {
  return swapFlags(baseline, componentFlags(component), groups(tokensOf(component.args)), `${baseline.name}+${component.name}`);
}

/** The full strategy with one component's flags reverted to the baseline's values (or removed). */
export function removeComponent(full: Strategy, baseline: Strategy, component: Component): Strategy {
  return swapFlags(full, componentFlags(component), groups(baseline.fixedArgs), `${full.name}-${component.name}`);
}

/** Checks that each component's flags are set in the full strategy as the component says. */
export function checkComponents(full: Strategy, components: readonly Component[]): void {
  if (components.length === 0) throw new ServesimError(`ablate: strategy ${full.file} names no components (components: {name: [--flag value, …]})`);
  const fullGroups = new Map(groups(full.fixedArgs).map((g) => [g.flag, g.tokens.join(' ')]));
  const seen = new Map<string, string>();
  for (const c of components) {
    for (const g of groups(tokensOf(c.args))) {
      const other = seen.get(g.flag);
      if (other !== undefined) throw new ServesimError(`ablate: ${g.flag} is in components "${other}" and "${c.name}"; a flag belongs to one component`);
      seen.set(g.flag, c.name);
      const inFull = fullGroups.get(g.flag);
      if (inFull !== g.tokens.join(' ')) {
        throw new ServesimError(`ablate: component "${c.name}" sets ${g.tokens.join(' ')} but the strategy has ${inFull ?? 'no such flag'}`);
      }
    }
  }
}

export interface Effect {
  n: number;
  /** Mean paired difference (metric units) and its interval. */
  mean: number;
  ciLow: number;
  ciHigh: number;
  /** As % of the mean of the side it is measured from. */
  pct: number;
  significant: boolean;
}

export interface ComponentEffect {
  component: string;
  /** baseline + c − baseline. */
  addOne: Effect;
  /** full − (full − c). */
  leaveOneOut: Effect;
}

export interface AblationMetric {
  metric: string;
  baseline: number;
  full: number;
  fullEffect: Effect;
  components: ComponentEffect[];
  /** Per seed: full effect − Σ add-one effects. */
  interaction: Effect;
  verdict: 'super-additive' | 'sub-additive' | 'additive';
}

function effect(from: readonly number[], to: readonly number[]): Effect {
  const p = pairedComparison(from, to);
  return { n: p.n, mean: p.meanDiff, ciLow: p.ciLow, ciHigh: p.ciHigh, pct: p.diffPct, significant: p.significant };
}

/** The statistics of an ablation from per-seed values of one metric (tests feed known answers). */
export function ablationMetric(
  metric: string,
  components: readonly string[],
  values: { baseline: number[]; full: number[]; addOne: number[][]; leaveOneOut: number[][] },
): AblationMetric {
  const { baseline, full } = values;
  const perSeedInteraction = full.map((f, s) => f - baseline[s]! - values.addOne.reduce((sum, a) => sum + (a[s]! - baseline[s]!), 0));
  const i = meanInterval(perSeedInteraction);
  const baseMean = meanInterval(baseline).mean;
  const interaction: Effect = {
    n: i.n,
    mean: i.mean,
    ciLow: i.mean - i.halfWidth,
    ciHigh: i.mean + i.halfWidth,
    pct: baseMean !== 0 ? (100 * i.mean) / Math.abs(baseMean) : NaN,
    significant: i.n > 1 && (i.mean - i.halfWidth > 0 || i.mean + i.halfWidth < 0),
  };
  const fullEffect = effect(baseline, full);
  const sameDirection = Math.sign(interaction.mean) === Math.sign(fullEffect.mean);
  return {
    metric,
    baseline: baseMean,
    full: meanInterval(full).mean,
    fullEffect,
    components: components.map((component, k) => ({
      component,
      addOne: effect(baseline, values.addOne[k]!),
      leaveOneOut: effect(values.leaveOneOut[k]!, full),
    })),
    interaction,
    verdict: !interaction.significant ? 'additive' : sameDirection ? 'super-additive' : 'sub-additive',
  };
}

export interface AblationResult {
  strategy: { name: string; file: string };
  baseline: { name: string; file: string };
  seeds: number[];
  metrics: AblationMetric[];
}

/** The strategies an ablation evaluates: baseline, full, each component added to the baseline, each removed from the full. */
export function ablationVariants(full: Strategy, baseline: Strategy, components: readonly Component[]): Strategy[] {
  return [baseline, full, ...components.map((c) => addComponent(baseline, c)), ...components.map((c) => removeComponent(full, baseline, c))];
}

/** The ablation's statistics from per-seed metrics of each of `ablationVariants` (same seeds, same order). */
export function ablationResultFrom(
  full: Pick<Strategy, 'name' | 'file'>,
  baseline: Pick<Strategy, 'name' | 'file'>,
  components: readonly Component[],
  seeds: readonly number[],
  metrics: readonly string[],
  results: ReadonlyArray<readonly MetricValues[]>,
): AblationResult {
  const k = components.length;
  const column = (list: readonly MetricValues[], metric: string) => list.map((m) => m[metric] ?? NaN);
  return {
    strategy: { name: full.name, file: full.file },
    baseline: { name: baseline.name, file: baseline.file },
    seeds: [...seeds],
    metrics: metrics.map((metric) =>
      ablationMetric(
        metric,
        components.map((c) => c.name),
        {
          baseline: column(results[0]!, metric),
          full: column(results[1]!, metric),
          addOne: results.slice(2, 2 + k).map((r) => column(r, metric)),
          leaveOneOut: results.slice(2 + k).map((r) => column(r, metric)),
        },
      ),
    ),
  };
}

export async function runAblation(
  full: Strategy,
  baseline: Strategy,
  components: readonly Component[],
  seeds: readonly number[],
  metrics: readonly string[],
  evaluator: StrategyEvaluator,
): Promise<AblationResult> {
  const results = await Promise.all(
    ablationVariants(full, baseline, components).map((s) => evaluator.evaluatePoint(s, defaultParameterValues(s), seeds).then((es) => es.map((e) => e.metrics))),
  );
  return ablationResultFrom(full, baseline, components, seeds, metrics, results);
}

const signed = (v: number, digits = 1) => signedFixed(v, digits);
const ci = (e: Effect) => `${signed(e.mean, 2)} [${signed(e.ciLow, 2)}, ${signed(e.ciHigh, 2)}]${e.significant ? '' : ' n.s.'}`;

export function formatAblationTable(result: AblationResult): string {
  const out = [
    `strategy: ${result.strategy.name} (${result.strategy.file})`,
    `baseline: ${result.baseline.name} (${result.baseline.file})`,
    `seeds: ${formatSeeds(result.seeds)} (n = ${result.seeds.length}, paired); effects in metric units with 95 % CI ` +
      "(Student's t on per-seed differences) and in % of the baseline (add-one) or of the strategy without the component (leave-one-out)",
    '',
  ];
  for (const m of result.metrics) {
    out.push(`${m.metric}: baseline ${m.baseline.toFixed(2)}, full strategy ${m.full.toFixed(2)} (${signed(m.fullEffect.pct)} %)`);
    const rows = [['component', 'add-one to baseline', '%', 'leave-one-out from full', '%']];
    for (const c of m.components) rows.push([c.component, ci(c.addOne), signed(c.addOne.pct), ci(c.leaveOneOut), signed(c.leaveOneOut.pct)]);
    for (const line of textTableLines(rows, (col) => col === 0)) out.push(`  ${line}`);
    const sum = m.components.reduce((s, c) => s + c.addOne.mean, 0);
    out.push(
      `  full effect ${ci(m.fullEffect)}; sum of add-one effects ${signed(sum, 2)}; interaction ${ci(m.interaction)} → ${m.verdict}`,
      '',
    );
  }
  return out.join('\n');
}
