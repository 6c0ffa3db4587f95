// User plugins: a .ts/.mts/.js/.mjs file exporting policy modules. It is compiled on load by esbuild (TypeScript
// stripped, its own imports bundled, no separate build step), written once to a content-addressed cache file and
// required synchronously, so resolution stays synchronous for the lab's workers. The digest of the compiled bundle
// identifies the plugin: the trial store keys evaluations by it, so editing a plugin never reuses stale results.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { ServesimError } from '../errors.js';
import { BUILTIN_CATALOG, type CatalogEntry, type PolicyCatalog } from '../policies/catalog.js';
import type { ParamSpec } from '../policies/params.js';
import { AXES, type Axis, type PolicyModule } from '../policies/policy.js';

export const PLUGIN_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

export interface LoadedPlugin {
  /** Absolute path. */
  readonly path: string;
  /** sha256 of the compiled bundle (the plugin's source and everything it imports). */
  readonly digest: string;
  readonly modules: readonly PolicyModule[];
}

const requireCompiled = createRequire(import.meta.url);
// crypto and os are required when a plugin is actually loaded: a plain `run` does not pay for loading them.
const createHash = (algorithm: string) => (requireCompiled('node:crypto') as typeof import('node:crypto')).createHash(algorithm);
const tmpdir = (): string => (requireCompiled('node:os') as typeof import('node:os')).tmpdir();
/** Loaded plugins by path, with the files their bundle was built from and a fingerprint of those files' contents. */
const loaded = new Map<string, { inputs: readonly string[]; fingerprint: string | undefined; plugin: LoadedPlugin }>();

function fail(path: string, message: string): never {
  throw new ServesimError(`plugin ${path}: ${message}`);
}

function checkIsFile(path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    fail(path, 'no such file');
  }
  if (stats.isDirectory()) fail(path, 'is a directory, expected a .ts, .mts, .js or .mjs file');
}

/**
 * sha256 over the paths and contents of `files` (undefined when one cannot be read). Contents, not mtimes: file
 * timestamps are too coarse to see two quick same-size edits, and reading is far cheaper than compiling.
 */
function fingerprintOf(files: readonly string[]): string | undefined {
  const hash = createHash('sha256');
  try {
    for (const file of files) hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

interface EsbuildMessage {
  text: string;
  location?: { line: number; column: number } | null;
}

/** The compiled bundle and the absolute paths of the source files it was built from (the plugin and its imports). */
function compile(path: string): { code: string; inputs: string[] } {
  // Loaded lazily: plain runs without plugins never pay for esbuild.
  const esbuild = requireCompiled('esbuild') as typeof import('esbuild');
  // Paths in the bundle (source map, file comments) are relative to the plugin's directory, so that the digest
  // depends on the plugin's sources only, not on the working directory of the process that loads it.
  const base = dirname(path);
  try {
    const result = esbuild.buildSync({
      entryPoints: [path],
      absWorkingDir: base,
      bundle: true,
      write: false,
      metafile: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      sourcemap: 'inline',
    });
    const inputs = Object.keys(result.metafile.inputs)
      .map((input) => resolve(base, input))
      .sort();
    return { code: result.outputFiles[0]!.text, inputs };
  } catch (error) {
    const first = (error as { errors?: EsbuildMessage[] }).errors?.[0];
    if (first === undefined) fail(path, `cannot compile: ${(error as Error).message.split('\n')[0]}`);
    const where = first.location ? `line ${first.location.line}, column ${first.location.column + 1}: ` : '';
    fail(path, `cannot compile: ${where}${first.text}`);
  }
}

/** Writes the compiled code once per digest (temp + rename) and requires it. */
function instantiate(path: string, code: string, digest: string): unknown {
  const dir = join(tmpdir(), `servesim-plugins-${process.getuid?.() ?? 'user'}`);
  const file = join(dir, `${digest}.cjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  }
  try {
    return requireCompiled(file);
  } catch (error) {
    fail(path, `failed while loading: ${(error as Error).message?.split('\n')[0] ?? String(error)}`);
  }
}

/** The policy modules a plugin exports: `default` (a module, an array, or {policies}) or a named `policies`. */
function exportedModules(path: string, exports: unknown): unknown[] {
  const record = (exports ?? {}) as Record<string, unknown>;
  const candidate = record.default !== undefined ? record.default : record.policies;
  const list =
    Array.isArray(candidate) ? candidate
    : candidate !== null && typeof candidate === 'object' && Array.isArray((candidate as { policies?: unknown }).policies)
      ? (candidate as { policies: unknown[] }).policies
      : candidate !== undefined && candidate !== null ? [candidate]
      : [];
  if (list.length === 0) {
    fail(path, 'exports no policies; export default a policy module (or an array of them), or export const policies = [...]');
  }
  return list;
}

const NAME = /^[a-z][a-z0-9-]*$/;
const PARAM_TYPES = ['int', 'int64', 'float', 'bool'];

function checkParam(path: string, policy: string, key: string, raw: unknown): ParamSpec {
  const where = `policy "${policy}", parameter "${key}"`;
  if (!NAME.test(key)) fail(path, `${where}: parameter names must be lower-case words joined by '-', e.g. critical-budget`);
  const spec = raw as Partial<ParamSpec> | null;
  if (spec === null || typeof spec !== 'object') fail(path, `${where}: expected {type, default, help, min?, max?}`);
  if (spec.flag !== undefined) fail(path, `${where}: plugins may not name flags (the flag is --${policy}.${key})`);
  if (!PARAM_TYPES.includes(spec.type as string)) fail(path, `${where}: type must be one of ${PARAM_TYPES.join(', ')}, got ${JSON.stringify(spec.type)}`);
  if (typeof spec.help !== 'string' || spec.help === '') fail(path, `${where}: help must be a non-empty string`);
  for (const bound of ['min', 'max'] as const) {
    if (spec[bound] !== undefined && !Number.isFinite(spec[bound])) fail(path, `${where}: ${bound} must be a finite number`);
  }
  const isBool = spec.type === 'bool';
  const okDefault = isBool ? typeof spec.default === 'boolean' : typeof spec.default === 'number' && Number.isFinite(spec.default);
  if (!okDefault) fail(path, `${where}: default must be ${isBool ? 'true or false' : 'a finite number'}, got ${JSON.stringify(spec.default)}`);
  return spec as ParamSpec;
}

function checkModule(path: string, raw: unknown, index: number): PolicyModule {
  const m = raw as Partial<PolicyModule> | null;
  if (m === null || typeof m !== 'object') fail(path, `export #${index + 1} is not a policy module (expected {axis, name, params, create})`);
  if (!AXES.includes(m.axis as Axis)) {
    const which = typeof m.name === 'string' ? `policy ${JSON.stringify(m.name)} (export #${index + 1})` : `export #${index + 1}`;
    fail(path, `${which}: axis must be one of ${AXES.join(', ')}, got ${JSON.stringify(m.axis)}`);
  }
  if (typeof m.name !== 'string' || !NAME.test(m.name)) {
    fail(path, `${m.axis} export #${index + 1}: name must be lower-case words joined by '-', got ${JSON.stringify(m.name)}`);
  }
  if (typeof m.create !== 'function') fail(path, `${m.axis} policy "${m.name}": create must be a function`);
  const params = m.params ?? {};
  if (params === null || typeof params !== 'object') fail(path, `${m.axis} policy "${m.name}": params must be an object`);
  const checked: Record<string, ParamSpec> = {};
  for (const [key, spec] of Object.entries(params)) checked[key] = checkParam(path, m.name, key, spec);
  if (m.check !== undefined && typeof m.check !== 'function') fail(path, `${m.axis} policy "${m.name}": check must be a function`);
  return { ...m, params: checked } as PolicyModule;
}

/** Loads (compiles, caches) one plugin file. Errors name the file. */
export function loadPlugin(path: string): LoadedPlugin {
  const absolute = resolve(path);
  // Existence first, so that a missing file or a directory is reported as such whatever its name.
  checkIsFile(absolute);
  if (!(PLUGIN_EXTENSIONS as readonly string[]).includes(extname(absolute))) {
    fail(absolute, `unsupported extension "${extname(absolute)}"; expected ${PLUGIN_EXTENSIONS.join(', ')}`);
  }
  // Reused only while neither the plugin nor any file it imports has changed.
  const cached = loaded.get(absolute);
  if (cached && cached.fingerprint !== undefined && fingerprintOf(cached.inputs) === cached.fingerprint) return cached.plugin;
  const { code, inputs } = compile(absolute);
  const fingerprint = fingerprintOf(inputs);
  const digest = createHash('sha256').update(code).digest('hex');
  const exports = instantiate(absolute, code, digest);
  const modules = exportedModules(absolute, exports).map((m, i) => checkModule(absolute, m, i));
  const plugin: LoadedPlugin = { path: absolute, digest, modules };
  loaded.set(absolute, { inputs, fingerprint, plugin });
  return plugin;
}

/** A plugin compiled to one self-contained CommonJS file, its imports included (job payloads of the Redis backend). */
export function compilePlugin(path: string): string {
  const absolute = resolve(path);
  checkIsFile(absolute);
  return compile(absolute).code;
}

/** sha256 of a plugin's compiled bundle (reads and compiles it when needed). */
export function pluginDigest(path: string): string {
  return loadPlugin(path).digest;
}

/** The built-in catalog extended with the policies of `paths` (absolute or relative to `cwd`), in order. */
export function catalogWithPlugins(paths: readonly string[], cwd: string, base: PolicyCatalog = BUILTIN_CATALOG): PolicyCatalog {
  if (paths.length === 0) return base;
  const seen = new Set<string>();
  const entries: CatalogEntry[] = [];
  for (const path of paths) {
    const plugin = loadPlugin(resolve(cwd, path));
    if (seen.has(plugin.path)) continue;
    seen.add(plugin.path);
    for (const module of plugin.modules) entries.push({ module, plugin: plugin.path });
  }
  return base.extend(entries);
}

/** Reads a plugin's source (for `servesim plugins` and job payloads). */
export function pluginSource(path: string): string {
  return readFileSync(resolve(path), 'utf8');
}
