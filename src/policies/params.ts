// A policy parameter: its type, default, domain and help, declared once by the policy that owns it. The `run` flag
// table, `--help`, the policy-bundle keys and the validation are all derived from these declarations.

import { quoteText } from '../show-value.js';

export type ParamType = 'int' | 'int64' | 'float' | 'bool';
export type ParamValue = number | boolean;

export interface ParamSpec {
  readonly type: ParamType;
  readonly default: ParamValue;
  /** One line for `--help` and `servesim plugins`. */
  readonly help: string;
  /**
   * The `run` flag without dashes. Built-in policies name theirs (the reference's flag names); a plugin's
   * parameters get `<policy>.<key>`, which no built-in flag can collide with (built-in flags have no dot).
   */
  readonly flag?: string;
  /** Inclusive lower bound, or exclusive with `exclusiveMin`. */
  readonly min?: number;
  readonly exclusiveMin?: boolean;
  /** Inclusive upper bound. */
  readonly max?: number;
}

/** What a domain check reads: the type and the bounds. */
export type DomainSpec = Pick<ParamSpec, 'type' | 'min' | 'max' | 'exclusiveMin'>;

/** Parameters of one policy, by key (the key the factory reads). */
export type ParamTable = Readonly<Record<string, ParamSpec>>;

/** Typed values of a parameter table: booleans for `bool`, numbers otherwise. */
export type ParamValues<P extends ParamTable> = {
  readonly [K in keyof P]: P[K]['type'] extends 'bool' ? boolean : number;
};

/** A parameter as it appears in the flag table: its flag, the spec and which policies read it. */
export interface ParamEntry {
  readonly flag: string;
  readonly spec: ParamSpec;
}

/** The domain in words, as error messages and help print it: "a finite value > 0", "in [0, 1]", "an integer >= 0". */
export function describeDomain(spec: DomainSpec): string {
  if (spec.type === 'bool') return 'true or false';
  const integer = spec.type !== 'float';
  const { min, max } = spec;
  if (min !== undefined && max !== undefined && !spec.exclusiveMin) return `${integer ? 'an integer' : 'a value'} in [${min}, ${max}]`;
  const parts: string[] = [];
  if (min !== undefined) parts.push(`${spec.exclusiveMin ? '>' : '>='} ${min}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  const noun = integer ? 'an integer' : 'a finite value';
  return parts.length === 0 ? noun : `${noun} ${parts.join(' and ')}`;
}

/** Whether `value` lies in the declared domain (floats must be finite). */
export function inDomain(spec: DomainSpec, value: ParamValue): boolean {
  if (spec.type === 'bool') return typeof value === 'boolean';
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (spec.type !== 'float' && !Number.isInteger(value)) return false;
  if (spec.min !== undefined && (spec.exclusiveMin ? !(value > spec.min) : !(value >= spec.min))) return false;
  if (spec.max !== undefined && !(value <= spec.max)) return false;
  return true;
}

/** Renders a given value for an error message: short, printable, NaN/±Inf spelled like Go. */
export function formatParamValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return '+Inf';
    if (value === -Infinity) return '-Inf';
    return String(value);
  }
  return typeof value === 'string' ? quoteText(value) : quoteText(String(value));
}

/** The one message for a value outside its domain. */
export function domainMessage(where: string, spec: DomainSpec, value: unknown): string {
  return `${where} must be ${describeDomain(spec)}, got ${formatParamValue(value)}`;
}

/** Default values of a parameter table. */
export function defaultParams<P extends ParamTable>(table: P): ParamValues<P> {
  const out: Record<string, ParamValue> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = spec.default;
  return out as ParamValues<P>;
}
