// The scorer pipeline's configuration: `name:weight,...` from --routing-scorers, or the policy bundle's
// `routing.scorers` list. Both are validated with the same rules against the catalog's scorer names.

import type { ScorerSpec } from '../types.js';
import { formatGoFloatV } from '../go/fmt.js';
import { parseGoFloat64 } from '../go/parse.js';
import { quoteText } from '../show-value.js';

/** Validation failure; callers add their context prefix (`Invalid --routing-scorers: …`). */
export class ScorerConfigError extends Error {}

function checkName(name: string, seen: Set<string>, scorerNames: readonly string[]): void {
  if (!scorerNames.includes(name)) {
    throw new ScorerConfigError(`unknown scorer ${quoteText(name)}; valid: ${scorerNames.join(', ')}`);
  }
  if (seen.has(name)) throw new ScorerConfigError(`duplicate scorer ${quoteText(name)}`);
  seen.add(name);
}

function checkWeight(name: string, weight: number): void {
  if (!Number.isFinite(weight) || weight <= 0) {
    throw new ScorerConfigError(`scorer ${quoteText(name)} weight must be a finite positive number, got ${formatGoFloatV(weight)}`);
  }
}

export function validateScorerSpecs(specs: readonly ScorerSpec[], scorerNames: readonly string[]): void {
  const seen = new Set<string>();
  for (const { name, weight } of specs) {
    checkName(name, seen, scorerNames);
    checkWeight(name, weight);
  }
}

/**
 * Parses `name:weight,...` entry by entry (the first bad entry is reported): parts and names are trimmed, the
 * weight text is not (as in the reference).
 */
export function parseScorerList(text: string, scorerNames: readonly string[]): ScorerSpec[] {
  const seen = new Set<string>();
  return text.split(',').map((rawPart): ScorerSpec => {
    const part = rawPart.trim();
    const colon = part.indexOf(':');
    if (colon < 0) throw new ScorerConfigError(`invalid scorer entry ${quoteText(part)}: expected name:weight`);
    const name = part.slice(0, colon).trim();
    checkName(name, seen, scorerNames);
    const weightText = part.slice(colon + 1);
    const weight = parseGoFloat64(weightText);
    if (weight === undefined) {
      throw new ScorerConfigError(`invalid weight ${quoteText(weightText)} for scorer ${quoteText(name)}: expected a number`);
    }
    checkWeight(name, weight);
    return { name, weight };
  });
}
