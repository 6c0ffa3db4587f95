// Search space: validation, the map between user points and the unit cube the GP works in, and sampling.
//
// Transformed layout: one column per real/integer dimension, one column per category for categoricals (one-hot).
// Real and integer dimensions map linearly to [0, 1] (log-uniform ones in log space); integers are rounded
// and categoricals take the largest column on the way back, so any vector in [0, 1]^D decodes to a valid point.

import { ServesimError } from '../errors.js';
import type { Rng } from './random.js';

export type Prior = 'uniform' | 'log-uniform';
export type CategoryValue = string | number | boolean;
export type PointValue = number | string | boolean;
/** A point of the search space: one value per dimension, in dimension order. */
export type Point = PointValue[];

export interface RealDimension {
  kind: 'real';
  name: string;
  low: number;
  high: number;
  /** Default 'uniform'. */
  prior?: Prior;
}

export interface IntegerDimension {
  kind: 'integer';
  name: string;
  low: number;
  high: number;
  /** Default 'uniform'. */
  prior?: Prior;
}

export interface CategoricalDimension {
  kind: 'categorical';
  name: string;
  categories: readonly CategoryValue[];
}

export type Dimension = RealDimension | IntegerDimension | CategoricalDimension;

/** Where a dimension lives in the transformed vector. */
interface ColumnLayout {
  readonly offset: number;
  readonly width: number;
}

export class SearchSpace {
  readonly dimensions: readonly Dimension[];
  /** Length of a transformed vector. */
  readonly transformedSize: number;
  /** Transformed columns of real dimensions: the only ones gradient-based refinement may move. */
  readonly continuousColumns: readonly number[];
  private readonly layout: readonly ColumnLayout[];

  constructor(dimensions: readonly Dimension[]) {
    validateDimensions(dimensions);
    this.dimensions = dimensions.map((d) => Object.freeze({ ...d }));
    const layout: ColumnLayout[] = [];
    const continuous: number[] = [];
    let offset = 0;
    for (const d of this.dimensions) {
      const width = d.kind === 'categorical' ? d.categories.length : 1;
      layout.push({ offset, width });
      if (d.kind === 'real') continuous.push(offset);
      offset += width;
    }
    this.layout = layout;
    this.transformedSize = offset;
    this.continuousColumns = continuous;
  }

  static from(space: SearchSpace | readonly Dimension[]): SearchSpace {
    return space instanceof SearchSpace ? space : new SearchSpace(space);
  }

  get names(): string[] {
    return this.dimensions.map((d) => d.name);
  }

  /** Throws a ServesimError naming the dimension if `point` is not a valid point of this space. */
  validatePoint(point: readonly PointValue[]): void {
    if (!Array.isArray(point) || point.length !== this.dimensions.length) {
      throw new ServesimError(
        `point must be an array of ${this.dimensions.length} values (${this.names.join(', ')}), got ${describe(point)}`,
      );
    }
    this.dimensions.forEach((d, i) => validateValue(d, point[i]));
  }

  /** Point → vector in [0, 1]^transformedSize. */
  transform(point: readonly PointValue[]): Float64Array {
    this.validatePoint(point);
    const out = new Float64Array(this.transformedSize);
    this.dimensions.forEach((d, i) => {
      const { offset } = this.layout[i];
      const value = point[i];
      if (d.kind === 'categorical') {
        out[offset + d.categories.indexOf(value)] = 1;
      } else {
        out[offset] = toUnit(d, value as number);
      }
    });
    return out;
  }

  /** Vector in (or near) [0, 1]^transformedSize → the nearest valid point. */
  inverseTransform(z: ArrayLike<number>): Point {
    if (z.length !== this.transformedSize) {
      throw new ServesimError(`transformed vector must have ${this.transformedSize} entries, got ${z.length}`);
    }
    return this.dimensions.map((d, i) => {
      const { offset, width } = this.layout[i];
      if (d.kind === 'categorical') {
        let best = 0;
        for (let c = 1; c < width; c++) if (z[offset + c] > z[offset + best]) best = c;
        return d.categories[best];
      }
      return fromUnit(d, z[offset]);
    });
  }

  /** Round-trips a transformed vector through a point, snapping integer and categorical columns. */
  snap(z: ArrayLike<number>): Float64Array {
    return this.transform(this.inverseTransform(z));
  }

  /**
   * Writes into `out` the transformed image of the point whose per-dimension unit coordinates are `unit`
   * (each in [0, 1)). Integers and categories get equal probability mass (log-uniform integers get the mass
   * of their log-interval), so uniform `unit` gives a prior-respecting sample.
   */
  writeFromUnitCoordinates(unit: ArrayLike<number>, out: Float64Array, outOffset = 0): void {
    this.dimensions.forEach((d, i) => {
      const { offset, width } = this.layout[i];
      const u = Math.min(Math.max(unit[i], 0), 1 - Number.EPSILON);
      const at = outOffset + offset;
      if (d.kind === 'real') {
        out[at] = u;
      } else if (d.kind === 'integer') {
        const value =
          d.prior === 'log-uniform'
            ? Math.min(d.high, Math.floor(Math.exp(Math.log(d.low) + u * (Math.log(d.high + 1) - Math.log(d.low)))))
            : d.low + Math.floor(u * (d.high - d.low + 1));
        out[at] = toUnit(d, Math.max(d.low, value));
      } else {
        for (let c = 0; c < width; c++) out[at + c] = 0;
        out[at + Math.floor(u * width)] = 1;
      }
    });
  }

  /** A random transformed vector drawn from the priors, written into `out` at `outOffset`. */
  sampleTransformed(rng: Rng, out: Float64Array, outOffset = 0): void {
    const unit = new Float64Array(this.dimensions.length);
    for (let i = 0; i < unit.length; i++) unit[i] = rng.next();
    this.writeFromUnitCoordinates(unit, out, outOffset);
  }

  /**
   * Writes into `out` a valid transformed vector near `z`: numeric columns move by N(0, scale²) (clipped, and
   * integers re-snapped), and each categorical is redrawn with probability `scale` (at most 1/2).
   */
  perturbTransformed(z: ArrayLike<number>, scale: number, rng: Rng, out: Float64Array, outOffset = 0): void {
    this.dimensions.forEach((d, i) => {
      const { offset, width } = this.layout[i];
      const at = outOffset + offset;
      if (d.kind === 'categorical') {
        let category = 0;
        for (let c = 1; c < width; c++) if (z[offset + c] > z[offset + category]) category = c;
        if (rng.next() < Math.min(scale, 0.5)) category = rng.int(width);
        for (let c = 0; c < width; c++) out[at + c] = c === category ? 1 : 0;
      } else {
        const moved = Math.min(Math.max(z[offset] + scale * rng.normal(), 0), 1);
        out[at] = d.kind === 'integer' ? toUnit(d, fromUnit(d, moved)) : moved;
      }
    });
  }

  /** A random point drawn from the priors. */
  samplePoint(rng: Rng): Point {
    const z = new Float64Array(this.transformedSize);
    this.sampleTransformed(rng, z);
    return this.inverseTransform(z);
  }

  /** Point → { name: value }. */
  toRecord(point: readonly PointValue[]): Record<string, PointValue> {
    this.validatePoint(point);
    const record: Record<string, PointValue> = {};
    this.dimensions.forEach((d, i) => (record[d.name] = point[i]));
    return record;
  }

  /** { name: value } → Point; every dimension must be present and no other key. */
  fromRecord(record: Readonly<Record<string, PointValue>>): Point {
    const names = new Set(this.names);
    for (const key of Object.keys(record)) {
      if (!names.has(key)) throw new ServesimError(`unknown dimension "${key}" (expected ${this.names.join(', ')})`);
    }
    const point = this.dimensions.map((d) => {
      if (!(d.name in record)) throw new ServesimError(`missing value for dimension "${d.name}"`);
      return record[d.name];
    });
    this.validatePoint(point);
    return point;
  }
}

/** Point → { name: value } for a space given as dimensions or a SearchSpace. */
export function pointToRecord(
  space: SearchSpace | readonly Dimension[],
  point: readonly PointValue[],
): Record<string, PointValue> {
  return SearchSpace.from(space).toRecord(point);
}

/** { name: value } → Point for a space given as dimensions or a SearchSpace. */
export function recordToPoint(
  space: SearchSpace | readonly Dimension[],
  record: Readonly<Record<string, PointValue>>,
): Point {
  return SearchSpace.from(space).fromRecord(record);
}

function toUnit(d: RealDimension | IntegerDimension, value: number): number {
  if (d.prior === 'log-uniform') return (Math.log(value) - Math.log(d.low)) / (Math.log(d.high) - Math.log(d.low));
  return (value - d.low) / (d.high - d.low);
}

function fromUnit(d: RealDimension | IntegerDimension, u: number): number {
  const clamped = Math.min(Math.max(u, 0), 1);
  const raw =
    d.prior === 'log-uniform'
      ? Math.exp(Math.log(d.low) + clamped * (Math.log(d.high) - Math.log(d.low)))
      : d.low + clamped * (d.high - d.low);
  // Clamp again: exp/log round-off can land a hair outside the bounds, which validatePoint would reject.
  const value = d.kind === 'integer' ? Math.round(raw) : raw;
  return Math.min(Math.max(value, d.low), d.high);
}

function validateDimensions(dimensions: readonly Dimension[]): void {
  if (!Array.isArray(dimensions) || dimensions.length === 0) {
    throw new ServesimError('search space must have at least one dimension');
  }
  const seen = new Set<string>();
  dimensions.forEach((d, i) => {
    const label = typeof d?.name === 'string' && d.name !== '' ? `dimension "${d.name}"` : `dimension #${i}`;
    if (typeof d !== 'object' || d === null) throw new ServesimError(`${label}: must be an object`);
    if (typeof d.name !== 'string' || d.name === '') throw new ServesimError(`${label}: name must be a non-empty string`);
    if (seen.has(d.name)) throw new ServesimError(`${label}: duplicate dimension name`);
    seen.add(d.name);
    switch (d.kind) {
      case 'real':
      case 'integer': {
        if (!Number.isFinite(d.low) || !Number.isFinite(d.high)) {
          throw new ServesimError(`${label}: low and high must be finite numbers, got low=${d.low}, high=${d.high}`);
        }
        if (d.kind === 'integer' && (!Number.isInteger(d.low) || !Number.isInteger(d.high))) {
          throw new ServesimError(`${label}: integer bounds must be integers, got low=${d.low}, high=${d.high}`);
        }
        if (!(d.low < d.high)) throw new ServesimError(`${label}: low must be < high, got low=${d.low}, high=${d.high}`);
        if (d.prior !== undefined && d.prior !== 'uniform' && d.prior !== 'log-uniform') {
          throw new ServesimError(`${label}: prior must be 'uniform' or 'log-uniform', got ${describe(d.prior)}`);
        }
        if (d.prior === 'log-uniform' && !(d.low > 0)) {
          throw new ServesimError(`${label}: a log-uniform prior needs low > 0, got low=${d.low}`);
        }
        break;
      }
      case 'categorical': {
        if (!Array.isArray(d.categories) || d.categories.length === 0) {
          throw new ServesimError(`${label}: categories must be a non-empty array`);
        }
        const values = new Set<CategoryValue>();
        for (const c of d.categories) {
          const ok = typeof c === 'string' || typeof c === 'boolean' || (typeof c === 'number' && Number.isFinite(c));
          if (!ok) throw new ServesimError(`${label}: categories must be strings, finite numbers or booleans, got ${describe(c)}`);
          if (values.has(c)) throw new ServesimError(`${label}: duplicate category ${describe(c)}`);
          values.add(c);
        }
        break;
      }
      default:
        throw new ServesimError(
          `${label}: kind must be 'real', 'integer' or 'categorical', got ${describe((d as { kind?: unknown }).kind)}`,
        );
    }
  });
}

function validateValue(d: Dimension, value: unknown): void {
  const label = `dimension "${d.name}"`;
  if (d.kind === 'categorical') {
    if (!d.categories.includes(value as CategoryValue)) {
      throw new ServesimError(`${label}: ${describe(value)} is not one of ${d.categories.map(describe).join(', ')}`);
    }
    return;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ServesimError(`${label}: expected a finite number, got ${describe(value)}`);
  }
  if (d.kind === 'integer' && !Number.isInteger(value)) throw new ServesimError(`${label}: expected an integer, got ${value}`);
  if (value < d.low || value > d.high) throw new ServesimError(`${label}: ${value} is outside [${d.low}, ${d.high}]`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
