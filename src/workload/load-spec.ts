// Strict loading of workload spec v2 files (YAML, or JSON as a YAML subset) — docs/spec-notes.md, Spec v2 schema.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ParseErrorCode } from 'jsonc-parser';
import { ServesimError } from '../errors.js';
import {
  emptyDist,
  type ClientSpec,
  type DistSpec,
  type InferencePerfSpec,
  type MultimodalSpec,
  type WorkloadSpec,
} from './spec.js';
import { checkSchema, formatPath, type ObjectSchema, type PathSegment, type SchemaIssue } from './strict-schema.js';
import { fullYaml } from './lazy-yaml.js';
import { findSpecLoadProblem, rateFractionSumWarning, type ExplicitTopLevel } from './load-checks.js';
import { quoteText } from '../show-value.js';
import { findWorkloadSpecProblem } from './validate.js';
import { parseSimpleYaml, type ParsedYaml } from './yaml-lite.js';

const LOAD_PREFIX = 'Failed to load workload spec: ';
const PARSE_PREFIX = `${LOAD_PREFIX}parsing workload spec: `;

// ---------------------------------------------------------------------------------------------------------------
// Structure: exactly the reference's keys; every object is strict.

const dist: ObjectSchema = { object: { type: 'string', params: { map: 'float' }, file: 'string' } };

const CLIENT_SCHEMA: ObjectSchema = {
  object: {
    id: 'string',
    tenant_id: 'string',
    slo_class: 'string',
    model: 'string',
    rate_fraction: 'float',
    arrival: { object: { process: 'string', cv: 'float' } },
    input_distribution: dist,
    output_distribution: dist,
    prefix_group: 'string',
    prefix_length: 'int',
    streaming: 'bool',
    network: { object: { rtt_ms: 'float', bandwidth_mbps: 'float' } },
    lifecycle: { object: { windows: { list: { object: { start_us: 'int', end_us: 'int' } } } } },
    multimodal: {
      object: {
        text_distribution: dist,
        image_distribution: dist,
        image_count_distribution: dist,
        audio_distribution: dist,
        audio_count_distribution: dist,
        video_distribution: dist,
        video_count_distribution: dist,
      },
    },
    reasoning: {
      object: {
        reason_ratio_distribution: dist,
        multi_turn: { object: { max_rounds: 'int', think_time_us: 'int', context_growth: 'string' } },
      },
    },
  },
};

const WORKLOAD_SPEC_SCHEMA: ObjectSchema = {
  object: {
    version: 'string',
    seed: 'int64',
    category: 'string',
    clients: { list: CLIENT_SCHEMA },
    aggregate_rate: 'float',
    horizon: 'int',
    num_requests: 'int',
    servegen_data: { object: { path: 'string', span_start: 'float', span_end: 'float' } },
    inference_perf: {
      object: {
        stages: { list: { object: { rate: 'float', duration: 'float' } } },
        shared_prefix: {
          object: {
            num_unique_system_prompts: 'int',
            num_users_per_system_prompt: 'int',
            system_prompt_len: 'int',
            question_len: 'int',
            output_len: 'int',
            enable_multi_turn_chat: 'bool',
          },
        },
      },
    },
  },
};

/** Shapes produced by checkSchema (snake_case keys, absent keys undefined). */
interface RawDist {
  type?: string;
  params?: Record<string, number>;
  file?: string;
}
interface RawClient {
  id?: string;
  tenant_id?: string;
  slo_class?: string;
  model?: string;
  rate_fraction?: number;
  arrival?: { process?: string; cv?: number };
  input_distribution?: RawDist;
  output_distribution?: RawDist;
  prefix_group?: string;
  prefix_length?: number;
  streaming?: boolean;
  network?: { rtt_ms?: number; bandwidth_mbps?: number };
  lifecycle?: { windows?: Array<{ start_us?: number; end_us?: number }> };
  multimodal?: Record<
    | 'text_distribution'
    | 'image_distribution'
    | 'image_count_distribution'
    | 'audio_distribution'
    | 'audio_count_distribution'
    | 'video_distribution'
    | 'video_count_distribution',
    RawDist | undefined
  >;
  reasoning?: {
    reason_ratio_distribution?: RawDist;
    multi_turn?: { max_rounds?: number; think_time_us?: number; context_growth?: string };
  };
}
interface RawSpec {
  version?: string;
  seed?: bigint;
  category?: string;
  clients?: RawClient[];
  aggregate_rate?: number;
  horizon?: number;
  num_requests?: number;
  servegen_data?: { path?: string; span_start?: number; span_end?: number };
  inference_perf?: {
    stages?: Array<{ rate?: number; duration?: number }>;
    shared_prefix?: {
      num_unique_system_prompts?: number;
      num_users_per_system_prompt?: number;
      system_prompt_len?: number;
      question_len?: number;
      output_len?: number;
      enable_multi_turn_chat?: boolean;
    };
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Raw → WorkloadSpec

function toDist(raw: RawDist | undefined): DistSpec {
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

function keepsSourceText(path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && STRING_KEYS.has(last) && !path.includes('params');
}

function keyText(node: unknown): string {
  return fullYaml().isScalar(node) ? String(node.value) : String(node);
}

/** Full-YAML path: anchors, flow style, escapes, JSON files, and the exact syntax error messages. */
function parseWithFullYaml(text: string): ParsedYaml {
  const yaml = fullYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { intAsBigInt: true, lineCounter, merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ServesimError(PARSE_PREFIX + doc.errors[0]!.message.split('\n')[0]!);
  }
  yaml.visit(doc, {
    Pair(_, pair, ancestors) {
      if (!yaml.isScalar(pair.value) || pair.value.value === null || typeof pair.value.value === 'string') return;
      const path = [...ancestors.filter((a) => yaml.isPair(a)).map((a) => keyText((a as { key: unknown }).key)), keyText(pair.key)];
      if (keepsSourceText(path)) pair.value.value = pair.value.source ?? String(pair.value.value);
    },
  });
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  const line = (path: readonly PathSegment[], key?: string): number | undefined => {
    let node: unknown = doc.contents;
    let offset = (node as { range?: number[] } | null)?.range?.[0];
    for (const seg of key === undefined ? path : [...path, key]) {
      if (yaml.isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        offset = (node as { range?: number[] } | undefined)?.range?.[0] ?? offset;
      } else if (yaml.isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) break;
        offset = (pair.key as { range?: number[] } | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else {
        break;
      }
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return { data, line };
}

interface ParsedSpecDocument {
  spec: WorkloadSpec;
  /** Top-level values as written (absent keys undefined), for the load-time checks. */
  explicit: ExplicitTopLevel;
  /** 1-based line of the value at a YAML path (or of its closest present ancestor). */
  line(path: readonly PathSegment[]): number | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON syntax errors in JSON terms, found by jsonc-parser in strict-JSON mode. Loaded on first use, like `yaml`:
// importing it costs ~15 ms, which YAML specs never need to pay.

let jsoncModule: typeof import('jsonc-parser') | undefined;
const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };
/** Deeper nesting is refused: jsonc-parser recurses and would overflow the stack (specs nest 6 levels). */
const MAX_JSON_DEPTH = 512;
/** NaN and infinities as other languages and YAML spell them (jsonc-parser reports `-Infinity` at its "-"). */
const NON_FINITE_RE = /[+-]?\.?(?:nan|inf(?:inity)?)(?![\w.])/iy;
const STOP = Symbol('stop');

/** What a jsonc-parser error means, in plain words; `token` is the text it was reported at. */
function describeJsonError(code: ParseErrorCode, text: string, offset: number, token: string, within: 'object' | 'array' | 'top'): string {
  const name = jsoncModule!.printParseErrorCode(code);
  if ((name === 'PropertyNameExpected' || name === 'ValueExpected') && (token === '}' || token === ']')) {
    if (text.slice(0, offset).trimEnd().endsWith(',')) return 'a trailing comma is not allowed in JSON';
  }
  switch (name) {
    case 'InvalidSymbol':
      NON_FINITE_RE.lastIndex = offset;
      if (NON_FINITE_RE.test(text)) return 'NaN and Infinity are not JSON: use a finite number';
      if (token.startsWith("'")) return 'JSON strings and keys use double quotes, not single quotes';
      return `unexpected ${quoteText(token)}, which is not a JSON value (strings and keys need double quotes)`;
    case 'InvalidNumberFormat':
      return `invalid number ${quoteText(token)}`;
    case 'PropertyNameExpected':
      return 'expected a double-quoted key';
    case 'ValueExpected':
      return within === 'top' && token === '' ? 'the document is empty: expected one JSON object' : 'expected a value';
    case 'ColonExpected':
      return 'expected a colon after the key';
    case 'CommaExpected':
      return within === 'array' ? 'expected a comma or closing bracket' : 'expected a comma or closing brace';
    case 'CloseBraceExpected':
      return 'the file ends inside an object: expected a comma or closing brace';
    case 'CloseBracketExpected':
      return 'the file ends inside an array: expected a comma or closing bracket';
    case 'EndOfFileExpected':
      return 'expected the end of the file after the top-level value (a spec is one JSON object)';
    case 'InvalidCommentToken':
    case 'UnexpectedEndOfComment':
      return 'comments are not allowed in JSON';
    case 'UnexpectedEndOfString':
      return 'the string is not closed: its closing double quote is missing (JSON strings cannot span lines)';
    case 'UnexpectedEndOfNumber':
      return `incomplete number ${quoteText(token)} (digits must follow "." and "e")`;
    case 'InvalidUnicode':
      return 'invalid \\u escape in the string (expected four hex digits)';
    case 'InvalidEscapeCharacter':
      return 'invalid escape in the string (JSON has \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX)';
    case 'InvalidCharacter':
      return 'the string holds a control character (escape it, e.g. \\t or \\n)';
    default:
      return name;
  }
}

/** Throws the first JSON syntax error of `text` (or its first duplicate key) with its line and column, if any. */
function checkJsonSyntax(text: string, file: string | undefined): void {
  jsoncModule ??= createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser');
  // A byte-order mark is allowed, and is not a column.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // Open objects (their keys, with 1-based line and column) and arrays (null), innermost last.
  const open: Array<Map<string, string> | null> = [];
  let problem: { line: number; column: number; message: string } | undefined;
  const stop = (line: number, character: number, message: string): never => {
    problem = { line: line + 1, column: character + 1, message };
    throw STOP;
  };
  const enter = (keys: Map<string, string> | null, line: number, character: number): void => {
    if (open.length >= MAX_JSON_DEPTH) stop(line, character, `more than ${MAX_JSON_DEPTH} nested objects and arrays`);
    open.push(keys);
  };
  try {
    jsoncModule.visit(
      body,
      {
        onObjectBegin: (_offset, _length, line, character) => enter(new Map(), line, character),
        onArrayBegin: (_offset, _length, line, character) => enter(null, line, character),
        onObjectEnd: () => void open.pop(),
        onArrayEnd: () => void open.pop(),
        onObjectProperty(key, _offset, _length, line, character) {
          const keys = open[open.length - 1]!;
          const first = keys.get(key);
          if (first !== undefined) stop(line, character, `duplicate key ${quoteText(key)} (first at ${first})`);
          keys.set(key, `line ${line + 1}, column ${character + 1}`);
        },
        onError(code, offset, length, line, character) {
          const innermost = open.length === 0 ? 'top' : open[open.length - 1] === null ? 'array' : 'object';
          stop(line, character, describeJsonError(code, body, offset, body.slice(offset, offset + length), innermost));
        },
      },
      STRICT_JSON,
    );
  } catch (err) {
    if (err !== STOP) throw err;
  }
  if (problem === undefined) return;
  const where = `line ${problem.line}, column ${problem.column}${file === undefined ? '' : ` of ${file}`}`;
  throw new ServesimError(`${PARSE_PREFIX}invalid JSON at ${where}: ${problem.message}`);
}

/** True for text whose first non-blank character is `{` (a JSON object, whatever the file name). */
function looksLikeJsonObject(text: string): boolean {
  return /^\uFEFF?[ \t\r\n]*\{/.test(text);
}

/**
 * JSON specs are parsed as YAML, as in the reference (JSON is a YAML subset), but their syntax errors are reported
 * in JSON terms rather than in the YAML parser's: a file named *.json must be valid JSON; text that merely starts
 * with `{` gets the JSON wording when the YAML parser rejects it (a YAML flow mapping that is not JSON still loads).
 */
function parseSpecDocument(text: string, file?: string): ParsedSpecDocument {
  const isJsonFile = file !== undefined && file.toLowerCase().endsWith('.json');
  if (isJsonFile) checkJsonSyntax(text, file);
  let parsed: ParsedYaml;
  try {
    parsed = parseSimpleYaml(text, keepsSourceText) ?? parseWithFullYaml(text);
  } catch (err) {
    if (err instanceof ServesimError && !isJsonFile && looksLikeJsonObject(text)) checkJsonSyntax(text, file);
    throw err;
  }
  const { data } = parsed;
  if (data === undefined || data === null) {
    throw new ServesimError(`${PARSE_PREFIX}the document is empty (expected a mapping with version, clients, …)`);
  }
  const issues: SchemaIssue[] = [];
  const raw = checkSchema(data, WORKLOAD_SPEC_SCHEMA, [], issues) as RawSpec;
  if (issues.length > 0) {
    // Report the problem that appears first in the document, as yaml.v3 does.
    const located = issues.map((issue) => {
      const line = parsed.line(issue.path, issue.unknownKey);
      const where = issue.unknownKey !== undefined ? '' : `${issue.path.length === 0 ? 'document' : formatPath(issue.path)}: `;
      return {
        line: line ?? Number.MAX_SAFE_INTEGER,
        message: `${line === undefined ? '' : `line ${line}: `}${where}${issue.message}`,
      };
    });
    located.sort((a, b) => a.line - b.line);
    throw new ServesimError(PARSE_PREFIX + located[0]!.message);
  }
  return {
    spec: toWorkloadSpec(raw),
    explicit: { version: raw.version, horizon: raw.horizon, numRequests: raw.num_requests },
    line: (path) => parsed.line(path),
  };
}

/** Parses spec text (YAML or JSON). The v1 upgrade is NOT applied here. */
export function parseWorkloadSpecText(text: string): WorkloadSpec {
  return parseSpecDocument(text).spec;
}

export interface LoadWorkloadSpecOptions {
  /**
   * Receives warnings: the deprecation notice when a v1 spec is upgraded (the reference logs it at warn level),
   * and rate fractions that do not sum to 1.
   */
  onWarning?: (message: string) => void;
}

/**
 * Reads, strictly parses and v1-upgrades a spec file. The reference's validation is NOT applied (call
 * validateWorkloadSpec next), but a spec that passes it is checked for values that cannot be meant
 * (load-checks.ts; ServesimError naming file, line and YAML path), and clients' rate fractions that do not sum to
 * 1 produce a warning.
 */
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
  const parsed = parseSpecDocument(text, path);
  const { spec, warning } = upgradeV1Spec(parsed.spec);
  // Inputs the reference rejects keep its message (validateWorkloadSpec reports it); only valid ones are checked.
  const valid = findWorkloadSpecProblem(spec) === undefined;
  if (valid) {
    const problem = findSpecLoadProblem(spec, parsed.explicit, { file: path, line: parsed.line });
    if (problem !== undefined) throw new ServesimError(problem);
  }
  if (warning !== undefined) options.onWarning?.(warning);
  const rateWarning = valid ? rateFractionSumWarning(spec, path) : undefined;
  if (rateWarning !== undefined) options.onWarning?.(rateWarning);
  return spec;
}

const V1_SLO_RENAMES: Readonly<Record<string, string>> = { realtime: 'critical', interactive: 'standard' };

/**
 * Version "" or "1" becomes "2" and the v1 SLO class names are renamed (docs/reference-quirks.md, quirk 45).
 * Returns a new spec; `warning` is set when an upgrade happened.
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
