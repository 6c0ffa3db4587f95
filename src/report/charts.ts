// The report's charts as Vega-Lite specs, rendered to SVG in Node (no browser, no JavaScript in the page).
//
// Why Vega-Lite: a declarative grammar (a chart is data + encodings, so each chart below is a few lines instead of
// hand-drawn SVG), axis titles, units, legends and log scales come with it, vega renders headless to SVG (the report
// then reads offline, in a mail client or a PDF), and the same spec could later be handed to vega-embed for
// interactive views. vega and vega-lite are large ESM packages: they are imported only when a chart is rendered.

/** A Vega-Lite spec (kept loose: the specs are built here and checked by rendering them in the tests). */
export type ChartSpec = Record<string, unknown>;

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#9d755d', '#bab0ac'];

/** Shared look: readable fonts, no chart border, labels never truncated. */
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260, titlePadding: 8, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, orient: 'bottom', direction: 'horizontal', columns: 4 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 13, anchor: 'start' },
  range: { category: PALETTE },
};

function base(spec: ChartSpec): ChartSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, background: 'white', padding: 8, ...spec };
}

let renderer: Promise<(spec: ChartSpec) => Promise<string>> | undefined;

/** Renders a Vega-Lite spec to a standalone SVG string (vega's headless `renderer: 'none'` view). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  renderer ??= (async () => {
    const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
    return async (vl: ChartSpec) => {
      const compiled = vegaLite.compile(vl as never).spec;
      const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
      try {
        // Empty background/foreground placeholders of every group: a third of a faceted chart's markup, drawing nothing.
        return (await view.toSVG()).replace(/<path class="(?:background|foreground)" aria-hidden="true" d="(?:M0,0h0v0h0Z)?"[^>]*\/>/g, '');
      } finally {
        view.finalize();
      }
    };
  })();
  return (await renderer)(spec);
}

// ---- distributions -----------------------------------------------------------------------------------------------

export interface EcdfSeries {
  /** Legend label (strategy name). */
  series: string;
  /** Panel: SLO class. */
  cls: string;
  /** Panel row: 'TTFT' or 'E2E'. */
  metric: string;
  points: ReadonlyArray<{ ms: number; p: number }>;
  /** Per-seed P99 of this series (ms). */
  p99: ReadonlyArray<{ seed: number; ms: number }>;
}

/**
 * ECDFs (log x) of several series, one panel per (metric, SLO class); a tick at P = 0.99 marks each seed's P99.
 * Every panel has its own x scale: TTFT and E2E differ by orders of magnitude.
 */
export function ecdfChart(series: readonly EcdfSeries[], options: { classes: readonly string[]; order: readonly string[] }): ChartSpec {
  const values = series.flatMap((s) => [
    ...s.points.map((pt) => ({ kind: 'ecdf', series: s.series, cls: s.cls, metric: s.metric, ms: pt.ms, p: pt.p })),
    ...s.p99.map((m) => ({ kind: 'p99', series: s.series, cls: s.cls, metric: s.metric, ms: m.ms, p: 0.99, seed: m.seed })),
  ]);
  const color = { field: 'series', type: 'nominal', title: 'strategy', sort: options.order, scale: { domain: options.order } };
  return base({
    data: { values },
    facet: {
      row: { field: 'metric', type: 'nominal', title: null, sort: ['TTFT', 'E2E'], header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } },
      column: { field: 'cls', type: 'nominal', title: 'SLO class', sort: options.classes },
    },
    resolve: { scale: { x: 'independent' }, axis: { x: 'independent' } },
    spec: {
      width: 230,
      height: 150,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'ecdf'" }],
          mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
          encoding: {
            x: { field: 'ms', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'latency (ms, log scale)', axis: { format: '~s', tickCount: 4 } },
            y: { field: 'p', type: 'quantitative', title: 'fraction of requests ≤ x', scale: { domain: [0, 1] } },
            color,
          },
        },
        {
          transform: [{ filter: "datum.kind === 'p99'" }],
          mark: { type: 'tick', orient: 'vertical', thickness: 2, size: 12 },
          encoding: { x: { field: 'ms', type: 'quantitative' }, y: { field: 'p', type: 'quantitative' }, color },
        },
      ],
    },
  });
}

// ---- differences with confidence intervals -------------------------------------------------------------------------

export interface DeltaPoint {
  /** Row label (y axis). */
  row: string;
  /** Series (colour): e.g. "critical TTFT P99". */
  series: string;
  delta: number;
  ci?: [number, number];
  /** The seed ledger's own figure for this cell, when it states one. */
  seedFigure?: number;
}

/** Horizontal dot-and-whisker chart: a point per (row, series), its 95 % CI as a whisker, optional reference markers. */
export function deltaChart(
  points: readonly DeltaPoint[],
  options: { xTitle: string; rows: readonly string[]; series: readonly string[]; markerLabel?: string },
): ChartSpec {
  const values = points.map((p) => ({
    row: p.row,
    series: p.series,
    delta: p.delta,
    lo: p.ci?.[0] ?? null,
    hi: p.ci?.[1] ?? null,
    seed: p.seedFigure ?? null,
  }));
  const y = { field: 'row', type: 'nominal', title: null, sort: options.rows, axis: { labelLimit: 0 } };
  const yOffset = { field: 'series', type: 'nominal', sort: options.series };
  const color = { field: 'series', type: 'nominal', title: null, sort: options.series, scale: { domain: options.series } };
  const layers: ChartSpec[] = [
    // Its own one-row data: otherwise the zero line is drawn once per data row.
    { data: { values: [{}] }, mark: { type: 'rule', color: '#888' }, encoding: { x: { datum: 0 } } },
    {
      transform: [{ filter: 'datum.lo !== null' }],
      mark: { type: 'rule', strokeWidth: 1.5 },
      encoding: { y, yOffset, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, color },
    },
    {
      mark: { type: 'point', filled: true, size: 40 },
      encoding: { y, yOffset, x: { field: 'delta', type: 'quantitative', title: options.xTitle }, color },
    },
  ];
  if (points.some((p) => p.seedFigure !== undefined)) {
    layers.push({
      transform: [{ filter: 'datum.seed !== null' }],
      mark: { type: 'point', shape: 'diamond', filled: false, size: 70, strokeWidth: 1.5, color: '#222' },
      encoding: {
        y,
        yOffset,
        x: { field: 'seed', type: 'quantitative' },
        shape: { datum: options.markerLabel ?? 'seed ledger figure', type: 'nominal', title: null, scale: { range: ['diamond'] } },
      },
    });
  }
  // With yOffset the step is per series inside a row: a row is series × step high.
  const step = Math.max(6, Math.ceil(26 / options.series.length));
  return base({ data: { values }, width: 560, height: { step }, layer: layers });
}

// ---- optimisation ----------------------------------------------------------------------------------------------------

/** Every call's score (points) and the best score so far (step line), per call number. */
export function convergenceChart(calls: ReadonlyArray<{ call: number; score: number }>, options: { scoreTitle: string }): ChartSpec {
  // Keep axis titles short: vega's headless text estimate pads the chart's bounds for long rotated titles.
  let best = Infinity;
  const values = calls.map((c) => {
    best = Math.min(best, c.score);
    return { call: c.call, score: c.score, best };
  });
  const last = values.length > 0 ? values[values.length - 1]!.call : 1;
  const x = { field: 'call', type: 'quantitative', title: 'call (from 1)', scale: { domain: [0.5, last + 0.5], nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  return base({
    data: { values },
    width: 560,
    height: 220,
    layer: [
      {
        mark: { type: 'point', filled: true, size: 36, opacity: 0.75 },
        encoding: { x, y: { field: 'score', type: 'quantitative', title: options.scoreTitle, scale: { zero: false } }, color: { datum: 'score of the call', type: 'nominal', title: null } },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: { x, y: { field: 'best', type: 'quantitative' }, color: { datum: 'best so far', type: 'nominal', title: null } },
      },
    ],
  });
}

export interface ParallelAxis {
  name: string;
  /** Numeric values are scaled min→max; categorical ones are spread over their categories in first-seen order. */
  values: ReadonlyArray<number | string | boolean>;
}

/** Parallel coordinates: one line per evaluated point over its (normalised) parameters, coloured by score. */
export function parallelCoordinatesChart(axes: readonly ParallelAxis[], scores: readonly number[], calls: readonly number[]): ChartSpec {
  const normalised = axes.map((axis) => {
    if (axis.values.every((v) => typeof v === 'number')) {
      const nums = axis.values as number[];
      const [lo, hi] = [Math.min(...nums), Math.max(...nums)];
      return { name: axis.name, at: nums.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5)), range: `${formatShort(lo)} – ${formatShort(hi)}` };
    }
    const categories = [...new Set(axis.values.map(String))];
    const at = axis.values.map((v) => (categories.length > 1 ? categories.indexOf(String(v)) / (categories.length - 1) : 0.5));
    return { name: axis.name, at, range: categories.join(' / ') };
  });
  // Two-line axis labels (name, then the range): long ranges would otherwise run into the next axis.
  const labels = normalised.map((a) => `${a.name}|${a.range.length > 40 ? `${a.range.slice(0, 38)}…` : a.range}`);
  const values = calls.flatMap((call, i) => normalised.map((a, k) => ({ call, axis: labels[k], at: a.at[i], score: scores[i] })));
  return base({
    data: { values },
    width: Math.max(360, 150 * axes.length),
    height: 220,
    mark: { type: 'line', strokeWidth: 1.4, opacity: 0.8 },
    encoding: {
      x: { field: 'axis', type: 'nominal', sort: labels, title: null, axis: { labelAngle: 0, labelExpr: "split(datum.label, '|')", domain: false, grid: true, gridColor: '#aaa' } },
      y: { field: 'at', type: 'quantitative', title: 'position in range (0 = min)', axis: { tickCount: 3 } },
      detail: { field: 'call', type: 'nominal' },
      color: { field: 'score', type: 'quantitative', title: 'score (lower is better)', scale: { scheme: 'viridis' }, legend: { direction: 'horizontal', orient: 'bottom', gradientLength: 260, titleLimit: 0 } },
    },
  });
}

function formatShort(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(3)).toString();
}

// ---- Pareto front ---------------------------------------------------------------------------------------------------

export interface ObjectivePoint {
  label: string;
  x: number;
  y: number;
  front: boolean;
  validated?: boolean;
}

export interface ReferencePoint {
  label: string;
  x: number;
  y: number;
}

export type Direction = 'minimize' | 'maximize';

/** Flags the points not dominated by another (better or equal on both objectives, strictly better on one). */
export function paretoFlags(points: ReadonlyArray<{ x: number; y: number }>, directions: readonly [Direction, Direction]): boolean[] {
  const better = (a: number, b: number, d: Direction): boolean => (d === 'minimize' ? a < b : a > b);
  const noWorse = (a: number, b: number, d: Direction): boolean => (d === 'minimize' ? a <= b : a >= b);
  return points.map(
    (p) =>
      Number.isFinite(p.x) &&
      Number.isFinite(p.y) &&
      !points.some(
        (q) =>
          q !== p &&
          Number.isFinite(q.x) &&
          Number.isFinite(q.y) &&
          noWorse(q.x, p.x, directions[0]) &&
          noWorse(q.y, p.y, directions[1]) &&
          (better(q.x, p.x, directions[0]) || better(q.y, p.y, directions[1])),
      ),
  );
}

/** A log axis when positive values span 20× or more (one bad call at 5 s would flatten the front at 70 ms). */
function spanningAxis(values: readonly number[], title: string): { title: string; scale: Record<string, unknown> } {
  const log = values.length > 0 && Math.min(...values) > 0 && Math.max(...values) / Math.min(...values) >= 20;
  return log ? { title: `${title} (log scale)`, scale: { type: 'log' } } : { title, scale: { zero: false } };
}

/** Evaluated points, the front (joined in x order), validated points ringed, reference points labelled. */
export function paretoChart(
  points: readonly ObjectivePoint[],
  references: readonly ReferencePoint[],
  options: { xTitle: string; yTitle: string },
): ChartSpec {
  const values = [
    ...points.map((p) => ({ kind: p.front ? 'on the front' : 'dominated', label: p.label, x: p.x, y: p.y, validated: p.validated === true })),
    ...references.map((r) => ({ kind: 'reference', label: r.label, x: r.x, y: r.y, validated: false })),
  ].filter((v) => Number.isFinite(v.x) && Number.isFinite(v.y));
  const x = { field: 'x', type: 'quantitative', ...spanningAxis(values.map((v) => v.x), options.xTitle) };
  const y = { field: 'y', type: 'quantitative', ...spanningAxis(values.map((v) => v.y), options.yTitle) };
  const kinds = ['on the front', 'dominated', ...(references.length > 0 ? ['reference'] : [])];
  const color = { field: 'kind', type: 'nominal', title: null, sort: kinds, scale: { domain: kinds, range: ['#e45756', '#9ab', '#222'].slice(0, kinds.length) } };
  return base({
    data: { values },
    width: 480,
    height: 300,
    layer: [
      {
        transform: [{ filter: "datum.kind === 'on the front'" }],
        mark: { type: 'line', strokeDash: [4, 3], color: '#e45756' },
        encoding: { x, y, order: { field: 'x', type: 'quantitative' } },
      },
      {
        transform: [{ filter: "datum.kind !== 'reference'" }],
        mark: { type: 'point', filled: true, size: 46 },
        encoding: { x, y, color, tooltip: [{ field: 'label' }] },
      },
      // Only when there are validated points: the layer's legend entry would otherwise name something absent.
      ...(points.some((p) => p.validated)
        ? [
            {
              transform: [{ filter: 'datum.validated' }],
              mark: { type: 'point', filled: false, size: 170, strokeWidth: 2, color: '#222' },
              encoding: { x, y, shape: { datum: 'validated', type: 'nominal', title: null, scale: { range: ['circle'] } } },
            },
          ]
        : []),
      {
        transform: [{ filter: "datum.kind === 'reference'" }],
        mark: { type: 'point', shape: 'cross', filled: true, size: 110 },
        encoding: { x, y, color },
      },
      {
        transform: [{ filter: "datum.kind === 'reference'" }],
        mark: { type: 'text', align: 'left', dx: 8, dy: -6, fontSize: 11 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  });
}

// ---- sweeps ----------------------------------------------------------------------------------------------------------

export interface SweepLinePoint {
  /** The varied value (x). */
  value: number | string;
  series: string;
  mean: number;
  lo: number;
  hi: number;
}

/** Mean vs the varied value, one line per series, with its 95 % CI as a band. */
export function sweepChart(points: readonly SweepLinePoint[], options: { xTitle: string; yTitle: string; order: readonly string[]; xOrder?: readonly string[] }): ChartSpec {
  const numeric = points.every((p) => typeof p.value === 'number');
  const x = numeric
    ? { field: 'value', type: 'quantitative', ...spanningAxis(points.map((p) => p.value as number), options.xTitle) }
    : { field: 'value', type: 'ordinal', title: options.xTitle, sort: options.xOrder, axis: { labelAngle: 0 } };
  const color = { field: 'series', type: 'nominal', title: null, sort: options.order, scale: { domain: options.order } };
  const values = points.map((p) => ({ ...p, lo: Number.isFinite(p.lo) ? p.lo : p.mean, hi: Number.isFinite(p.hi) ? p.hi : p.mean }));
  return base({
    data: { values },
    width: 420,
    height: 220,
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: options.yTitle, scale: { zero: false } }, color } },
    ],
  });
}
