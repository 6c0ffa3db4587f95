// Workload spec variants for sweeps: `--vary workload.aggregate_rate=1500:3000:250` sets a field of the strategy's
// workload spec. `run`'s --rate only drives the legacy generator (as in the reference), and a spec's rate is read
// from the spec alone, so the variant is a spec file: the original with the field replaced, written once under a
// name derived from its content. The trial store keys a run by the spec's path and content, so equal variants
// share results and `servesim run` is untouched.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { isScalar, parseDocument } from 'yaml';
import { ServesimError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { quoteText } from '../show-value.js';
import { loadWorkloadSpec } from '../workload/load-spec.js';
import { validateWorkloadSpec } from '../workload/validate.js';

/** The sweep name prefix of a workload spec field: `workload.aggregate_rate`, `workload.clients.0.rate_fraction`. */
export const WORKLOAD_FIELD_PREFIX = 'workload.';

/** Where derived specs are written (SERVESIM_DERIVED_WORKLOADS overrides the default under the temp directory). */
export function derivedWorkloadDir(): string {
  return process.env.SERVESIM_DERIVED_WORKLOADS ?? join(tmpdir(), 'servesim-derived-workloads');
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The spec `specFile` with each `[field, value]` set (field: a dotted YAML path that must exist in the spec, list
 * items by index), written to a content-addressed file and checked like `run` checks a spec. Returns its path.
 * `option` names the command-line option or YAML path in errors.
 */
export function deriveWorkloadSpec(specFile: string, fields: ReadonlyArray<readonly [string, string]>, option: string): string {
  let text: string;
  try {
    text = readFileSync(specFile, 'utf8');
  } catch (err) {
    throw new ServesimError(`${option}: cannot read the workload spec ${specFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ServesimError(`${option}: the workload spec ${specFile} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
  for (const [field, value] of fields) {
    const path = field.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
    const node = doc.getIn(path, true);
    if (node === undefined) throw new ServesimError(`${option}: ${WORKLOAD_FIELD_PREFIX}${field}: the workload spec ${specFile} has no such field`);
    if (!isScalar(node)) throw new ServesimError(`${option}: ${WORKLOAD_FIELD_PREFIX}${field}: not a single value in ${specFile}`);
    doc.setIn(path, NUMERIC.test(value) ? Number(value) : value);
  }
  const header = `# ${basename(specFile)} with ${fields.map(([f, v]) => `${f} = ${v}`).join(', ')} (a servesim sweep variant)\n`;
  const derived = header + doc.toString();
  const digest = createHash('sha256').update(derived).digest('hex').slice(0, 16);
  const dir = derivedWorkloadDir();
  const file = join(dir, `${basename(specFile, extname(specFile))}-${digest}.yaml`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(file, derived, option);
  }
  try {
    validateWorkloadSpec(loadWorkloadSpec(file));
  } catch (err) {
    if (err instanceof ServesimError) {
      const given = fields.map(([f, v]) => `${WORKLOAD_FIELD_PREFIX}${f}=${quoteText(v)}`).join(', ');
      throw new ServesimError(`${option} ${given}: ${err.message}`);
    }
    throw err;
  }
  return file;
}
