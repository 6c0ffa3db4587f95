// Ports of the Go `strconv` parsers that pflag uses for flag values, so that servesim accepts and rejects
// exactly the spellings the reference accepts (e.g. `0x10`, `1_000`, `+Inf`, `T`).

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Go `underscoreOK`: underscores only between digits (or right after a base prefix). */
function underscoresAreWellPlaced(text: string): boolean {
  let s = text;
  if (s.startsWith('+') || s.startsWith('-')) s = s.slice(1);
  let saw: '^' | '0' | '_' | '!' = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/**
 * Go `strconv.ParseInt(s, 0, 64)`: optional sign, base prefix 0x/0o/0b, a bare leading 0 means octal,
 * underscores allowed between digits. Returns `undefined` for invalid syntax or int64 overflow.
 */
export function parseGoInt64(text: string): bigint | undefined {
  if (text.length === 0) return undefined;
  let s = text;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  let radix = 10;
  let digits = s;
  if (s.length >= 2 && s[0] === '0') {
    const p = s[1]!.toLowerCase();
    if (p === 'x') {
      radix = 16;
      digits = s.slice(2);
    } else if (p === 'b') {
      radix = 2;
      digits = s.slice(2);
    } else if (p === 'o') {
      radix = 8;
      digits = s.slice(2);
    } else {
      radix = 8;
      digits = s.slice(1);
    }
  }
  if (digits.includes('_')) {
    if (!underscoresAreWellPlaced(text)) return undefined;
    digits = digits.replaceAll('_', '');
  }
  if (digits.length === 0) return undefined;
  const validDigit = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!validDigit.test(digits)) return undefined;
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[radix as 2 | 8 | 10 | 16];
  let value = BigInt(prefix + digits);
  if (negative) value = -value;
  if (value < INT64_MIN || value > INT64_MAX) return undefined;
  return value;
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))[pP]([+-]?\d+)$/;

/**
 * Go `strconv.ParseFloat(s, 64)`: decimal and hex-float literals, `Inf`/`Infinity`/`NaN` in any case,
 * underscores between digits. Overflow is an error in Go (value out of range). Returns `undefined` when invalid.
 */
export function parseGoFloat64(text: string): number | undefined {
  let s = text;
  if (s.includes('_')) {
    if (!underscoresAreWellPlaced(s)) return undefined;
    s = s.replaceAll('_', '');
  }
  const lower = s.toLowerCase();
  const unsigned = lower.replace(/^[+-]/, '');
  const sign = lower.startsWith('-') ? -1 : 1;
  if (unsigned === 'inf' || unsigned === 'infinity') return sign * Infinity;
  if (unsigned === 'nan') return lower === unsigned ? NaN : undefined;
  let value: number;
  if (DECIMAL_FLOAT.test(s)) {
    value = Number(s);
  } else {
    const hex = HEX_FLOAT.exec(s);
    if (!hex) return undefined;
    const [, signText, mantissaText, exponentText] = hex;
    const [intPart, fracPart = ''] = mantissaText!.split('.');
    const mantissa = parseInt((intPart || '0') + fracPart, 16);
    value = mantissa * 2 ** (Number(exponentText) - 4 * fracPart.length);
    if (signText === '-') value = -value;
  }
  // Go reports out-of-range literals (e.g. 1e400) as an error rather than returning ±Inf.
  if (!Number.isFinite(value)) return undefined;
  return value;
}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go `strconv.ParseBool`. */
export function parseGoBool(text: string): boolean | undefined {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  return undefined;
}
