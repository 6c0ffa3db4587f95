// `compare A B C …`: several strategies on the same seeds. Per strategy and metric the absolute mean with its t
// interval; per strategy against the reference the paired Δ % with its interval and p-value, optionally
// Holm-adjusted over the comparisons of each metric. Strategies that run different workloads are flagged: their
// pairs are not the same requests.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { COMPARE_CLASS_METRICS, COMPARE_CLUSTER_METRICS } from './compare.js';
import { SLO_CLASSES, type MetricValues } from './metrics.js';
import { formatSeeds } from './seeds.js';
import { holmAdjust, meanInterval, pairedComparison } from './stats.js';
import type { Strategy } from './strategy.js';
import { fixedOrNa, signedFixed, textTableLines } from './text-table.js';

export interface VersusReference {
  diffPct: number;
  ciLowPct: number;
  ciHighPct: number;
  pValue: number;
  /** Holm-adjusted over this metric's comparisons when requested, else equal to pValue. */
  pAdjusted: number;
  significant: boolean;
}

export interface MultiCompareRow {
  scope: string;
  name: string;
  metric: string;
  strategy: string;
  n: number;
  mean: number;
  halfWidth: number;
  /** Absent for the reference itself. */
  vsReference?: VersusReference;
}

export interface MultiCompareResult {
  reference: string;
  strategies: Array<{ name: string; file: string }>;
  seeds: number[];
  confidence: number;
  holm: boolean;
  warnings: string[];
  rows: MultiCompareRow[];
  per_seed: Record<string, Record<string, MetricValues>>;
}

/** Flags that change which requests a run generates. */
const WORKLOAD_FLAGS = ['--num-requests', '--rate', '--horizon', '--workload', '--workload-traces-filepath', '--prefix-tokens'];

/** What determines a strategy's request stream for a given seed: the spec's content and the workload flags. */
export function workloadIdentity(strategy: Pick<Strategy, 'workloadSpec' | 'fixedArgs'>): string {
  let digest: string;
  try {
    digest = createHash('sha256').update(readFileSync(strategy.workloadSpec)).digest('hex').slice(0, 12);
  } catch {
    digest = 'unreadable';
  }
  const flags: string[] = [];
  strategy.fixedArgs.forEach((token, i) => {
    const [flag, inline] = token.split('=', 2) as [string, string | undefined];
    if (WORKLOAD_FLAGS.includes(flag)) flags.push(`${flag} ${inline ?? strategy.fixedArgs[i + 1] ?? ''}`);
  });
  return [`spec ${digest}`, ...flags].join(', ');
}

/** One line per strategy whose requests differ from the reference's (its pairs then are not the same requests). */
export function workloadWarnings(
  strategies: ReadonlyArray<Pick<Strategy, 'name' | 'workloadSpec' | 'fixedArgs'>>,
  referenceIndex: number,
): string[] {
  const names = uniqueNames(strategies.map((s) => s.name));
  const identities = strategies.map(workloadIdentity);
  const reference = identities[referenceIndex]!;
  return identities.flatMap((identity, i) =>
    identity === reference
      ? []
      : [`${names[i]} runs a different workload than ${names[referenceIndex]} (${identity} vs ${reference}): its pairs are not the same requests`],
  );
}

/** Display names, made unique with #2, #3 … when strategies share a name. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}#${count}`;
  });
}

export function buildMultiComparison(
  strategies: ReadonlyArray<Pick<Strategy, 'name' | 'file' | 'workloadSpec' | 'fixedArgs'>>,
  seeds: readonly number[],
  metrics: ReadonlyArray<readonly MetricValues[]>,
  referenceIndex: number,
  options: { holm?: boolean; confidence?: number } = {},
): MultiCompareResult {
  const confidence = options.confidence ?? 0.95;
  const holm = options.holm === true;
  const names = uniqueNames(strategies.map((s) => s.name));
  const warnings = workloadWarnings(strategies, referenceIndex);
  const rows: MultiCompareRow[] = [];
  const addMetric = (scope: string, name: string, metric: string) => {
    const values = metrics.map((perSeed) => perSeed.map((m) => m[metric] ?? NaN));
    const reference = values[referenceIndex]!;
    const paired = values.map((v, i) => (i === referenceIndex ? undefined : pairedComparison(reference, v, confidence)));
    const indices = paired.flatMap((p, i) => (p ? [i] : []));
    const adjusted = holm ? holmAdjust(indices.map((i) => paired[i]!.pValue)) : indices.map((i) => paired[i]!.pValue);
    values.forEach((v, i) => {
      const { n, mean, halfWidth } = meanInterval(v, confidence);
      const p = paired[i];
      const pAdjusted = p ? adjusted[indices.indexOf(i)]! : NaN;
      rows.push({
        scope,
        name,
        metric,
        strategy: names[i]!,
        n,
        mean,
        halfWidth,
        ...(p
          ? {
              vsReference: {
                diffPct: p.diffPct,
                ciLowPct: p.ciLowPct,
                ciHighPct: p.ciHighPct,
                pValue: p.pValue,
                pAdjusted,
                significant: holm ? pAdjusted < 1 - confidence : p.significant,
              },
            }
          : {}),
      });
    });
  };
  for (const name of COMPARE_CLUSTER_METRICS) addMetric('cluster', name, name);
  for (const cls of SLO_CLASSES) for (const name of COMPARE_CLASS_METRICS) addMetric(cls, name, `${cls}_${name}`);
  const perSeed = Object.fromEntries(
    names.map((name, i) => [name, Object.fromEntries(seeds.map((seed, k) => [String(seed), metrics[i]![k]!]))]),
  );
  return {
    reference: names[referenceIndex]!,
    strategies: strategies.map((s, i) => ({ name: names[i]!, file: s.file })),
    seeds: [...seeds],
    confidence,
    holm,
    warnings,
    rows,
    per_seed: perSeed,
  };
}

function pText(p: number): string {
  return Number.isNaN(p) ? 'n/a' : p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

export function formatMultiCompareTable(result: MultiCompareResult): string {
  const level = Math.round(result.confidence * 100);
  const header = [
    ...result.strategies.map((s) => `${s.name === result.reference ? 'reference' : 'strategy'}: ${s.name} (${s.file})`),
    `seeds: ${formatSeeds(result.seeds)} (n = ${result.seeds.length}, paired); mean ± ${level} % CI half-width; ` +
      `Δ = strategy − reference as % of the reference mean, ${level} % CI from Student's t on the paired differences; ` +
      (result.holm ? `p Holm-adjusted over the ${result.strategies.length - 1} comparisons of each metric` : 'p unadjusted'),
    ...result.warnings.map((w) => `WARNING: ${w}`),
    '',
  ];
  const table: string[][] = [['scope', 'metric', 'strategy', `mean ± ${level} % CI`, 'Δ %', `${level} % CI (Δ %)`, result.holm ? 'p (Holm)' : 'p', '']];
  let previous = '';
  for (const row of result.rows) {
    const digits = Math.abs(row.mean) >= 1000 ? 0 : row.name === 'slo_gap' ? 3 : 2;
    const key = `${row.scope}/${row.name}`;
    const v = row.vsReference;
    table.push([
      key === previous ? '' : row.scope,
      key === previous ? '' : row.name,
      row.strategy,
      `${fixedOrNa(row.mean, digits)} ± ${fixedOrNa(row.halfWidth, digits)}`,
      v ? signedFixed(v.diffPct, 1) : 'ref',
      v ? `[${signedFixed(v.ciLowPct, 1)}, ${signedFixed(v.ciHighPct, 1)}]` : '',
      v ? pText(v.pAdjusted) : '',
      v && !v.significant && !Number.isNaN(v.pValue) ? 'n.s.' : '',
    ]);
    previous = key;
  }
  const lines = textTableLines(table, (col, last) => col <= 2 || col === last, { rule: true });
  return [...header, ...lines, ''].join('\n');
}

/** One row per (scope, metric, strategy); empty cells for the reference's own comparison. */
export function formatMultiCompareCsv(result: MultiCompareResult): string {
  const head = 'scope,metric,strategy,reference,n,mean,ci_half_width,delta_pct,ci_low_pct,ci_high_pct,p_value,p_adjusted,significant';
  const num = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : String(v));
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = result.rows.map((r) => {
    const v = r.vsReference;
    return [
      r.scope,
      r.name,
      quote(r.strategy),
      quote(result.reference),
      String(r.n),
      num(r.mean),
      num(r.halfWidth),
      num(v?.diffPct),
      num(v?.ciLowPct),
      num(v?.ciHighPct),
      num(v?.pValue),
      num(v?.pAdjusted),
      v ? String(v.significant) : '',
    ].join(',');
  });
  return [head, ...lines, ''].join('\n');
}
