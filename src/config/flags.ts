// A command-line flag parser with Go pflag semantics (the reference CLI uses cobra/pflag):
// `--name value`, `--name=value`, booleans as `--flag` or `--flag=<bool>`, a value may start with `-`,
// repeated scalar flags keep the last value, repeated list flags append, `--` ends flag parsing.
// It records which flags were given explicitly, because several precedence rules depend on it.

import { ServesimError } from '../errors.js';
import { parseGoBool, parseGoFloat64, parseGoInt64 } from '../go/parse.js';
import { quoteText } from '../show-value.js';

export type FlagType = 'string' | 'bool' | 'int' | 'int64' | 'float' | 'floatList' | 'stringList';

/** Parsed value per type: integers stay exact as bigint until the caller narrows them. */
export type FlagValue = string | boolean | bigint | number | readonly number[] | readonly string[];

export interface FlagSpec {
  name: string;
  type: FlagType;
  default: FlagValue;
  /** Help section heading. */
  group: string;
  description: string;
  /** Placeholder in help output, e.g. `<name:weight,...>`. */
  valueHint?: string;
  /** Bounds of a numeric flag, checked for explicitly given values when the command line is parsed. */
  domain?: { min?: number; max?: number; exclusiveMin?: boolean };
}

export interface ParsedFlags {
  values: ReadonlyMap<string, FlagValue>;
  /** Flags that appeared on the command line, even with their default value. */
  explicit: ReadonlySet<string>;
  positionals: string[];
  helpRequested: boolean;
}

const EXPECTED: Record<FlagType, string> = {
  string: 'a string',
  bool: 'a boolean (true or false)',
  int: 'an integer (int)',
  int64: 'an integer (int64)',
  float: 'a number (float64)',
  floatList: 'a comma-separated list of numbers (float64 list)',
  stringList: 'a string (repeatable)',
};

export class FlagError extends ServesimError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'FlagError';
  }
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function suggestionFor(name: string, specs: readonly FlagSpec[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of specs) {
    const distance = editDistance(name, spec.name);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = spec.name;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean --${best}?)` : '';
}

/** Converts one textual value; `previous` is the current value for list flags that were already set. */
function convertValue(spec: FlagSpec, text: string, previous: readonly number[] | readonly string[] | undefined): FlagValue {
  const invalid = (): never => {
    throw new FlagError(`invalid argument ${quoteText(text)} for "--${spec.name}" flag: expected ${EXPECTED[spec.type]}`);
  };
  switch (spec.type) {
    case 'string':
      return text;
    case 'bool':
      return parseGoBool(text) ?? invalid();
    case 'int':
    case 'int64': {
      const value = parseGoInt64(text);
      if (value !== undefined) return value;
      if (/^[+-]?\d+$/.test(text)) {
        throw new FlagError(`invalid argument ${quoteText(text)} for "--${spec.name}" flag: value out of range for int64`);
      }
      return invalid();
    }
    case 'float':
      return parseGoFloat64(text) ?? invalid();
    case 'floatList': {
      // pflag splits on commas without trimming; the first use replaces the default, later uses append.
      const items = text.split(',').map((item) => parseGoFloat64(item) ?? invalid());
      return previous ? [...(previous as readonly number[]), ...items] : items;
    }
    case 'stringList':
      return previous ? [...(previous as readonly string[]), text] : [text];
  }
}

/**
 * `unknownHint` may explain an unknown flag when no close spelling exists (e.g. which plugin parameters there are);
 * it returns the text appended to the message, or ''.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], unknownHint?: (name: string) => string): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, FlagValue>(specs.map((spec) => [spec.name, spec.default]));
  const explicit = new Set<string>();
  const positionals: string[] = [];
  let helpRequested = false;

  const assign = (spec: FlagSpec, text: string): void => {
    const isList = spec.type === 'floatList' || spec.type === 'stringList';
    const previous = isList && explicit.has(spec.name) ? (values.get(spec.name) as number[] | string[]) : undefined;
    values.set(spec.name, convertValue(spec, text, previous));
    explicit.add(spec.name);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const body = arg.slice(2);
      if (body.length === 0 || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      if (name === 'help') {
        helpRequested = true;
        continue;
      }
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}${suggestionFor(name, specs) || (unknownHint?.(name) ?? '')}`);
      if (eq >= 0) {
        assign(spec, body.slice(eq + 1));
      } else if (spec.type === 'bool') {
        assign(spec, 'true');
      } else if (i + 1 < argv.length) {
        // Like pflag, the next argument is the value even if it starts with '-' (e.g. negative numbers).
        assign(spec, argv[++i]!);
      } else {
        throw new FlagError(`flag needs an argument: --${name}`);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // The only shorthand is -h.
      if (arg === '-h') {
        helpRequested = true;
        continue;
      }
      throw new FlagError(`unknown shorthand flag: '${arg[1]}' in ${arg}`);
    }
    positionals.push(arg);
  }
  return { values, explicit, positionals, helpRequested };
}

/**
 * argv as flag groups: each `--flag` with the tokens that follow it (`--flag=value` stays one token); leading
 * values form a group with flag ''. Used where flags are rearranged or hashed, not parsed.
 */
export function argvGroups(argv: readonly string[]): Array<{ flag: string; tokens: string[] }> {
  const groups: Array<{ flag: string; tokens: string[] }> = [];
  for (const token of argv) {
    if (token.startsWith('--')) groups.push({ flag: token.split('=', 1)[0]!, tokens: [token] });
    else if (groups.length > 0) groups[groups.length - 1]!.tokens.push(token);
    else groups.push({ flag: '', tokens: [token] });
  }
  return groups;
}
