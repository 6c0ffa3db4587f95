// Policy bundle (`--policy-config`, policies.md §11): strict YAML, validated, applied only to flags that were
// not given explicitly.

import { readFileSync } from 'node:fs';
import { ServesimError } from '../errors.js';
import { admissionPolicyNames } from '../policies/admission/index.js';
import { priorityPolicyNames } from '../policies/priority/index.js';
import { routingPolicyNames } from '../policies/routing/index.js';
import { schedulerNames } from '../policies/scheduler/index.js';
import type { ScorerSpec } from '../types.js';
import { formatGoFloatF } from '../go/fmt.js';
import { loadYamlModule, loadZodModule } from './lazy-modules.js';
import { ScorerConfigError, validateScorerSpecs } from './routing-scorers.js';

/** A validated bundle; empty strings and undefined mean "not set". */
export interface PolicyBundle {
  admission: { policy: string; tokenBucketCapacity?: number; tokenBucketRefillRate?: number };
  routing: { policy: string; scorers: ScorerSpec[] };
  priority: { policy: string };
  scheduler: string;
}

const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': ['admission', 'routing', 'priority', 'scheduler'],
  admission: ['policy', 'token_bucket_capacity', 'token_bucket_refill_rate'],
  routing: ['policy', 'scorers'],
  'routing.scorers.*': ['name', 'weight'],
  priority: ['policy'],
};

function buildSchema() {
  const { z } = loadZodModule();
  // Accepts NaN/±Inf (z.number() would not) so that validation can report them with the bundle's own message.
  const anyNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number');
  return z.strictObject({
    admission: z
      .strictObject({ policy: z.string().nullish(), token_bucket_capacity: anyNumber.nullish(), token_bucket_refill_rate: anyNumber.nullish() })
      .nullish(),
    routing: z
      .strictObject({ policy: z.string().nullish(), scorers: z.array(z.strictObject({ name: z.string(), weight: anyNumber })).nullish() })
      .nullish(),
    priority: z.strictObject({ policy: z.string().nullish() }).nullish(),
    scheduler: z.string().nullish(),
  });
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

function parseFailure(detail: string): ServesimError {
  return new ServesimError(`Failed to load policy config: parsing policy config: ${detail}`);
}

function describeIssue(issue: Issue): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    const known = KNOWN_KEYS[where.replace(/\.\d+(?=\.|$)/g, '.*')] ?? [];
    const container = where === '' ? 'the top level' : where;
    return `field ${JSON.stringify(issue.keys[0])} not found in ${container} (valid fields: ${known.join(', ')})`;
  }
  return `${where || 'document'}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

function checkName(axis: string, name: string, valid: readonly string[]): void {
  if (name !== '' && !valid.includes(name)) {
    throw new ServesimError(`Invalid policy config: unknown ${axis} ${JSON.stringify(name)}; valid: ${valid.join(', ')}`);
  }
}

function checkTokenBucketNumber(key: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new ServesimError(`Invalid policy config: admission.${key} must be a finite non-negative number, got ${formatGoFloatF(value)}`);
  }
}

export function loadPolicyBundle(path: string): PolicyBundle {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ServesimError(`Failed to load policy config: open ${path}: no such file or directory`);
  }
  const YAML = loadYamlModule();
  const lineCounter = new YAML.LineCounter();
  const document = YAML.parseDocument(text, { lineCounter, uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) throw parseFailure(yamlError.message.split('\n')[0]!);

  const result = buildSchema().safeParse(document.toJS() ?? {});
  if (!result.success) {
    // Report the issue that comes first in the file, with its line.
    const located = (result.error.issues as Issue[]).map((issue) => {
      const keyPath = issue.code === 'unrecognized_keys' && issue.keys ? [...issue.path, issue.keys[0]!] : issue.path;
      const node = document.getIn(keyPath as unknown[], true) as { range?: [number, number, number] } | undefined;
      const parent = document.getIn(issue.path as unknown[], true) as { items?: Array<{ key?: { value?: unknown; range?: number[] } }> } | undefined;
      const keyNode = parent?.items?.find((pair) => pair.key?.value === keyPath[keyPath.length - 1])?.key;
      const offset = keyNode?.range?.[0] ?? node?.range?.[0] ?? 0;
      return { issue, line: lineCounter.linePos(offset).line };
    });
    located.sort((a, b) => a.line - b.line);
    const first = located[0]!;
    throw parseFailure(`line ${first.line}: ${describeIssue(first.issue)}`);
  }

  const raw = result.data;
  const bundle: PolicyBundle = {
    admission: {
      policy: raw.admission?.policy ?? '',
      tokenBucketCapacity: raw.admission?.token_bucket_capacity ?? undefined,
      tokenBucketRefillRate: raw.admission?.token_bucket_refill_rate ?? undefined,
    },
    routing: { policy: raw.routing?.policy ?? '', scorers: (raw.routing?.scorers ?? []).map((s) => ({ name: s.name, weight: s.weight })) },
    priority: { policy: raw.priority?.policy ?? '' },
    scheduler: raw.scheduler ?? '',
  };

  checkName('admission policy', bundle.admission.policy, admissionPolicyNames);
  checkTokenBucketNumber('token_bucket_capacity', bundle.admission.tokenBucketCapacity);
  checkTokenBucketNumber('token_bucket_refill_rate', bundle.admission.tokenBucketRefillRate);
  checkName('routing policy', bundle.routing.policy, routingPolicyNames);
  try {
    validateScorerSpecs(bundle.routing.scorers);
  } catch (error) {
    if (error instanceof ScorerConfigError) throw new ServesimError(`Invalid policy config: routing.scorers: ${error.message}`);
    throw error;
  }
  checkName('priority policy', bundle.priority.policy, priorityPolicyNames);
  checkName('scheduler', bundle.scheduler, schedulerNames);
  return bundle;
}
