// CSV trace workloads (`--workload traces`; docs/spec-notes.md, CSV traces).
import { readFileSync } from 'node:fs';
import { ServesimError } from '../errors.js';
import type { GeneratedRequest } from '../types.js';
import { quoteText } from '../show-value.js';
import { unlabelledRequest } from './unlabelled-request.js';

const PREFIX = 'Simulation failed: generating requests: ';
const MIN_COLUMNS = 5;
const DECIMAL_FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

interface CsvRecord {
  line: number;
  fields: string[];
}

/** RFC 4180 records as Go's encoding/csv reads them: quoted fields with "" escapes, blank lines skipped. */
function* csvRecords(text: string): Generator<CsvRecord> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] === '\n')) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new ServesimError(`${PREFIX}parse error on line ${startLine}: extraneous or missing " in quoted-field`);
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          if (!(ch === '\r' && text[i + 1] === '\n')) field += ch;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && !(next === '\r' && text[i + 1] === '\n')) {
          throw new ServesimError(`${PREFIX}parse error on line ${line}: extraneous or missing " in quoted-field`);
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new ServesimError(`${PREFIX}parse error on line ${line}: bare " in non-quoted-field`);
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      i += text[i] === '\r' ? 2 : 1;
      line++;
    }
    yield { line: startLine, fields };
  }
}

function parseTokenColumn(text: string, row: number, column: number, what: string): Int32Array {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value === null) return new Int32Array(0);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
    throw new ServesimError(
      `${PREFIX}row ${row}: column ${column} (${what}) must be a JSON array of integer token IDs (int32), got ${quoteText(text)}`,
    );
  }
  return Int32Array.from(value as number[]);
}

/**
 * Reads a trace CSV (header skipped). Arrivals are in seconds; reading stops at the first row whose arrival
 * (in ticks) exceeds `horizon` (`Infinity` = unbounded). Rows need not be sorted.
 * Unlike the reference, an empty file, a header without request rows and a negative arrival time are errors.
 */
export function readTraceWorkload(path: string, horizon: number): GeneratedRequest[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ServesimError(`${PREFIX}open ${path}: ${reason}`);
  }
  const requests: GeneratedRequest[] = [];
  let headerLine: number | undefined;
  for (const { line, fields } of csvRecords(text)) {
    if (headerLine === undefined) {
      headerLine = line;
      continue;
    }
    const row = requests.length;
    if (fields.length < MIN_COLUMNS) {
      throw new ServesimError(
        `${PREFIX}row ${row} (line ${line}): expected at least ${MIN_COLUMNS} columns (arrival_s, -, -, input tokens, output tokens), got ${fields.length}`,
      );
    }
    const arrivalText = fields[0]!;
    const seconds = DECIMAL_FLOAT.test(arrivalText) ? Number(arrivalText) : NaN;
    const arrivalTime = Math.trunc(seconds * 1e6);
    if (!Number.isFinite(seconds) || !Number.isSafeInteger(arrivalTime)) {
      throw new ServesimError(
        `${PREFIX}row ${row} (line ${line}): column 0 (arrival time) must be a finite number of seconds, got ${quoteText(arrivalText)}`,
      );
    }
    if (seconds < 0) {
      throw new ServesimError(
        `${PREFIX}${path}:${line}: row ${row}: column 0 (arrival time): expected a number of seconds >= 0, got ${quoteText(arrivalText)}`,
      );
    }
    if (arrivalTime > horizon) return requests;
    requests.push(
      unlabelledRequest(
        `request_${row}`,
        arrivalTime,
        parseTokenColumn(fields[3]!, row, 3, 'input token IDs'),
        parseTokenColumn(fields[4]!, row, 4, 'output token IDs'),
      ),
    );
  }
  if (headerLine === undefined) {
    throw new ServesimError(
      `${PREFIX}${path}: expected a header row and request rows (arrival_s, -, -, input tokens, output tokens), got an empty file`,
    );
  }
  if (requests.length === 0) {
    throw new ServesimError(
      `${PREFIX}${path}:${headerLine}: expected request rows after the header row, got none (the file has only a header)`,
    );
  }
  return requests;
}
