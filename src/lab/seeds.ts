import { ServesimError } from '../errors.js';

/** Upper bound on the seeds one list may expand to: a typo like `42-4200000` should fail, not run for days. */
const MAX_SEEDS = 10_000;

/**
 * Parses a seed list: comma-separated integers and inclusive ranges, e.g. `42,43,44`, `42-61`, `1-3,10,20-22`.
 * Order is kept, duplicates are rejected (a paired comparison must not count a seed twice).
 */
export function parseSeeds(text: string, field = '--seeds'): number[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new ServesimError(`${field}: expected seeds like 42,43,44 or 42-61, got an empty value`);
  const seeds: number[] = [];
  for (const rawPart of trimmed.split(',')) {
    const part = rawPart.trim();
    const range = /^(-?\d+)\s*-\s*(-?\d+)$/.exec(part);
    if (range) {
      const from = parseSeedInt(range[1]!, field, part);
      const to = parseSeedInt(range[2]!, field, part);
      if (to < from) throw new ServesimError(`${field}: range "${part}" ends before it starts`);
      if (to - from + 1 + seeds.length > MAX_SEEDS) {
        throw new ServesimError(`${field}: "${part}" expands to more than ${MAX_SEEDS} seeds`);
      }
      for (let s = from; s <= to; s++) seeds.push(s);
    } else if (/^-?\d+$/.test(part)) {
      seeds.push(parseSeedInt(part, field, part));
    } else {
      throw new ServesimError(`${field}: "${part}" is not a seed; expected integers and ranges like 42,43,44 or 42-61`);
    }
  }
  const seen = new Set<number>();
  for (const s of seeds) {
    if (seen.has(s)) throw new ServesimError(`${field}: seed ${s} is listed twice`);
    seen.add(s);
  }
  return seeds;
}

function parseSeedInt(digits: string, field: string, part: string): number {
  const value = Number(digits);
  if (!Number.isSafeInteger(value)) throw new ServesimError(`${field}: "${part}" is out of the integer range`);
  return value;
}

/** Formats seeds compactly for messages and reports: consecutive runs become ranges. */
export function formatSeeds(seeds: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < seeds.length) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${seeds[i]}-${seeds[j]}` : seeds.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}
