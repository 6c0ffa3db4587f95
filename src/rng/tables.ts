// Go math/rand v1 tables, loaded once from the shipped JSON (BSD-3-Clause, © The Go Authors).
import { readFileSync } from 'node:fs';

interface RawTables {
  rngLen: number;
  rngTap: number;
  rngCooked_int64_decimal_strings: string[];
  kn_uint32: number[];
  wn_float32: number[];
  fn_float32: number[];
  ke_uint32: number[];
  we_float32: number[];
  fe_float32: number[];
  rn: number;
  re: number;
}

export interface GoRandTables {
  readonly length: number;
  readonly tap: number;
  /** rngCooked split into two's-complement halves so seeding needs no BigInt. */
  readonly cookedHi: Int32Array;
  readonly cookedLo: Uint32Array;
  readonly kn: Float64Array;
  readonly wn: Float64Array;
  readonly fn: Float64Array;
  readonly ke: Float64Array;
  readonly we: Float64Array;
  readonly fe: Float64Array;
}

// Resolved relative to this module so it works from src/rng, dist/rng and an installed package alike.
const TABLES_URL = new URL('../../data/go-math-rand-tables.json', import.meta.url);

function float32Table(values: number[]): Float64Array {
  // The JSON holds decimal renderings; fround recovers the exact float32 the Go tables contain.
  return Float64Array.from(values, (v) => Math.fround(v));
}

function loadTables(): GoRandTables {
  const raw = JSON.parse(readFileSync(TABLES_URL, 'utf8')) as RawTables;
  const cooked = raw.rngCooked_int64_decimal_strings;
  if (cooked.length !== raw.rngLen) {
    throw new Error(`go-math-rand-tables.json: expected ${raw.rngLen} cooked values, found ${cooked.length}`);
  }
  const cookedHi = new Int32Array(cooked.length);
  const cookedLo = new Uint32Array(cooked.length);
  cooked.forEach((text, i) => {
    const v = BigInt(text);
    cookedHi[i] = Number(BigInt.asIntN(32, v >> 32n));
    cookedLo[i] = Number(BigInt.asUintN(32, v));
  });
  return {
    length: raw.rngLen,
    tap: raw.rngTap,
    cookedHi,
    cookedLo,
    kn: Float64Array.from(raw.kn_uint32),
    wn: float32Table(raw.wn_float32),
    fn: float32Table(raw.fn_float32),
    ke: Float64Array.from(raw.ke_uint32),
    we: float32Table(raw.we_float32),
    fe: float32Table(raw.fe_float32),
  };
}

export const GO_RAND_TABLES: GoRandTables = loadTables();
