// A simulation job for another machine: the `run` argv with every input file carried as content, not as a path
// (workers run elsewhere). The coordinator packs the files, the worker writes them under a private directory in
// content-addressed subdirectories (in/<digest>/<name>) and runs the argv there. Same content → same path, so the
// worker's resolution cache (keyed by path and mtime) still generates a workload once for many jobs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { readBundlePlugins } from '../config/policy-bundle.js';
import { argvGroups } from '../config/flags.js';
import { FILE_VALUED_FLAGS } from '../config/run-flags.js';
import { loadYamlModule } from '../config/lazy-modules.js';
import { compilePlugin } from '../plugins/load.js';
import type { EvalTask } from './pool.js';

export interface JobInput {
  /** Relative to the worker's input directory: in/<digest> (a directory) or in/<digest>/<name>. */
  path: string;
  /** The path the coordinator read: worker error messages name it, as a local run's would. */
  source: string;
  /** base64 content; absent for a directory. */
  content?: string;
}

export interface JobPayload {
  /** SIMULATOR_VERSION of the coordinator: a worker of another version refuses the job. */
  simVersion: string;
  /** `run` flags; file-valued ones point into the inputs. */
  argv: string[];
  inputs: JobInput[];
}

const SHIPPED_FLAGS: ReadonlySet<string> = new Set([...FILE_VALUED_FLAGS, '--plugin']);

interface PackedFile {
  name: string;
  source: string;
  content: Buffer;
}

/** Where a plugin's compiled bundle goes: loadPlugin takes .js, and the bundle is CommonJS JavaScript. */
const bundleName = (path: string, prefix = ''): string => `${prefix}${basename(path, extname(path))}.js`;

function readable(path: string): Buffer | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** A policy bundle with its `plugins:` renamed to their compiled bundles shipped next to it. */
function packPolicyConfig(path: string, text: Buffer): PackedFile[] {
  let plugins: string[];
  try {
    plugins = readBundlePlugins(path);
  } catch {
    return [{ name: basename(path), source: path, content: text }]; // the worker reports the YAML error itself
  }
  if (plugins.length === 0) return [{ name: basename(path), source: path, content: text }];
  const YAML = loadYamlModule();
  const document = YAML.parseDocument(text.toString('utf8'));
  const names = plugins.map((plugin, i) => bundleName(plugin, `plugin-${i}-`));
  let next = 0;
  const list = document.get('plugins');
  if (YAML.isSeq(list)) {
    for (const item of list.items) if (YAML.isScalar(item) && typeof item.value === 'string') item.value = names[next++];
  }
  return [
    { name: basename(path), source: path, content: Buffer.from(String(document)) },
    ...plugins.map((plugin, i) => ({ name: names[i]!, source: plugin, content: Buffer.from(compilePlugin(plugin)) })),
  ];
}

/** The files one flag value stands for, or undefined when it cannot be read (the worker then reports it). */
function packFlagValue(flag: string, path: string): { files: PackedFile[]; directory: boolean } | undefined {
  if (flag === '--model-config-folder') {
    // The folder's config.json is all `run` reads from it.
    const config = readable(join(path, 'config.json'));
    if (!existsSync(path)) return undefined;
    return { files: config ? [{ name: 'config.json', source: join(path, 'config.json'), content: config }] : [], directory: true };
  }
  if (flag === '--plugin') {
    if (readable(path) === undefined) return undefined;
    return { files: [{ name: bundleName(path), source: path, content: Buffer.from(compilePlugin(path)) }], directory: false };
  }
  const content = readable(path);
  if (content === undefined) return undefined;
  if (flag === '--policy-config') return { files: packPolicyConfig(path, content), directory: false };
  const files = [{ name: basename(path), source: path, content }];
  if (flag === '--defaults-filepath') {
    // Roofline runs read hardware_config.json next to the defaults file unless --hardware-config names one.
    const sibling = join(path, '..', 'hardware_config.json');
    const hardware = readable(sibling);
    if (hardware && basename(path) !== 'hardware_config.json') files.push({ name: 'hardware_config.json', source: sibling, content: hardware });
  }
  return { files, directory: false };
}

/**
 * Packs tasks into payloads. Each input is read (and each plugin compiled) once per builder, i.e. once per lab
 * command: the inputs of a command must not change while it runs, locally or not.
 */
export class PayloadBuilder {
  private readonly packed = new Map<string, { value: string; inputs: JobInput[] }>();

  constructor(private readonly simVersion: string) {}

  build(task: EvalTask): JobPayload {
    const inputs = new Map<string, JobInput>();
    const argv: string[] = [];
    const ship = (flag: string, value: string): string => {
      if (value === '') return value;
      const { value: shipped, inputs: added } = this.pack(flag, resolve(task.cwd, value));
      for (const input of added) inputs.set(input.path, input);
      return shipped;
    };
    for (const { flag, tokens } of argvGroups(task.argv)) {
      const [first, value, ...rest] = tokens as [string, ...string[]];
      if (!SHIPPED_FLAGS.has(flag)) {
        argv.push(...tokens);
      } else if (first.length > flag.length) {
        argv.push(`${flag}=${ship(flag, first.slice(flag.length + 1))}`, ...tokens.slice(1));
      } else {
        argv.push(first, ...(value === undefined ? [] : [ship(flag, value)]), ...rest);
      }
    }
    return { simVersion: this.simVersion, argv, inputs: [...inputs.values()] };
  }

  private pack(flag: string, path: string): { value: string; inputs: JobInput[] } {
    const key = `${flag}\0${path}`;
    const cached = this.packed.get(key);
    if (cached) return cached;
    const group = packFlagValue(flag, path);
    let result: { value: string; inputs: JobInput[] };
    if (group === undefined) {
      // Absolute, so the worker's "no such file" names the same path a local run would.
      result = { value: path, inputs: [] };
    } else {
      const hash = createHash('sha256');
      for (const file of group.files) hash.update(file.name).update('\0').update(file.content).update('\0');
      const dir = `in/${hash.digest('hex').slice(0, 32)}`;
      const inputs: JobInput[] = group.files.map((f) => ({ path: `${dir}/${f.name}`, source: f.source, content: f.content.toString('base64') }));
      if (group.directory) inputs.push({ path: dir, source: path });
      result = { value: group.directory ? dir : `${dir}/${group.files[0]!.name}`, inputs };
    }
    this.packed.set(key, result);
    return result;
  }
}

const INPUT_PATH = /^in\/[0-9a-f]{32}(\/[^/\\]+)?$/;

/**
 * Writes a payload's inputs under `root` (each once: the path is derived from the content) and returns the task to
 * run there. Paths are checked: a job cannot write outside `root`.
 */
export function materialize(payload: JobPayload, root: string): EvalTask {
  for (const input of payload.inputs) {
    const match = INPUT_PATH.exec(input.path);
    if (!match || match[1] === '/..' || match[1] === '/.') throw new Error(`job input path "${input.path}" is not in/<digest>[/<name>]`);
    const target = join(root, input.path);
    if (input.content === undefined) {
      mkdirSync(target, { recursive: true });
    } else if (!existsSync(target)) {
      mkdirSync(join(target, '..'), { recursive: true });
      const temp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(temp, Buffer.from(input.content, 'base64'));
      renameSync(temp, target);
    }
  }
  return { argv: payload.argv, cwd: root };
}

/** A worker's message with its private input paths replaced by the coordinator's (messages equal a local run's). */
export function restoreSourcePaths(message: string, payload: JobPayload, root: string): string {
  let text = message;
  const byLength = [...payload.inputs].sort((a, b) => b.path.length - a.path.length);
  for (const input of byLength) text = text.split(join(root, input.path)).join(input.source);
  for (const input of byLength) text = text.split(input.path).join(input.source);
  return text;
}
