// Go `fmt` verbs used in the reference's error messages (`%v` and `%f` of float64), so that messages match.

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

/** Go `%f` (6 decimals). Exact ties may differ from Go in the last digit; only used in messages. */
export function formatGoFloatF(x: number): string {
  return goSpecial(x) ?? x.toFixed(6);
}
