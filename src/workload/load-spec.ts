// Strict loading of workload spec v2 files (YAML, or JSON as a YAML subset) — workload.md §1.
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { z } from 'zod';
import { ServesimError } from '../errors.js';
import {
  emptyDist,
  type ClientSpec,
  type DistSpec,
  type InferencePerfSpec,
  type MultimodalSpec,
  type WorkloadSpec,
} from './spec.js';

const LOAD_PREFIX = 'Failed to load workload spec: ';
const PARSE_PREFIX = `${LOAD_PREFIX}parsing workload spec: `;

// ---------------------------------------------------------------------------------------------------------------
// Scalar field schemas. Integers arrive as bigint (parsed with intAsBigInt so int64 seeds stay exact).

type ScalarConverter<T> = (value: unknown) => T | undefined;

function scalarField<T>(expected: string, convert: ScalarConverter<T>) {
  return z
    .unknown()
    .transform((value, ctx): T => {
      const converted = convert(value);
      if (converted === undefined) {
        ctx.issues.push({ code: 'custom', message: `expected ${expected}`, input: value });
        return z.NEVER;
      }
      return converted;
    })
    .optional();
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function toInt64(value: unknown): bigint | undefined {
  let v: bigint | undefined;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
  return v !== undefined && v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

const int64Field = scalarField('an integer (int64)', toInt64);
const intField = scalarField('an integer', (v) => {
  const n = toInt64(v);
  return n === undefined ? undefined : Number(n);
});
const floatField = scalarField('a number', (v) =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined,
);
const stringField = scalarField('a string', (v) => (typeof v === 'string' ? v : undefined));
const boolField = scalarField('true or false', (v) => (typeof v === 'boolean' ? v : undefined));

// ---------------------------------------------------------------------------------------------------------------
// Structure (snake_case, exactly the reference's keys; every object is strict).

const distSchema = z
  .strictObject({
    type: stringField,
    params: z.record(z.string(), floatField).optional(),
    file: stringField,
  })
  .optional();

const multimodalSchema = z
  .strictObject({
    text_distribution: distSchema,
    image_distribution: distSchema,
    image_count_distribution: distSchema,
    audio_distribution: distSchema,
    audio_count_distribution: distSchema,
    video_distribution: distSchema,
    video_count_distribution: distSchema,
  })
  .optional();

const clientSchema = z.strictObject({
  id: stringField,
  tenant_id: stringField,
  slo_class: stringField,
  model: stringField,
  rate_fraction: floatField,
  arrival: z.strictObject({ process: stringField, cv: floatField }).optional(),
  input_distribution: distSchema,
  output_distribution: distSchema,
  prefix_group: stringField,
  prefix_length: intField,
  streaming: boolField,
  network: z.strictObject({ rtt_ms: floatField, bandwidth_mbps: floatField }).optional(),
  lifecycle: z
    .strictObject({
      windows: z.array(z.strictObject({ start_us: intField, end_us: intField })).optional(),
    })
    .optional(),
  multimodal: multimodalSchema,
  reasoning: z
    .strictObject({
      reason_ratio_distribution: distSchema,
      multi_turn: z
        .strictObject({ max_rounds: intField, think_time_us: intField, context_growth: stringField })
        .optional(),
    })
    .optional(),
});

const workloadSpecSchema = z.strictObject({
  version: stringField,
  seed: int64Field,
  category: stringField,
  clients: z.array(clientSchema).optional(),
  aggregate_rate: floatField,
  horizon: intField,
  num_requests: intField,
  servegen_data: z.strictObject({ path: stringField, span_start: floatField, span_end: floatField }).optional(),
  inference_perf: z
    .strictObject({
      stages: z.array(z.strictObject({ rate: floatField, duration: floatField })).optional(),
      shared_prefix: z
        .strictObject({
          num_unique_system_prompts: intField,
          num_users_per_system_prompt: intField,
          system_prompt_len: intField,
          question_len: intField,
          output_len: intField,
          enable_multi_turn_chat: boolField,
        })
        .optional(),
    })
    .optional(),
});

type RawSpec = z.output<typeof workloadSpecSchema>;
type RawClient = z.output<typeof clientSchema>;
type RawDist = z.output<typeof distSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Raw → WorkloadSpec

function toDist(raw: RawDist): DistSpec {
  if (raw === undefined) return emptyDist();
  const params: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw.params ?? {})) params[name] = value ?? 0;
  return { type: raw.type ?? '', params, file: raw.file ?? '' };
}

function toMultimodal(raw: NonNullable<RawClient['multimodal']>): MultimodalSpec {
  return {
    textDistribution: toDist(raw.text_distribution),
    imageDistribution: toDist(raw.image_distribution),
    imageCountDistribution: toDist(raw.image_count_distribution),
    audioDistribution: toDist(raw.audio_distribution),
    audioCountDistribution: toDist(raw.audio_count_distribution),
    videoDistribution: toDist(raw.video_distribution),
    videoCountDistribution: toDist(raw.video_count_distribution),
  };
}

function toClient(raw: RawClient): ClientSpec {
  const client: ClientSpec = {
    id: raw.id ?? '',
    tenantId: raw.tenant_id ?? '',
    sloClass: raw.slo_class ?? '',
    model: raw.model ?? '',
    rateFraction: raw.rate_fraction ?? 0,
    arrival: { process: raw.arrival?.process ?? '' },
    inputDistribution: toDist(raw.input_distribution),
    outputDistribution: toDist(raw.output_distribution),
    prefixGroup: raw.prefix_group ?? '',
    prefixLength: raw.prefix_length ?? 0,
    streaming: raw.streaming ?? false,
  };
  if (raw.arrival?.cv !== undefined) client.arrival.cv = raw.arrival.cv;
  if (raw.network) client.network = { rttMs: raw.network.rtt_ms ?? 0, bandwidthMbps: raw.network.bandwidth_mbps ?? 0 };
  if (raw.lifecycle) {
    client.lifecycle = {
      windows: (raw.lifecycle.windows ?? []).map((w) => ({ startUs: w.start_us ?? 0, endUs: w.end_us ?? 0 })),
    };
  }
  if (raw.multimodal) client.multimodal = toMultimodal(raw.multimodal);
  if (raw.reasoning) {
    client.reasoning = { reasonRatioDistribution: toDist(raw.reasoning.reason_ratio_distribution) };
    const mt = raw.reasoning.multi_turn;
    if (mt) {
      client.reasoning.multiTurn = {
        maxRounds: mt.max_rounds ?? 0,
        thinkTimeUs: mt.think_time_us ?? 0,
        contextGrowth: mt.context_growth ?? '',
      };
    }
  }
  return client;
}

function toInferencePerf(raw: NonNullable<RawSpec['inference_perf']>): InferencePerfSpec {
  const spec: InferencePerfSpec = {
    stages: (raw.stages ?? []).map((s) => ({ rate: s.rate ?? 0, duration: s.duration ?? 0 })),
  };
  const sp = raw.shared_prefix;
  if (sp) {
    spec.sharedPrefix = {
      numUniqueSystemPrompts: sp.num_unique_system_prompts ?? 0,
      numUsersPerSystemPrompt: sp.num_users_per_system_prompt ?? 0,
      systemPromptLen: sp.system_prompt_len ?? 0,
      questionLen: sp.question_len ?? 0,
      outputLen: sp.output_len ?? 0,
      enableMultiTurnChat: sp.enable_multi_turn_chat ?? false,
    };
  }
  return spec;
}

function toWorkloadSpec(raw: RawSpec): WorkloadSpec {
  const spec: WorkloadSpec = {
    version: raw.version ?? '',
    seed: raw.seed ?? 0n,
    category: raw.category ?? '',
    clients: (raw.clients ?? []).map(toClient),
    aggregateRate: raw.aggregate_rate ?? 0,
    horizon: raw.horizon ?? 0,
    numRequests: raw.num_requests ?? 0,
  };
  if (raw.servegen_data) {
    spec.servegenData = {
      path: raw.servegen_data.path ?? '',
      spanStart: raw.servegen_data.span_start ?? 0,
      spanEnd: raw.servegen_data.span_end ?? 0,
    };
  }
  if (raw.inference_perf) spec.inferencePerf = toInferencePerf(raw.inference_perf);
  return spec;
}

// ---------------------------------------------------------------------------------------------------------------
// YAML document handling

// Keys whose values are Go strings: yaml.v3 stores any scalar's literal text there (`version: 2` → "2").
const STRING_KEYS = new Set([
  'version',
  'category',
  'id',
  'tenant_id',
  'slo_class',
  'model',
  'prefix_group',
  'process',
  'type',
  'file',
  'context_growth',
  'path',
]);

function keyText(node: unknown): string {
  return isScalar(node) ? String(node.value) : String(node);
}

function stringifyScalarsInStringFields(doc: Document): void {
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.value) || pair.value.value === null || typeof pair.value.value === 'string') return;
      if (!STRING_KEYS.has(keyText(pair.key))) return;
      const insideParams = ancestors.some((a) => isPair(a) && keyText(a.key) === 'params');
      if (!insideParams) pair.value.value = pair.value.source ?? String(pair.value.value);
    },
  });
}

/** yaml.v3 treats `key:` (null) as "leave the zero value"; inside maps (params) null decodes to 0. */
function dropNulls(value: unknown, inParams = false): unknown {
  if (Array.isArray(value)) return value.map((v) => dropNulls(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null) {
        if (inParams) out[k] = 0;
        continue;
      }
      out[k] = dropNulls(v, k === 'params' && !inParams);
    }
    return out;
  }
  return value;
}

type PathSegment = string | number | symbol;

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Node at `path` (map keys compared as text) and the source offset of `key` inside it, when given. */
function sourceOffset(doc: Document, path: readonly PathSegment[], key?: string): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as { range?: number[] } | null)?.range?.[0];
  const segments = key === undefined ? path : [...path, key];
  for (const seg of segments) {
    if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      offset = (node as { range?: number[] } | undefined)?.range?.[0] ?? offset;
    } else if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: number[] } | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else {
      break;
    }
  }
  return offset;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PathSegment, unknown>)[seg];
  }
  return v;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** Field names accepted at `path`, read back from the schema. */
function fieldsAt(path: readonly PathSegment[]): string[] {
  let schema: z.ZodType = workloadSpecSchema;
  for (const seg of [...path, undefined]) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (seg === undefined) break;
    if (schema instanceof z.ZodArray && typeof seg === 'number') schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(seg)]!;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else return [];
    if (schema === undefined) return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): { key?: string; text: string } {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const container = where === '' ? 'the top level' : where;
    return {
      key,
      text: `field "${key}" not found in ${container} (valid fields: ${fieldsAt(issue.path).join(', ')})`,
    };
  }
  const given = describeValue(valueAt(data, issue.path));
  let expected: string;
  if (issue.code === 'custom') expected = issue.message;
  else if (issue.code === 'invalid_type') {
    expected = issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `${issue.expected}`;
    expected = `expected ${expected}`;
  } else expected = issue.message;
  return { text: `${where === '' ? 'document' : where}: ${expected}, got ${given}` };
}

/** Parses spec text. `source` names the file in messages. The v1 upgrade is NOT applied here. */
export function parseWorkloadSpecText(text: string): WorkloadSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { intAsBigInt: true, lineCounter, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ServesimError(PARSE_PREFIX + doc.errors[0]!.message.split('\n')[0]!);
  }
  stringifyScalarsInStringFields(doc);
  const data = dropNulls(doc.toJS({ maxAliasCount: 1000 }));
  if (data === undefined || data === null) {
    throw new ServesimError(`${PARSE_PREFIX}the document is empty (expected a mapping with version, clients, …)`);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ServesimError(`${PARSE_PREFIX}expected a mapping at the top level, got ${describeValue(data)}`);
  }
  const result = workloadSpecSchema.safeParse(data);
  if (!result.success) {
    // Report the issue that appears first in the document, as yaml.v3 does.
    const located = result.error.issues.map((issue) => {
      const { key, text: message } = describeIssue(issue, data);
      const offset = sourceOffset(doc, issue.path, key);
      const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
      return { line: line ?? Number.MAX_SAFE_INTEGER, message: line === undefined ? message : `line ${line}: ${message}` };
    });
    located.sort((a, b) => a.line - b.line);
    throw new ServesimError(PARSE_PREFIX + located[0]!.message);
  }
  return toWorkloadSpec(result.data);
}

export interface LoadWorkloadSpecOptions {
  /** Receives the deprecation notice when a v1 spec is upgraded (the reference logs it at warn level). */
  onWarning?: (message: string) => void;
}

/** Reads, strictly parses and v1-upgrades a spec file (not validated: call validateWorkloadSpec next). */
export function loadWorkloadSpec(path: string, options: LoadWorkloadSpecOptions = {}): WorkloadSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new ServesimError(`${LOAD_PREFIX}reading workload spec: open ${path}: ${reason}`);
  }
  const { spec, warning } = upgradeV1Spec(parseWorkloadSpecText(text));
  if (warning !== undefined) options.onWarning?.(warning);
  return spec;
}

const V1_SLO_RENAMES: Readonly<Record<string, string>> = { realtime: 'critical', interactive: 'standard' };

/**
 * workload.md §1: version "" or "1" becomes "2" and the v1 SLO class names are renamed. Returns a new spec;
 * `warning` is set when an upgrade happened.
 */
export function upgradeV1Spec(spec: WorkloadSpec): { spec: WorkloadSpec; warning?: string } {
  if (spec.version !== '' && spec.version !== '1') return { spec };
  const clients = spec.clients.map((c) => {
    const renamed = V1_SLO_RENAMES[c.sloClass];
    return renamed === undefined ? c : { ...c, sloClass: renamed };
  });
  return {
    spec: { ...spec, version: '2', clients },
    warning:
      `workload spec version "${spec.version}" is deprecated and was upgraded to version 2 ` +
      '(slo_class realtime → critical, interactive → standard)',
  };
}
