// How user-given values appear in error messages: quoted, non-printable characters escaped (Go %q
// spellings, as in the reference's messages), and shortened so that a stray megabyte never floods a one-line error.

/** Longest shown value (between the quotes), including the trailing `...` of a shortened one. */
export const MAX_SHOWN_CHARS = 60;
const ELLIPSIS = '...';

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** The escaped spelling of one code point (itself when printable). */
function escapeCodePoint(ch: string): string {
  const named = NAMED_ESCAPES[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  // C1 controls, lone surrogates, line/paragraph separators, BOM/zero-width format characters, the replacement
  // character left by invalid UTF-8, and unassigned/private-use code points are not printable.
  if (/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Cf}\p{Co}\p{Cn}\uFFFD]/u.test(ch)) {
    return code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return ch;
}

/** `text` with non-printable characters escaped, shortened to at most MAX_SHOWN_CHARS characters (no quotes). */
export function shownText(text: string): string {
  const pieces: string[] = [];
  let length = 0;
  for (const ch of text) {
    const piece = escapeCodePoint(ch);
    pieces.push(piece);
    length += piece.length;
  }
  if (length <= MAX_SHOWN_CHARS) return pieces.join('');
  let out = '';
  for (const piece of pieces) {
    if (out.length + piece.length > MAX_SHOWN_CHARS - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/**
 * A whole error message as one printable line: newlines folded, non-printable characters escaped, and at most
 * `maxChars` long — the last guard against a message that quotes a huge or binary value.
 */
export function printableLine(text: string, maxChars = 1000): string {
  let out = '';
  for (const ch of text.replace(/\s*\n\s*/g, ' ')) {
    const piece = ch === '"' || ch === '\\' ? ch : escapeCodePoint(ch);
    if (out.length + piece.length > maxChars - ELLIPSIS.length) return out + ELLIPSIS;
    out += piece;
  }
  return out;
}

/** `"text"` with non-printable characters escaped and at most MAX_SHOWN_CHARS characters between the quotes. */
export function quoteText(text: string): string {
  return `"${shownText(text)}"`;
}

/** A number as the user would recognise it (`NaN`, `Infinity`, `-Infinity`, or the shortest decimal). */
export function numberText(value: number): string {
  return Number.isNaN(value) ? 'NaN' : String(value);
}

/** Quoted display of a given value of any scalar type. */
export function quoteValue(value: string | number | bigint | boolean): string {
  return quoteText(typeof value === 'number' ? numberText(value) : String(value));
}
