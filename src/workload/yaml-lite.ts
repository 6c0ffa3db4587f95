// Fast parser for the plain block-style YAML that workload specs are written in (indented mappings and
// sequences of plain, single- or double-quoted scalars, comments). It returns `undefined` for anything else
// — flow collections, anchors, tags, block scalars, escapes, multi-line scalars, errors — and the caller then
// uses the full `yaml` package, which is loaded only in that case because importing it costs ~50 ms of CPU.
// Results equal `yaml`'s (core schema, intAsBigInt) on the supported subset; a property test checks this.

import type { PathSegment } from './strict-schema.js';

export interface ParsedYaml {
  data: unknown;
  /** 1-based line of the value at `path` (or of `key` inside it), for error messages. */
  line(path: readonly PathSegment[], key?: string): number | undefined;
}

/** Decides whether the scalar at `path` keeps its literal text (Go string fields, see load-spec.ts). */
export type KeepSourceText = (path: readonly PathSegment[]) => boolean;

interface Line {
  indent: number;
  text: string;
  number: number;
}

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_TRUE_RE = /^(?:[Tt]rue|TRUE)$/;
const BOOL_FALSE_RE = /^(?:[Ff]alse|FALSE)$/;
const INT_RE = /^[-+]?[0-9]+$/;
const INT_OCT_RE = /^0o[0-7]+$/;
const INT_HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_SPECIAL_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const PLAIN_KEY_RE = /^(?:[A-Za-z_][A-Za-z0-9_.\-/]*|0|[1-9][0-9]*)(?=:(?: |$))/;
const QUOTED_KEY_RE = /^"([^"\\]*)"(?=:(?: |$))/;
/** Plain scalars may not start with these YAML indicators (handled by the full parser). */
const INDICATOR_START_RE = /^(?:[[\]{},&*!|>'"%@`#]|[?:-](?: |$))/;

/** YAML 1.2 core schema resolution of a plain scalar, with ints as BigInt. */
function resolvePlain(text: string): unknown {
  if (NULL_RE.test(text)) return null;
  if (BOOL_TRUE_RE.test(text)) return true;
  if (BOOL_FALSE_RE.test(text)) return false;
  if (INT_RE.test(text) || INT_OCT_RE.test(text) || INT_HEX_RE.test(text)) return BigInt(text);
  if (FLOAT_RE.test(text) || FLOAT_EXP_RE.test(text)) return parseFloat(text);
  if (FLOAT_SPECIAL_RE.test(text)) {
    if (text.endsWith('nan') || text.endsWith('NaN') || text.endsWith('NAN')) return NaN;
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  return text;
}

function pathKey(path: readonly PathSegment[]): string {
  return path.join('\u0000');
}

class LiteParser {
  private i = 0;
  readonly lines = new Map<string, number>();

  constructor(
    private readonly rows: Line[],
    private readonly keepSourceText: KeepSourceText,
  ) {}

  parseDocument(): unknown {
    if (this.rows.length === 0) return null;
    this.lines.set(pathKey([]), this.rows[0]!.number);
    const value = this.parseBlock(this.rows[0]!.indent, []);
    if (this.i < this.rows.length) throw UNSUPPORTED;
    return value;
  }

  private parseBlock(indent: number, path: PathSegment[]): unknown {
    const row = this.rows[this.i]!;
    if (row.indent !== indent) throw UNSUPPORTED;
    if (row.text === '-' || row.text.startsWith('- ')) return this.parseSequence(indent, path);
    if (PLAIN_KEY_RE.test(row.text) || QUOTED_KEY_RE.test(row.text)) return this.parseMapping(indent, path);
    throw UNSUPPORTED;
  }

  private parseMapping(indent: number, path: PathSegment[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.i < this.rows.length) {
      const row = this.rows[this.i]!;
      if (row.indent < indent) break;
      if (row.indent > indent) throw UNSUPPORTED;
      if (row.text === '-' || row.text.startsWith('- ')) break; // a sequence sibling ends this mapping
      let key: string;
      let rest: string;
      const quoted = QUOTED_KEY_RE.exec(row.text);
      const plain = quoted ? null : PLAIN_KEY_RE.exec(row.text);
      if (quoted) {
        key = quoted[1]!;
        rest = row.text.slice(quoted[0].length + 1);
      } else if (plain) {
        key = plain[0];
        if (NULL_RE.test(key) || BOOL_TRUE_RE.test(key) || BOOL_FALSE_RE.test(key)) throw UNSUPPORTED;
        rest = row.text.slice(key.length + 1);
      } else {
        throw UNSUPPORTED;
      }
      if (Object.hasOwn(out, key) || key === '__proto__' || key === '<<') throw UNSUPPORTED;
      const valuePath = [...path, key];
      this.lines.set(pathKey(valuePath), row.number);
      this.i++;
      out[key] = this.parseValue(rest, indent, valuePath, true);
    }
    return out;
  }

  private parseSequence(indent: number, path: PathSegment[]): unknown[] {
    const out: unknown[] = [];
    while (this.i < this.rows.length) {
      const row = this.rows[this.i]!;
      if (row.indent < indent) break;
      if (row.indent > indent) throw UNSUPPORTED;
      if (!(row.text === '-' || row.text.startsWith('- '))) break;
      const itemPath = [...path, out.length];
      this.lines.set(pathKey(itemPath), row.number);
      const afterDash = row.text.slice(1);
      const rest = afterDash.trimStart();
      if (rest !== '' && !rest.startsWith('#') && (PLAIN_KEY_RE.test(rest) || QUOTED_KEY_RE.test(rest))) {
        // "- key: value" opens a mapping whose keys are aligned with `key`.
        const column = indent + 1 + (afterDash.length - rest.length);
        this.rows[this.i] = { indent: column, text: rest, number: row.number };
        out.push(this.parseMapping(column, itemPath));
        continue;
      }
      this.i++;
      out.push(this.parseValue(afterDash, indent, itemPath, false));
    }
    return out;
  }

  /** Value after "key:" or "-": inline scalar, or a nested block on the following lines. */
  private parseValue(rest: string, parentIndent: number, path: PathSegment[], isMappingValue: boolean): unknown {
    const inline = rest.trim();
    if (inline === '' || inline.startsWith('#')) {
      if (rest !== '' && !rest.startsWith(' ')) throw UNSUPPORTED;
      const next = this.rows[this.i];
      if (next === undefined) return null;
      if (next.indent > parentIndent) return this.parseBlock(next.indent, path);
      // A block sequence may sit at its parent key's indentation.
      if (isMappingValue && next.indent === parentIndent && (next.text === '-' || next.text.startsWith('- '))) {
        return this.parseSequence(parentIndent, path);
      }
      return null;
    }
    if (!rest.startsWith(' ')) throw UNSUPPORTED;
    // A more indented line after an inline value would be a continuation or an error: not our subset.
    const next = this.rows[this.i];
    if (next !== undefined && next.indent > parentIndent) throw UNSUPPORTED;
    return this.parseInlineScalar(inline, path);
  }

  private parseInlineScalar(text: string, path: PathSegment[]): unknown {
    if (text.startsWith('"')) {
      const end = text.indexOf('"', 1);
      const body = text.slice(1, end);
      if (end < 0 || body.includes('\\')) throw UNSUPPORTED;
      this.expectOnlyComment(text.slice(end + 1));
      return body;
    }
    if (text.startsWith("'")) {
      let body = '';
      let k = 1;
      for (;;) {
        const q = text.indexOf("'", k);
        if (q < 0) throw UNSUPPORTED;
        body += text.slice(k, q);
        if (text[q + 1] === "'") {
          body += "'";
          k = q + 2;
          continue;
        }
        this.expectOnlyComment(text.slice(q + 1));
        return body;
      }
    }
    if (text === '{}' || text.startsWith('{} #')) return {};
    if (text === '[]' || text.startsWith('[] #')) return [];
    if (INDICATOR_START_RE.test(text)) throw UNSUPPORTED;
    const comment = text.indexOf(' #');
    const plain = (comment >= 0 ? text.slice(0, comment) : text).trimEnd();
    if (plain.includes(': ') || plain.endsWith(':')) throw UNSUPPORTED;
    const value = resolvePlain(plain);
    if (value !== null && typeof value !== 'string' && this.keepSourceText(path)) return plain;
    return value;
  }

  private expectOnlyComment(after: string): void {
    if (after.trim() !== '' && !/^ +#/.test(after)) throw UNSUPPORTED;
  }
}

/** Parses `text` if it lies in the supported subset; `undefined` otherwise (use the full parser). */
export function parseSimpleYaml(text: string, keepSourceText: KeepSourceText): ParsedYaml | undefined {
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const rows: Line[] = [];
  const raw = text.split('\n');
  let sawContent = false;
  for (let n = 0; n < raw.length; n++) {
    let line = raw[n]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.includes('\t') || line.includes('\r')) return undefined;
    const content = line.trimStart();
    if (content === '' || content.startsWith('#')) continue;
    if (content === '---' && !sawContent && line === '---') {
      sawContent = true;
      continue;
    }
    if (content.startsWith('---') || content.startsWith('...') || (line === content && content.startsWith('%'))) {
      return undefined;
    }
    sawContent = true;
    rows.push({ indent: line.length - content.length, text: content.trimEnd(), number: n + 1 });
  }
  const parser = new LiteParser(rows, keepSourceText);
  let data: unknown;
  try {
    data = parser.parseDocument();
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  return {
    data,
    line: (path, key) => {
      const full = key === undefined ? path : [...path, key];
      for (let len = full.length; len >= 0; len--) {
        const found = parser.lines.get(pathKey(full.slice(0, len)));
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}
