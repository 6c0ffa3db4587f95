// Go `fmt` and `encoding/json` formatting (docs/spec-notes.md, Number formatting): stdout numbers and the reference's error messages.

const TWO_POW_53 = 2 ** 53;

/**
 * Go `fmt` `%.<digits>f`: the exact binary value rounded to `digits` decimals, exact decimal ties to even.
 * JS `toFixed` already uses the exact value but rounds ties away from zero, so only ties need special handling.
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const negative = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  // abs·2^(digits+1) is exact; it is an odd integer exactly when abs·10^digits ends in .5 (a tie).
  const scaled = abs * 2 ** (digits + 1);
  if (scaled < TWO_POW_53 && Number.isInteger(scaled) && scaled % 2 === 1) {
    // abs·10^digits = scaled·5^digits / 2 = k + 0.5 with k = floor(...).
    let k = (BigInt(scaled) * 5n ** BigInt(digits)) >> 1n;
    if (k & 1n) k += 1n;
    return (negative ? '-' : '') + insertPoint(k.toString(), digits);
  }
  if (abs >= 1e21) {
    // toFixed switches to exponent notation there; such values are integers.
    const intPart = BigInt(abs).toString();
    return (negative ? '-' : '') + intPart + (digits > 0 ? '.' + '0'.repeat(digits) : '');
  }
  const s = abs.toFixed(digits);
  return negative ? '-' + s : s;
}

function insertPoint(intDigits: string, digits: number): string {
  if (digits === 0) return intDigits;
  const padded = intDigits.padStart(digits + 1, '0');
  return padded.slice(0, padded.length - digits) + '.' + padded.slice(padded.length - digits);
}

/**
 * Go `encoding/json` float64: shortest round-trip, exponent form outside [1e-6, 1e21) — identical to JS `String`
 * except for negative zero. Callers must reject NaN/±Inf (Go refuses to encode them).
 */
export function formatJsonFloat(x: number): string {
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/** Go `encoding/json` string encoding (with Go's default HTML escaping). */
export function formatJsonString(s: string): string {
  let out = JSON.stringify(s);
  if (/[<>&\u2028\u2029]/.test(out)) {
    out = out
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }
  return out;
}

function goSpecial(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

/** Go `%v` of a float64: shortest digits, exponent form when exp < -4 or exp >= 6 (`1e+06`). */
export function formatGoFloatV(x: number): string {
  const special = goSpecial(x);
  if (special !== undefined) return special;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** Go `%f` (= `%.6f`), as used in the reference's error messages. */
export function formatGoFloatF(x: number): string {
  return formatFixed(x, 6);
}

/** Go `%q` for strings (strconv.Quote): printable characters kept, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
        else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return out + '"';
}
