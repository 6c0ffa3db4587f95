// A tiny strict schema checker for the workload spec: every object rejects unknown keys, scalars are checked
// and converted the way yaml.v3 decodes into the reference's Go structs. (Hand-written instead of zod because
// importing zod costs ~70 ms of CPU, a large share of a whole simulation's budget.)

import { quoteText, shownText } from '../show-value.js';

export type ScalarKind = 'string' | 'int64' | 'int' | 'float' | 'bool';
export interface ObjectSchema {
  readonly object: Readonly<Record<string, Schema>>;
}
export interface ListSchema {
  readonly list: Schema;
}
/** A string-keyed map (the distribution `params`). */
export interface MapSchema {
  readonly map: Schema;
}
export type Schema = ScalarKind | ObjectSchema | ListSchema | MapSchema;

export type PathSegment = string | number;

export interface SchemaIssue {
  path: PathSegment[];
  /** Set for an unknown key: the key itself (the path is the containing object). */
  unknownKey?: string;
  message: string;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function toInt64(value: unknown): bigint | undefined {
  let v: bigint | undefined;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
  return v !== undefined && v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

const SCALAR_EXPECTATIONS: Record<ScalarKind, string> = {
  string: 'a string',
  int64: 'an integer (int64)',
  int: 'an integer',
  float: 'a number',
  bool: 'true or false',
};

function convertScalar(kind: ScalarKind, value: unknown): unknown {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'float':
      return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : undefined;
    case 'int64':
      return toInt64(value);
    case 'int': {
      const v = toInt64(value);
      return v === undefined ? undefined : Number(v);
    }
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return quoteText(value);
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks `value` against `schema`, returning the converted value (ints as number or bigint for int64) and
 * appending every problem to `issues`. `null` means "absent" for object fields and 0 inside maps, as in yaml.v3.
 */
export function checkSchema(value: unknown, schema: Schema, path: PathSegment[], issues: SchemaIssue[]): unknown {
  if (typeof schema === 'string') {
    const converted = convertScalar(schema, value);
    if (converted === undefined) {
      issues.push({ path, message: `expected ${SCALAR_EXPECTATIONS[schema]}, got ${describeValue(value)}` });
    }
    return converted;
  }
  if ('list' in schema) {
    if (!Array.isArray(value)) {
      issues.push({ path, message: `expected a list, got ${describeValue(value)}` });
      return undefined;
    }
    // yaml.v3 decodes an empty list item into a zero-valued struct.
    const emptyItem = typeof schema.list === 'object' && 'object' in schema.list ? {} : null;
    return value.map((item, i) => checkSchema(item ?? emptyItem, schema.list, [...path, i], issues));
  }
  if (!isPlainObject(value)) {
    issues.push({ path, message: `expected a mapping, got ${describeValue(value)}` });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  if ('map' in schema) {
    for (const [key, v] of Object.entries(value)) out[key] = checkSchema(v ?? 0, schema.map, [...path, key], issues);
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    const fieldSchema = Object.hasOwn(schema.object, key) ? schema.object[key] : undefined;
    if (fieldSchema === undefined) {
      const container = path.length === 0 ? 'the top level' : formatPath(path);
      issues.push({
        path,
        unknownKey: key,
        message: `field ${quoteText(key)} not found in ${container} (valid fields: ${Object.keys(schema.object).join(', ')})`,
      });
      continue;
    }
    if (v === null || v === undefined) continue;
    out[key] = checkSchema(v, fieldSchema, [...path, key], issues);
  }
  return out;
}

/** `a.b[0].c`; keys (user text for `params`) are shown with non-printable characters escaped, shortened. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? shownText(seg) : `.${shownText(seg)}`;
  }
  return out;
}
