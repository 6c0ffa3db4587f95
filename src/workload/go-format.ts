// Go fmt verbs used in reference error messages (go-parity.md §7).

/**
 * Go `%f` (= `%.6f`) by default: exact binary value, ties rounded to even; NaN / +Inf / -Inf spelled as Go does.
 */
export function goFormatFixed(x: number, decimals = 6): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const negative = x < 0 || Object.is(x, -0);
  const magnitude = Math.abs(x);
  let text: string;
  if (magnitude >= 1e21) {
    // toFixed switches to exponent notation here; such doubles are integers, so print them exactly.
    text = BigInt(magnitude).toString() + (decimals > 0 ? '.' + '0'.repeat(decimals) : '');
  } else {
    text = magnitude.toFixed(decimals);
    // toFixed breaks exact decimal ties upwards; Go breaks them to even. A tie has exactly decimals+1 digits.
    const expansion = magnitude.toFixed(Math.min(100, decimals + 30));
    const tail = expansion.slice(expansion.indexOf('.') + 1 + decimals);
    if (/^50*$/.test(tail)) {
      const down = roundedDown(expansion, decimals);
      const lastDigit = Number(down.replace('.', '').slice(-1));
      if (lastDigit % 2 === 0) text = down;
    }
  }
  return negative ? `-${text}` : text;
}

function roundedDown(expansion: string, decimals: number): string {
  const dot = expansion.indexOf('.');
  return decimals === 0 ? expansion.slice(0, dot) : expansion.slice(0, dot + 1 + decimals);
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
