// A strict JSON (RFC 8259) syntax checker for workload spec files written as JSON. The spec loader still parses
// them with the YAML parser (JSON is a YAML subset, and that keeps the reference's decoding rules); this only finds
// the first syntax error so that it is reported in JSON terms — line, column, what was expected — instead of YAML
// jargon. Deterministic messages (V8's JSON.parse wording changes between Node versions).

import { quoteText } from './show-value.js';

export interface JsonSyntaxError {
  /** 1-based. */
  line: number;
  /** 1-based, in characters (UTF-16 code units) from the start of the line. */
  column: number;
  message: string;
}

/** Deeper nesting is refused instead of risking a stack overflow (specs nest 6 levels). */
const MAX_DEPTH = 512;

class Failure {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const WORD_RE = /[A-Za-z0-9_.+-]+/y;
const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4_RE = /[0-9a-fA-F]{4}/y;

class Checker {
  private i: number;

  constructor(
    private readonly text: string,
    start: number,
  ) {
    this.i = start;
  }

  run(): void {
    this.skipWhitespace();
    this.value(0, 'a JSON value (the spec must be one object)');
    this.skipWhitespace();
    if (this.i < this.text.length) this.fail('end of input after the top-level value');
  }

  /** Throws "expected <expectation>, got <the token at the current position>". */
  private fail(expectation: string, note = ''): never {
    throw new Failure(this.i, `expected ${expectation}, got ${this.describeHere()}${note}`);
  }

  private describeHere(): string {
    const { text, i } = this;
    if (i >= text.length) return 'end of input';
    const ch = text[i]!;
    if (ch === '"') {
      const end = text.indexOf('"', i + 1);
      const newline = text.indexOf('\n', i + 1);
      const stop = end < 0 || (newline >= 0 && newline < end) ? (newline < 0 ? text.length : newline) : end + 1;
      return quoteText(text.slice(i, stop));
    }
    WORD_RE.lastIndex = i;
    const word = WORD_RE.exec(text);
    if (word) return quoteText(word[0]);
    return quoteText(String.fromCodePoint(text.codePointAt(i)!));
  }

  private skipWhitespace(): void {
    const { text } = this;
    while (this.i < text.length) {
      const ch = text[this.i];
      if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') break;
      this.i++;
    }
  }

  private value(depth: number, expectation: string): void {
    const { text } = this;
    const ch = text[this.i];
    if (ch === '{') return this.object(depth + 1);
    if (ch === '[') return this.array(depth + 1);
    if (ch === '"') {
      this.string();
      return;
    }
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, this.i)) {
        WORD_RE.lastIndex = this.i;
        if (WORD_RE.exec(text)![0] === literal) {
          this.i += literal.length;
          return;
        }
      }
    }
    WORD_RE.lastIndex = this.i;
    const word = WORD_RE.exec(text)?.[0] ?? '';
    if (/^[+-]?(?:NaN|Infinity|inf|nan)$/i.test(word) || /^[+-]?\.(?:inf|nan)$/i.test(word)) {
      this.fail(expectation, ' (JSON has no NaN or Infinity; use a finite number)');
    }
    if (ch === "'") this.fail(expectation, ' (JSON strings use double quotes)');
    if (ch === '/') this.fail(expectation, ' (JSON does not allow comments)');
    this.fail(expectation);
  }

  private object(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`at most ${MAX_DEPTH} nested objects and arrays`);
    const keys = new Map<string, number>();
    this.i++; // {
    this.skipWhitespace();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.text[this.i] !== '"') {
        if (this.text[this.i] === '}') this.fail('another member after ","', ' (JSON does not allow a trailing comma)');
        this.fail('a double-quoted key');
      }
      const keyStart = this.i;
      const key = this.string();
      const first = keys.get(key);
      if (first !== undefined) {
        this.i = keyStart;
        const { line, column } = lineAndColumn(this.text, first);
        throw new Failure(keyStart, `duplicate key ${quoteText(key)} (first at line ${line}, column ${column})`);
      }
      keys.set(key, keyStart);
      this.skipWhitespace();
      if (this.text[this.i] !== ':') this.fail(`":" after the key ${quoteText(key)}`);
      this.i++;
      this.skipWhitespace();
      this.value(depth, `a value for the key ${quoteText(key)}`);
      this.skipWhitespace();
      const next = this.text[this.i];
      if (next === '}') {
        this.i++;
        return;
      }
      if (next !== ',') this.fail('"," or "}" after an object member');
      this.i++;
      this.skipWhitespace();
    }
  }

  private array(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`at most ${MAX_DEPTH} nested objects and arrays`);
    this.i++; // [
    this.skipWhitespace();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.text[this.i] === ']') this.fail('another element after ","', ' (JSON does not allow a trailing comma)');
      this.value(depth, 'an array element');
      this.skipWhitespace();
      const next = this.text[this.i];
      if (next === ']') {
        this.i++;
        return;
      }
      if (next !== ',') this.fail('"," or "]" after an array element');
      this.i++;
      this.skipWhitespace();
    }
  }

  /** Consumes a string literal at the current `"`; returns its value. */
  private string(): string {
    const { text } = this;
    const start = this.i;
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= text.length) {
        this.i = start;
        throw new Failure(start, 'expected a closing \'"\' for the string starting here, got end of input');
      }
      const ch = text[this.i]!;
      if (ch === '"') {
        this.i++;
        return out;
      }
      if (ch === '\\') {
        const esc = text[this.i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (esc !== undefined && Object.hasOwn(simple, esc)) {
          out += simple[esc];
          this.i += 2;
          continue;
        }
        if (esc === 'u') {
          HEX4_RE.lastIndex = this.i + 2;
          const hex = HEX4_RE.exec(text);
          if (hex) {
            out += String.fromCharCode(parseInt(hex[0], 16));
            this.i += 6;
            continue;
          }
        }
        throw new Failure(
          this.i,
          `expected an escape sequence (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX), got ${quoteText(text.slice(this.i, this.i + 6))}`,
        );
      }
      if (ch.charCodeAt(0) < 0x20) {
        throw new Failure(this.i, `expected a closing '"' or an escaped control character in the string, got ${quoteText(ch)}`);
      }
      out += ch;
      this.i++;
    }
  }

  private number(): void {
    NUMBER_RE.lastIndex = this.i;
    const match = NUMBER_RE.exec(this.text);
    WORD_RE.lastIndex = this.i;
    const word = WORD_RE.exec(this.text)?.[0] ?? this.text[this.i]!;
    if (!match || match[0].length !== word.length) {
      if (/^-(?:Infinity|inf)$/i.test(word)) this.fail('a value', ' (JSON has no NaN or Infinity; use a finite number)');
      throw new Failure(
        this.i,
        `expected a JSON number (digits without leading zeros, optional fraction and exponent), got ${quoteText(word)}`,
      );
    }
    this.i += match[0].length;
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  // A byte-order mark is not a column.
  const bom = line === 1 && text.startsWith('\uFEFF') ? 1 : 0;
  return { line, column: offset - lineStart - bom + 1 };
}

/** The first JSON syntax error of `text` (a leading byte-order mark is allowed), or undefined if it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    new Checker(text, text.startsWith('\uFEFF') ? 1 : 0).run();
    return undefined;
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    return { ...lineAndColumn(text, err.offset), message: err.message };
  }
}

/** True for text whose first non-blank character is `{` (a JSON object, whatever the file name). */
export function looksLikeJsonObject(text: string): boolean {
  return /^\uFEFF?[ \t\r\n]*\{/.test(text);
}
