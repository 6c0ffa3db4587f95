// User plugins through the real CLI: every bad plugin (unreadable, malformed, clashing, misbehaving at run time) fails
// with exit status 1, nothing on stdout and one line on stderr naming the plugin file (and the policy where there is
// one), never a stack trace; and working plugins load, bundle their imports, take parameters by flag and from a
// policy bundle, show up in --help, and are identified by the content of their sources.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlugin } from '../src/plugins/load.js';
import { runCliCaptured } from './support/cli.js';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const GOLDEN_DIR = join(REPO_ROOT, 'test', 'fixtures', 'golden');
const BIN = join(REPO_ROOT, 'bin', 'servesim');
const MODEL = ['--model', 'meta-llama/llama-3.1-8b-instruct'];
/** A short default-workload run: 20 requests at 50 req/s. */
const SMALL = [...MODEL, '--num-requests', '20', '--rate', '50'];
/** A loaded run (requests queue up, so the wait-queue order matters). */
const LOADED = [...MODEL, '--num-requests', '120', '--rate', '2000', '--scheduler', 'priority-fcfs'];

const dir = mkdtempSync(join(tmpdir(), 'servesim-plugins-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `source` to `name` under the temp dir (creating folders) and returns the absolute path. */
function writePlugin(name: string, source: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, source);
  return path;
}

/** A priority policy module in plugin source form. */
const priority = (name: string, body: string, params = '{}') =>
  `export default { axis: 'priority', name: '${name}', params: ${params}, create: ${body} };\n`;

const P = {
  missing: join(dir, 'missing.ts'),
  directory: (() => {
    mkdirSync(join(dir, 'policies'), { recursive: true });
    return join(dir, 'policies');
  })(),
  python: writePlugin('shed.py', 'def admit(req):\n    return True\n'),
  syntax: writePlugin('syntax.ts', "export default {\n  axis: 'priority',\n  name: 'broken',\n  params: {},\n  create( {\n};\n"),
  nothing: writePlugin('nothing.ts', 'export const answer = 42;\n'),
  loadThrows: writePlugin('load-throws.ts', "throw new TypeError('cannot read budgets.json');\nexport default {};\n"),
  notModule: writePlugin('not-module.ts', 'export default [42];\n'),
  badAxis: writePlugin('bad-axis.ts', "export default { axis: 'priorty', name: 'fast', params: {}, create: () => ({ compute: () => 0 }) };\n"),
  badName: writePlugin('bad-name.ts', priority('My Policy', '() => ({ compute: () => 0 })')),
  noName: writePlugin('no-name.ts', "export default { axis: 'priority', params: {}, create: () => ({ compute: () => 0 }) };\n"),
  createNotFunction: writePlugin('lazy.ts', "export default { axis: 'priority', name: 'lazy', params: {}, create: 42 };\n"),
  clash: writePlugin('clash.ts', priority('slo-tiered', '() => ({ compute: () => 0 })')),
  twinA: writePlugin('twin-a.ts', priority('twin', '() => ({ compute: () => 0 })')),
  twinB: writePlugin('twin-b.ts', priority('twin', '() => ({ compute: () => 1 })')),
  stringParam: writePlugin(
    'string-param.ts',
    priority('typed', '() => ({ compute: () => 0 })', "{ label: { type: 'string', default: 'x', help: 'a label' } }"),
  ),
  noHelp: writePlugin('no-help.ts', priority('helpless', '() => ({ compute: () => 0 })', "{ budget: { type: 'int', default: 1 } }")),
  namedFlag: writePlugin(
    'named-flag.ts',
    priority('flagged', '() => ({ compute: () => 0 })', "{ budget: { type: 'int', default: 1, help: 'b', flag: 'slo-base-critical' } }"),
  ),
  badParamName: writePlugin(
    'bad-param-name.ts',
    priority('underscored', '() => ({ compute: () => 0 })', "{ some_param: { type: 'int', default: 1, help: 'b' } }"),
  ),
  factoryThrows: writePlugin('grumpy.ts', priority('grumpy', "() => { throw new Error('no budget configured\\nsecond line'); }")),
  createReturnsNothing: writePlugin('hollow.ts', priority('hollow', '() => undefined')),
  nan: writePlugin('nan.ts', priority('nan-prio', '() => ({ compute: (req: unknown, now: number) => (now > 0 ? NaN : 1) })')),
  computeThrows: writePlugin(
    'compute-throws.ts',
    priority('boom', '() => ({ compute(req: { id: string }) { throw new RangeError(`no deadline for ${req.id}`); } })'),
  ),
  infiniteScorer: writePlugin(
    'inf-scorer.ts',
    `export default {
  axis: 'scorer',
  name: 'myscorer',
  params: {},
  create: () => ({
    score(req: unknown, cluster: { numInstances: number }, out: Float64Array) {
      for (let i = 0; i < cluster.numInstances; i++) out[i] = i === 1 ? Infinity : 0.5;
    },
  }),
};
`,
  ),
  wildRouting: writePlugin(
    'wild.ts',
    "export default { axis: 'routing', name: 'wild', params: {}, create: () => ({ lastScores: null, route: (req: unknown, cluster: { numInstances: number }) => cluster.numInstances + 3 }) };\n",
  ),
  edf: writePlugin(
    'edf.ts',
    `import type { PriorityModule } from 'servesim';

const policy: PriorityModule = {
  axis: 'priority',
  name: 'edf',
  params: { budget: { type: 'int64', default: 50000, min: 0, help: 'TTFT budget in µs' } },
  create: (p) => ({ compute: (req) => -(req.arrivalTime + (p.budget as number)) }),
};
export default policy;
`,
  ),
  bundleMissingPlugin: writePlugin('bundles/missing-plugin.yaml', 'plugins: [./gone.ts]\npriority:\n  policy: gone\n'),
};

interface BadCase {
  name: string;
  argv: string[];
  /** The exact stderr line (without newline), or a pattern for it. */
  message: string | RegExp;
  /** Substrings the line must contain: the plugin file and, where there is one, the policy. */
  names: string[];
  /** Also run through the spawned bin/servesim. */
  spawn?: boolean;
}

const CASES: BadCase[] = [
  // Loading: the file itself.
  { name: 'missing file', argv: [...SMALL, '--plugin', 'missing.ts'], message: `plugin ${P.missing}: no such file`, names: [P.missing], spawn: true },
  {
    name: 'a directory',
    argv: [...SMALL, '--plugin', 'policies'],
    message: `plugin ${P.directory}: is a directory, expected a .ts, .mts, .js or .mjs file`,
    names: [P.directory],
  },
  {
    name: 'unsupported extension',
    argv: [...SMALL, '--plugin', 'shed.py'],
    message: `plugin ${P.python}: unsupported extension ".py"; expected .ts, .mts, .js, .mjs`,
    names: [P.python],
  },
  {
    name: 'syntax error (line and column)',
    argv: [...SMALL, '--plugin', P.syntax],
    message: new RegExp(`^plugin ${escape(P.syntax)}: cannot compile: line 6, column 2: Expected "\\)" but found ";"$`),
    names: [P.syntax],
    spawn: true,
  },
  {
    name: 'exports nothing',
    argv: [...SMALL, '--plugin', P.nothing],
    message: `plugin ${P.nothing}: exports no policies; export default a policy module (or an array of them), or export const policies = [...]`,
    names: [P.nothing],
  },
  {
    name: 'throws while loading',
    argv: [...SMALL, '--plugin', P.loadThrows],
    message: `plugin ${P.loadThrows}: failed while loading: cannot read budgets.json`,
    names: [P.loadThrows],
  },
  {
    name: 'exports something that is not a module',
    argv: [...SMALL, '--plugin', P.notModule],
    message: `plugin ${P.notModule}: export #1 is not a policy module (expected {axis, name, params, create})`,
    names: [P.notModule],
  },

  // Loading: the module's shape.
  {
    name: 'bad axis',
    argv: [...SMALL, '--plugin', P.badAxis],
    message: `plugin ${P.badAxis}: policy "fast" (export #1): axis must be one of admission, routing, scorer, priority, scheduler, preemption, got "priorty"`,
    names: [P.badAxis, '"fast"'],
  },
  {
    name: 'bad name',
    argv: [...SMALL, '--plugin', P.badName],
    message: `plugin ${P.badName}: priority export #1: name must be lower-case words joined by '-', got "My Policy"`,
    names: [P.badName, '"My Policy"'],
  },
  {
    name: 'no name',
    argv: [...SMALL, '--plugin', P.noName],
    message: `plugin ${P.noName}: priority export #1: name must be lower-case words joined by '-', got undefined`,
    names: [P.noName],
  },
  {
    name: 'create is not a function',
    argv: [...SMALL, '--plugin', P.createNotFunction],
    message: `plugin ${P.createNotFunction}: priority policy "lazy": create must be a function`,
    names: [P.createNotFunction, '"lazy"'],
  },
  {
    name: 'name clashes with a built-in on the same axis',
    argv: [...SMALL, '--plugin', P.clash],
    message: `plugin ${P.clash}: priority policy "slo-tiered" clashes with a built-in of the same name`,
    names: [P.clash, '"slo-tiered"'],
  },
  {
    name: 'two plugin files define the same policy',
    argv: [...SMALL, '--plugin', P.twinA, '--plugin', P.twinB],
    message: `plugin ${P.twinB}: priority policy "twin" clashes with one from ${P.twinA} of the same name`,
    names: [P.twinA, P.twinB, '"twin"'],
  },

  // Loading: parameter declarations.
  {
    name: 'parameter of an unsupported type',
    argv: [...SMALL, '--plugin', P.stringParam],
    message: `plugin ${P.stringParam}: policy "typed", parameter "label": type must be one of int, int64, float, bool, got "string"`,
    names: [P.stringParam, '"typed"'],
  },
  {
    name: 'parameter without help',
    argv: [...SMALL, '--plugin', P.noHelp],
    message: `plugin ${P.noHelp}: policy "helpless", parameter "budget": help must be a non-empty string`,
    names: [P.noHelp, '"helpless"'],
  },
  {
    name: 'parameter naming its own flag',
    argv: [...SMALL, '--plugin', P.namedFlag],
    message: `plugin ${P.namedFlag}: policy "flagged", parameter "budget": plugins may not name flags (the flag is --flagged.budget)`,
    names: [P.namedFlag, '"flagged"'],
  },
  {
    name: 'parameter name that is not a flag word',
    argv: [...SMALL, '--plugin', P.badParamName],
    message: `plugin ${P.badParamName}: policy "underscored", parameter "some_param": parameter names must be lower-case words joined by '-', e.g. critical-budget`,
    names: [P.badParamName, '"underscored"'],
  },

  // Run time: the engine's guards around plugin code.
  {
    name: 'factory throws',
    argv: [...SMALL, '--plugin', P.factoryThrows, '--priority-policy', 'grumpy'],
    message: `${P.factoryThrows}: priority policy "grumpy" failed to start: no budget configured`,
    names: [P.factoryThrows, '"grumpy"'],
    spawn: true,
  },
  {
    name: 'factory returns no object',
    argv: [...SMALL, '--plugin', P.createReturnsNothing, '--priority-policy', 'hollow'],
    message: `${P.createReturnsNothing}: priority policy "hollow" create() returned undefined, expected an object`,
    names: [P.createReturnsNothing, '"hollow"'],
  },
  {
    name: 'priority compute returns NaN (request id and time)',
    argv: [...SMALL, '--plugin', P.nan, '--priority-policy', 'nan-prio'],
    message: `${P.nan}: priority policy "nan-prio" compute() returned NaN for request_0 at t=4797 µs; priorities must be finite numbers`,
    names: [P.nan, '"nan-prio"', 'request_0', 't=4797 µs'],
    spawn: true,
  },
  {
    name: 'priority compute throws',
    argv: [...SMALL, '--plugin', P.computeThrows, '--priority-policy', 'boom'],
    message: `${P.computeThrows}: priority policy "boom" compute() threw for request_0 at t=4797 µs: no deadline for request_0`,
    names: [P.computeThrows, '"boom"', 'request_0'],
  },
  {
    name: 'scorer returns Infinity',
    argv: [...SMALL, '--num-instances', '2', '--plugin', P.infiniteScorer, '--routing-policy', 'weighted', '--routing-scorers', 'myscorer:1'],
    message: `${P.infiniteScorer}: scorer policy "myscorer" score() gave +Inf for instance 1 for request_0 at t=0 µs; scores must be finite`,
    names: [P.infiniteScorer, '"myscorer"', 'request_0'],
    spawn: true,
  },
  {
    name: 'routing returns an instance out of range',
    argv: [...SMALL, '--num-instances', '2', '--plugin', P.wildRouting, '--routing-policy', 'wild'],
    message: `${P.wildRouting}: routing policy "wild" route() returned 5 for request_0 at t=0 µs; expected an instance index in [0, 1]`,
    names: [P.wildRouting, '"wild"', 'request_0'],
  },

  // Parameters on the command line.
  {
    name: 'parameter value outside its declared domain',
    argv: [...SMALL, '--plugin', P.edf, '--priority-policy', 'edf', '--edf.budget', '-1'],
    message: '--edf.budget must be an integer >= 0, got -1',
    names: ['--edf.budget'],
  },
  {
    name: 'unknown plugin flag',
    argv: [...SMALL, '--plugin', P.edf, '--edf.nope', '3'],
    message: `unknown flag: --edf.nope (priority policy "edf" from ${P.edf} has --edf.budget)`,
    names: [P.edf, '"edf"'],
  },
  {
    name: 'plugin flag without the plugin',
    argv: [...SMALL, '--edf.budget', '3'],
    message: 'unknown flag: --edf.budget (no loaded plugin defines a policy "edf"; load it with --plugin FILE)',
    names: ['"edf"', '--plugin'],
  },

  // A policy bundle's plugins are resolved against the bundle file.
  {
    name: "policy bundle's plugin missing",
    argv: [...SMALL, '--policy-config', P.bundleMissingPlugin],
    message: `plugin ${join(dir, 'bundles', 'gone.ts')}: no such file`,
    names: [join(dir, 'bundles', 'gone.ts')],
  },
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const cli = (argv: readonly string[], cwd = dir) => runCliCaptured(argv, cwd);

function expectOneLine(stderr: string, c: BadCase): void {
  expect(stderr.endsWith('\n'), stderr).toBe(true);
  const lines = stderr.slice(0, -1).split('\n');
  expect(lines).toHaveLength(1);
  const line = lines[0]!;
  if (typeof c.message === 'string') expect(line).toBe(c.message);
  else expect(line).toMatch(c.message);
  for (const name of c.names) expect(line).toContain(name);
  expect(line).not.toMatch(/internal error|\bat .*:\d+:\d+|Error:/);
}

describe('bad plugins fail with one line naming the plugin', () => {
  it('has at least 12 cases, at least 3 of them spawned', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
    expect(CASES.filter((c) => c.spawn).length).toBeGreaterThanOrEqual(3);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const outcome = await cli(['run', ...c.argv]);
      expectOneLine(outcome.stderr, c);
      expect(outcome.exitCode).toBe(1);
      expect(outcome.stdout).toBe('');
    });
  }

  describe('through bin/servesim (no stack trace)', () => {
    for (const c of CASES.filter((x) => x.spawn)) {
      it(c.name, () => {
        expect(existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
        const child = spawnSync(BIN, ['run', ...c.argv], { cwd: dir, encoding: 'utf8', env: { ...process.env, SERVESIM_DEBUG: '' } });
        expect(child.status).toBe(1);
        expect(child.stdout).toBe('');
        expectOneLine(child.stderr, c);
      });
    }
  });
});

describe('working plugins', () => {
  /** A priority plugin with one parameter: priority = direction · arrival time (−1 = FCFS, +1 = newest first). */
  const ORDER_SOURCE = (name: string, defaultDirection: number) => `import type { PriorityModule } from 'servesim';

const policy: PriorityModule = {
  axis: 'priority',
  name: '${name}',
  params: {
    'some-param': { type: 'float', default: ${defaultDirection}, min: -1, max: 1, help: 'direction: -1 oldest first, 1 newest first' },
  },
  create: (p) => ({ compute: (req) => (p['some-param'] as number) * req.arrivalTime }),
};
export default policy;
`;

  it('the slo-tiered plugin copy prints exactly what the built-in slo-tiered prints (golden G04)', async () => {
    const line = readFileSync(join(GOLDEN_DIR, 'cases.txt'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('G04|'))!;
    const argv = line.split('|')[1]!.trim().split(/\s+/);
    const at = argv.indexOf('--priority-policy');
    expect(argv[at + 1]).toBe('slo-tiered');
    argv[at + 1] = 'slo-tiered-copy';
    const outcome = await cli([...argv, '--plugin', join(REPO_ROOT, 'examples', 'plugins', 'slo-tiered-copy.ts')], GOLDEN_DIR);
    expect(outcome.stderr).toBe('');
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toBe(readFileSync(join(GOLDEN_DIR, 'G04.stdout.txt'), 'utf8'));
  });

  it('a plugin parameter set by flag reaches the policy and changes the result', async () => {
    const path = writePlugin('order.ts', ORDER_SOURCE('order', -1));
    const run = (...extra: string[]) => cli(['run', ...LOADED, '--plugin', path, '--priority-policy', 'order', ...extra]);
    const byDefault = await run();
    expect(byDefault.stderr).toBe('');
    expect(byDefault.exitCode).toBe(0);
    const explicitDefault = await run('--order.some-param', '-1');
    const reversed = await run('--order.some-param', '1');
    expect(reversed.exitCode).toBe(0);
    expect(explicitDefault.stdout).toBe(byDefault.stdout);
    expect(reversed.stdout).not.toBe(byDefault.stdout);
  });

  it('`run --plugin FILE --help` lists the plugin parameters under "Plugins:"', async () => {
    const outcome = await cli(['run', '--plugin', P.edf, '--help']);
    expect(outcome).toMatchObject({ exitCode: 0, stderr: '' });
    const start = outcome.stdout.indexOf('\nPlugins:\n');
    expect(start).toBeGreaterThanOrEqual(0);
    const section = outcome.stdout.slice(start + 1).split('\n\n')[0]!;
    expect(section).toMatch(/^ {2}--edf\.budget <int64>\s+TTFT budget in µs \(edf\) \(default: 50000\)$/m);
    expect(section).toMatch(/^ {2}--plugin <file>/m);
    // Without the plugin the flag is not there.
    expect((await cli(['run', '--help'])).stdout).not.toContain('--edf.budget');
  });

  it('a policy bundle loads its plugins relative to the bundle file and sets their parameters', async () => {
    const plugin = writePlugin('bundled/policies/x.ts', ORDER_SOURCE('x', -1));
    const bundle = writePlugin('bundled/policies/bundle.yaml', 'plugins: [./x.ts]\npriority:\n  policy: x\n  x.some_param: 1\n');
    // Run from another directory: ./x.ts is found next to the bundle.
    const fromBundle = await cli(['run', ...LOADED, '--policy-config', bundle], REPO_ROOT);
    expect(fromBundle.stderr).toBe('');
    expect(fromBundle.exitCode).toBe(0);
    const fromFlags = await cli(['run', ...LOADED, '--plugin', plugin, '--priority-policy', 'x', '--x.some-param', '1']);
    const pluginDefault = await cli(['run', ...LOADED, '--plugin', plugin, '--priority-policy', 'x']);
    expect(fromBundle.stdout).toBe(fromFlags.stdout);
    expect(fromBundle.stdout).not.toBe(pluginDefault.stdout);
    // An explicit flag wins over the bundle.
    const flagWins = await cli(['run', ...LOADED, '--policy-config', bundle, '--x.some-param', '-1'], REPO_ROOT);
    expect(flagWins.stdout).toBe(pluginDefault.stdout);
    // The bundle value is checked against the declared domain.
    const outOfRange = writePlugin('bundled/policies/out-of-range.yaml', 'plugins: [./x.ts]\npriority:\n  policy: x\n  x.some_param: 3\n');
    const rejected = await cli(['run', ...LOADED, '--policy-config', outOfRange]);
    expect(rejected).toEqual({ exitCode: 1, stdout: '', stderr: 'Invalid policy config: priority.x.some_param must be a value in [-1, 1], got 3\n' });
  });

  it('a plugin importing a helper from a sibling .ts file is bundled and runs', async () => {
    writePlugin('helped/direction.ts', 'export const direction = (sign: number) => (arrival: number) => sign * arrival;\n');
    const main = writePlugin(
      'helped/main.ts',
      `import { direction } from './direction';
export default {
  axis: 'priority',
  name: 'helped',
  params: {},
  create: () => {
    const f = direction(1);
    return { compute: (req: { arrivalTime: number }) => f(req.arrivalTime) };
  },
};
`,
    );
    const helped = await cli(['run', ...LOADED, '--plugin', main, '--priority-policy', 'helped']);
    expect(helped.stderr).toBe('');
    expect(helped.exitCode).toBe(0);
    const inline = writePlugin('order-newest.ts', ORDER_SOURCE('newest', 1));
    const same = await cli(['run', ...LOADED, '--plugin', inline, '--priority-policy', 'newest']);
    expect(helped.stdout).toBe(same.stdout);
  });
});

describe('plugin identity (digest of the compiled sources)', () => {
  it('changes when the plugin file is edited, and comes back with the old content', () => {
    const path = writePlugin('digest/edit.ts', ORDER_DIGEST_SOURCE(1));
    const first = loadPlugin(path).digest;
    expect(loadPlugin(path).digest).toBe(first);
    // Same size, written right away: file timestamps alone could not tell the versions apart.
    writeFileSync(path, ORDER_DIGEST_SOURCE(2));
    const second = loadPlugin(path).digest;
    expect(second).not.toBe(first);
    expect(loadPlugin(path).modules[0]!.params.weight!.default).toBe(2);
    writeFileSync(path, ORDER_DIGEST_SOURCE(1));
    expect(loadPlugin(path).digest).toBe(first);
  });

  it('changes when a file the plugin imports is edited', () => {
    const helper = writePlugin('digest/helper.ts', 'export const WEIGHT = 1;\n');
    const path = writePlugin(
      'digest/uses-helper.ts',
      `import { WEIGHT } from './helper';
export default { axis: 'priority', name: 'uses-helper', params: {}, create: () => ({ compute: () => WEIGHT }) };
`,
    );
    const before = loadPlugin(path).digest;
    writeFileSync(helper, 'export const WEIGHT = 2;\n');
    expect(loadPlugin(path).digest).not.toBe(before);
  });

  it('does not depend on the working directory of the process that loads it', () => {
    const path = writePlugin('digest/anywhere.ts', ORDER_DIGEST_SOURCE(3));
    const script = `import(${JSON.stringify(join(REPO_ROOT, 'dist', 'plugins', 'load.js'))}).then((m) => process.stdout.write(m.loadPlugin(${JSON.stringify(path)}).digest));`;
    const digests = [dir, REPO_ROOT, tmpdir()].map((cwd) => {
      const child = spawnSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8' });
      expect(child.stderr).toBe('');
      return child.stdout;
    });
    expect(digests[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(digests).size).toBe(1);
    expect(digests[0]).toBe(loadPlugin(path).digest);
  });
});

/** A one-parameter plugin whose source length does not depend on the (one-digit) default. */
function ORDER_DIGEST_SOURCE(weight: number): string {
  return `export default {
  axis: 'priority',
  name: 'weighted-age',
  params: { weight: { type: 'float', default: ${weight}, help: 'priority per µs of age' } },
  create: (p: { weight: number }) => ({ compute: (req: { arrivalTime: number }, now: number) => p.weight * (now - req.arrivalTime) }),
};
`;
}
