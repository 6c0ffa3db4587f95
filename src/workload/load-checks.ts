// Load-time refusals of workload spec values that the reference accepts silently but that cannot be meant
// (docs/spec-notes.md, Validation; "Where servesim deliberately differs"): min > max, negative distribution
// parameters, unknown versions, a non-positive horizon, non-integer token counts, NaN/Infinity, … Run by
// `loadWorkloadSpec` only after the reference's own validation passed, so every input the reference rejects keeps
// the reference's message, and only on spec files: `generateSpecWorkload` keeps the reference's semantics for
// specs built in code. Values that are odd but meaningful (a mean outside [min, max], a prefix longer than the
// input, max_rounds 0, an empty lifecycle window list, …) stay accepted.

import { formatPath, type PathSegment } from './strict-schema.js';
import { numberText, quoteValue } from '../show-value.js';
import type { DistSpec, WorkloadSpec } from './spec.js';

/** The spec versions a file may declare: "2", or a v1 spec ("1" or none) that is upgraded on load. */
export const SUPPORTED_SPEC_VERSIONS: readonly string[] = ['2', '1', ''];

/** Where the checked values came from: a file name and the line of a YAML path in it. */
export interface SpecSource {
  file: string;
  line(path: readonly PathSegment[]): number | undefined;
}

/** What the file said for the keys whose absence means something (Go zero values hide it in WorkloadSpec). */
export interface ExplicitTopLevel {
  version?: string;
  horizon?: number;
  numRequests?: number;
}

interface Problem {
  path: PathSegment[];
  expected: string;
  given: string | number;
}

/** `Invalid workload spec: FILE:LINE: PATH: expected …, got "…"` */
export function formatProblem(problem: Problem, source: SpecSource): string {
  const line = source.line(problem.path);
  const where = line === undefined ? source.file : `${source.file}:${line}`;
  return `Invalid workload spec: ${where}: ${formatPath(problem.path)}: expected ${problem.expected}, got ${quoteValue(problem.given)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Distributions

/** `length`: token or item counts (integers); `ratio`: the reasoning ratio (fractions allowed). */
type DistKind = 'length' | 'ratio';

interface ParamRule {
  name: string;
  /** Undefined when the value is acceptable, else the expectation. */
  check(value: number, kind: DistKind): string | undefined;
}

const nonNegative =
  (what: string) =>
  (value: number): string | undefined =>
    value >= 0 ? undefined : `${what} >= 0`;
const positive =
  (what: string) =>
  (value: number): string | undefined =>
    value > 0 ? undefined : `${what} > 0`;
/** A token count: >= 0, and whole for length distributions (the samplers truncate fractions). */
const count =
  (what: string) =>
  (value: number, kind: DistKind): string | undefined => {
    if (!(value >= 0)) return `${what} >= 0`;
    if (kind === 'length' && !Number.isInteger(value)) return `a whole number of tokens (${what} >= 0)`;
    return undefined;
  };

const PARAM_RULES: Readonly<Record<string, readonly ParamRule[]>> = {
  gaussian: [
    { name: 'mean', check: nonNegative('a mean') },
    { name: 'std_dev', check: nonNegative('a standard deviation') },
    { name: 'min', check: count('a minimum') },
    { name: 'max', check: count('a maximum') },
  ],
  exponential: [{ name: 'mean', check: nonNegative('a mean') }],
  pareto_lognormal: [
    { name: 'alpha', check: positive('a Pareto shape alpha') },
    { name: 'xm', check: positive('a Pareto scale xm') },
    { name: 'mu', check: () => undefined },
    { name: 'sigma', check: nonNegative('a log-normal sigma') },
    { name: 'mix_weight', check: (v) => (v >= 0 && v <= 1 ? undefined : 'a Pareto mixing probability mix_weight in [0, 1]') },
  ],
  constant: [{ name: 'value', check: count('a value') }],
};

/** strconv.Atoi's syntax (the empirical sampler's key parser). */
const GO_INT_RE = /^[+-]?\d+$/;

function distProblem(dist: DistSpec, path: PathSegment[], kind: DistKind): Problem | undefined {
  const params = dist.params;
  const paramPath = (name: string): PathSegment[] => [...path, 'params', name];
  for (const [name, value] of Object.entries(params)) {
    if (!Number.isFinite(value)) return { path: paramPath(name), expected: 'a finite number', given: value };
  }
  if (dist.type === 'empirical') {
    let total = 0;
    for (const [name, p] of Object.entries(params)) {
      if (!GO_INT_RE.test(name) || name.startsWith('-')) {
        return { path: paramPath(name), expected: 'a key that is a whole number of tokens >= 0 (a "<tokens>": probability map)', given: name };
      }
      if (p < 0) return { path: paramPath(name), expected: 'a probability >= 0', given: p };
      total += p;
    }
    if (Object.keys(params).length > 0 && !(total > 0)) {
      return { path: [...path, 'params'], expected: 'probabilities with a positive sum', given: numberText(total) };
    }
    return undefined;
  }
  const rules = PARAM_RULES[dist.type];
  if (rules === undefined) return undefined; // unknown or unset type: reported by validation or the sampler
  for (const name of Object.keys(params)) {
    if (!rules.some((r) => r.name === name)) {
      return { path: paramPath(name), expected: `a ${dist.type} parameter (${rules.map((r) => r.name).join(', ')})`, given: name };
    }
  }
  for (const rule of rules) {
    // A missing parameter is reported by the sampler, with the reference's message.
    if (!Object.hasOwn(params, rule.name)) continue;
    const expected = rule.check(params[rule.name]!, kind);
    if (expected !== undefined) return { path: paramPath(rule.name), expected, given: params[rule.name]! };
  }
  if (dist.type === 'gaussian' && Object.hasOwn(params, 'min') && Object.hasOwn(params, 'max') && params.min! > params.max!) {
    return { path: paramPath('min'), expected: `a minimum <= max (${numberText(params.max!)})`, given: params.min! };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Spec

function clientProblem(spec: WorkloadSpec, index: number): Problem | undefined {
  const client = spec.clients[index]!;
  const at = (...rest: PathSegment[]): PathSegment[] => ['clients', index, ...rest];
  if (!Number.isFinite(client.rateFraction)) {
    return { path: at('rate_fraction'), expected: 'a finite number > 0', given: client.rateFraction };
  }
  const problem =
    distProblem(client.inputDistribution, at('input_distribution'), 'length') ??
    distProblem(client.outputDistribution, at('output_distribution'), 'length');
  if (problem) return problem;
  if (client.network) {
    const { rttMs, bandwidthMbps } = client.network;
    if (!(Number.isFinite(rttMs) && rttMs >= 0)) return { path: at('network', 'rtt_ms'), expected: 'a finite round-trip time >= 0 ms', given: rttMs };
    if (!(Number.isFinite(bandwidthMbps) && bandwidthMbps >= 0)) {
      return { path: at('network', 'bandwidth_mbps'), expected: 'a finite bandwidth >= 0 Mbit/s', given: bandwidthMbps };
    }
  }
  const windows = client.lifecycle?.windows ?? [];
  for (let k = 0; k < windows.length; k++) {
    const { startUs, endUs } = windows[k]!;
    if (startUs < 0) return { path: at('lifecycle', 'windows', k, 'start_us'), expected: 'a start time >= 0 µs', given: startUs };
    if (endUs <= startUs) {
      return { path: at('lifecycle', 'windows', k, 'end_us'), expected: `an end time > start_us (${startUs})`, given: endUs };
    }
  }
  const mm = client.multimodal;
  if (mm) {
    const dists: Array<[string, DistSpec]> = [
      ['text_distribution', mm.textDistribution],
      ['image_distribution', mm.imageDistribution],
      ['image_count_distribution', mm.imageCountDistribution],
      ['audio_distribution', mm.audioDistribution],
      ['audio_count_distribution', mm.audioCountDistribution],
      ['video_distribution', mm.videoDistribution],
      ['video_count_distribution', mm.videoCountDistribution],
    ];
    for (const [key, dist] of dists) {
      const p = distProblem(dist, at('multimodal', key), 'length');
      if (p) return p;
    }
  }
  const reasoning = client.reasoning;
  if (reasoning) {
    const p = distProblem(reasoning.reasonRatioDistribution, at('reasoning', 'reason_ratio_distribution'), 'ratio');
    if (p) return p;
    const mt = reasoning.multiTurn;
    if (mt && mt.maxRounds < 0) {
      return { path: at('reasoning', 'multi_turn', 'max_rounds'), expected: 'a number of rounds >= 0', given: mt.maxRounds };
    }
    if (mt && mt.thinkTimeUs < 0) {
      return { path: at('reasoning', 'multi_turn', 'think_time_us'), expected: 'a think time >= 0 µs', given: mt.thinkTimeUs };
    }
  }
  return undefined;
}

function specProblem(spec: WorkloadSpec, explicit: ExplicitTopLevel): Problem | undefined {
  const version = explicit.version ?? '';
  if (!SUPPORTED_SPEC_VERSIONS.includes(version)) {
    return { path: ['version'], expected: '"2" (or "1" for a v1 spec, upgraded on load)', given: version };
  }
  if (!Number.isFinite(spec.aggregateRate)) {
    return { path: ['aggregate_rate'], expected: 'a finite rate > 0 (requests per second)', given: spec.aggregateRate };
  }
  if (explicit.horizon !== undefined && explicit.horizon <= 0) {
    return { path: ['horizon'], expected: 'a horizon > 0 µs (leave it out for no horizon)', given: explicit.horizon };
  }
  if (explicit.numRequests !== undefined && explicit.numRequests < 0) {
    return { path: ['num_requests'], expected: 'a request count >= 0 (0 = no cap)', given: explicit.numRequests };
  }
  for (let i = 0; i < spec.clients.length; i++) {
    const problem = clientProblem(spec, i);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The first value of a loaded (v1-upgraded, reference-valid) spec that cannot be meant, as a one-line message
 * naming the file, line and YAML path; undefined when there is none.
 */
export function findSpecLoadProblem(spec: WorkloadSpec, explicit: ExplicitTopLevel, source: SpecSource): string | undefined {
  const problem = specProblem(spec, explicit);
  return problem === undefined ? undefined : formatProblem(problem, source);
}

/** Fractions further than this from a sum of 1 get a warning (the reference normalises silently). */
const RATE_FRACTION_SUM_TOLERANCE = 1e-6;

/** A warning when the clients' rate fractions do not sum to 1 (they are normalised by their sum, as in the reference). */
export function rateFractionSumWarning(spec: WorkloadSpec, file: string): string | undefined {
  if (spec.clients.length === 0) return undefined;
  let sum = 0;
  for (const c of spec.clients) {
    if (!(Number.isFinite(c.rateFraction) && c.rateFraction > 0)) return undefined; // refused elsewhere
    sum += c.rateFraction;
  }
  if (Math.abs(sum - 1) <= RATE_FRACTION_SUM_TOLERANCE) return undefined;
  const shown = numberText(Number(sum.toPrecision(10)));
  return (
    `workload spec ${file}: the clients' rate_fraction values sum to ${shown}, not 1; ` +
    `they are normalised (each client gets rate_fraction / ${shown} of aggregate_rate)`
  );
}
