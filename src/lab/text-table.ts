// Aligned plain-text tables for the lab's command output (compare, sweep, ablate, trials).

/**
 * Lines of a table whose first row is the header: every column padded to its widest cell, `leftAligned(col, last)`
 * columns padded at the end and the others at the start, cells joined by two spaces, trailing blanks trimmed, and
 * with `rule` a dashed line under the header.
 */
export function textTableLines(
  rows: readonly (readonly string[])[],
  leftAligned: (col: number, lastCol: number) => boolean,
  options: { rule?: boolean } = {},
): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, col) => (leftAligned(col, r.length - 1) ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
  if (options.rule) lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}

/** A number with a sign (`+1.5`, `-0.2`, `0.0`), or `n/a`. */
export function signedFixed(value: number, digits: number): string {
  return Number.isNaN(value) ? 'n/a' : `${value > 0 ? '+' : ''}${value.toFixed(digits)}`;
}

/** A number with fixed digits, or `n/a`. */
export function fixedOrNa(value: number, digits: number): string {
  return Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}
