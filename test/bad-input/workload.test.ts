// Bad workload input for `servesim run`: nonsense that the reference accepts silently (min > max, unknown
// versions, negative parameters, a non-positive horizon, empty traces, …) is refused when the spec or trace is
// loaded, before any simulation, with one line on stderr naming the file (and line) or the YAML path, what was
// expected and what was given; rate fractions that do not sum to 1 only warn. Every case runs the real CLI
// in-process on files written to a temporary directory.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkloadSpec } from '../../src/workload/load-spec.js';
import { quoteText } from '../../src/show-value.js';
import { runCliCaptured } from '../support/cli.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = ['--model', 'meta-llama/llama-3.1-8b-instruct'];

const dir = mkdtempSync(join(tmpdir(), 'servesim-bad-workload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small valid spec; the line numbers in the comments are the ones the messages name.
const BASE_SPEC = [
  'version: "2"', //               1
  'seed: 7', //                    2
  'category: language', //         3
  'aggregate_rate: 50', //         4
  'num_requests: 5', //            5
  'clients:', //                   6
  '  - id: chat', //               7
  '    slo_class: standard', //    8
  '    rate_fraction: 1', //       9
  '    arrival:', //               10
  '      process: poisson', //     11
  '    input_distribution:', //    12
  '      type: gaussian', //       13
  '      params:', //              14
  '        mean: 256', //          15
  '        std_dev: 50', //        16
  '        min: 32', //            17
  '        max: 2048', //          18
  '    output_distribution:', //   19
  '      type: exponential', //    20
  '      params:', //              21
  '        mean: 64', //           22
  '',
].join('\n');

const BASE_JSON = [
  '{', //                                                    1
  '  "version": "2",', //                                    2
  '  "aggregate_rate": 50,', //                              3
  '  "num_requests": 5,', //                                 4
  '  "clients": [{"id": "chat", "rate_fraction": 1,', //     5
  '    "arrival": {"process": "poisson"},', //               6
  '    "input_distribution": {"type": "constant", "params": {"value": 100}},', // 7
  '    "output_distribution": {"type": "constant", "params": {"value": 10}}}]', // 8
  '}', //                                                    9
  '',
].join('\n');

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

/** Writes BASE (or another text) with `from` replaced by `to`; the replacement must change the text. */
function edited(name: string, from: string, to: string, base = BASE_SPEC): string {
  expect(base.includes(from), `${name}: ${JSON.stringify(from)} is not in the base text`).toBe(true);
  return write(name, base.replace(from, to));
}

const at = (name: string): string => join(dir, name);
const TRACE_PREFIX = 'Simulation failed: generating requests: ';
const SPEC_PREFIX = 'Invalid workload spec: ';
const JSON_PREFIX = 'Failed to load workload spec: parsing workload spec: invalid JSON at ';

interface ErrorCase {
  name: string;
  argv: string[];
  message: string;
}

const spec = (file: string): string[] => [...MODEL, '--workload-spec', file];
const trace = (file: string): string[] => [...MODEL, '--workload', 'traces', '--workload-traces-filepath', file];

const CASES: ErrorCase[] = [
  // Length distributions.
  {
    name: 'gaussian min > max',
    argv: spec(edited('min-gt-max.yaml', 'min: 32', 'min: 4096')),
    message: `${SPEC_PREFIX}${at('min-gt-max.yaml')}:17: clients[0].input_distribution.params.min: expected a minimum <= max (2048), got "4096"`,
  },
  {
    name: 'negative gaussian mean',
    argv: spec(edited('neg-mean.yaml', 'mean: 256', 'mean: -256')),
    message: `${SPEC_PREFIX}${at('neg-mean.yaml')}:15: clients[0].input_distribution.params.mean: expected a mean >= 0, got "-256"`,
  },
  {
    name: 'negative gaussian std_dev',
    argv: spec(edited('neg-std.yaml', 'std_dev: 50', 'std_dev: -0.5')),
    message: `${SPEC_PREFIX}${at('neg-std.yaml')}:16: clients[0].input_distribution.params.std_dev: expected a standard deviation >= 0, got "-0.5"`,
  },
  {
    name: 'negative gaussian min',
    argv: spec(edited('neg-min.yaml', 'min: 32', 'min: -1')),
    message: `${SPEC_PREFIX}${at('neg-min.yaml')}:17: clients[0].input_distribution.params.min: expected a minimum >= 0, got "-1"`,
  },
  {
    name: 'fractional token count (gaussian max)',
    argv: spec(edited('frac-max.yaml', 'max: 2048', 'max: 2048.5')),
    message: `${SPEC_PREFIX}${at('frac-max.yaml')}:18: clients[0].input_distribution.params.max: expected a whole number of tokens (a maximum >= 0), got "2048.5"`,
  },
  {
    name: 'negative exponential mean',
    argv: spec(edited('neg-exp.yaml', '        mean: 64', '        mean: -64')),
    message: `${SPEC_PREFIX}${at('neg-exp.yaml')}:22: clients[0].output_distribution.params.mean: expected a mean >= 0, got "-64"`,
  },
  {
    name: 'fractional constant token count',
    argv: spec(edited('frac-const.yaml', 'type: exponential\n      params:\n        mean: 64', 'type: constant\n      params:\n        value: 12.5')),
    message: `${SPEC_PREFIX}${at('frac-const.yaml')}:22: clients[0].output_distribution.params.value: expected a whole number of tokens (a value >= 0), got "12.5"`,
  },
  {
    name: 'misspelt parameter name',
    argv: spec(edited('typo-param.yaml', 'std_dev: 50', 'stddev: 50')),
    message: `${SPEC_PREFIX}${at('typo-param.yaml')}:16: clients[0].input_distribution.params.stddev: expected a gaussian parameter (mean, std_dev, min, max), got "stddev"`,
  },
  {
    name: 'pareto mix_weight above 1',
    argv: spec(
      edited(
        'pareto-mix.yaml',
        'type: exponential\n      params:\n        mean: 64',
        'type: pareto_lognormal\n      params: {alpha: 1.5, xm: 10, mu: 3, sigma: 0.5, mix_weight: 1.5}',
      ),
    ),
    message: `${SPEC_PREFIX}${at('pareto-mix.yaml')}:21: clients[0].output_distribution.params.mix_weight: expected a Pareto mixing probability mix_weight in [0, 1], got "1.5"`,
  },
  {
    name: 'pareto alpha 0',
    argv: spec(
      edited(
        'pareto-alpha.yaml',
        'type: exponential\n      params:\n        mean: 64',
        'type: pareto_lognormal\n      params: {alpha: 0, xm: 10, mu: 3, sigma: 0.5, mix_weight: 0.5}',
      ),
    ),
    message: `${SPEC_PREFIX}${at('pareto-alpha.yaml')}:21: clients[0].output_distribution.params.alpha: expected a Pareto shape alpha > 0, got "0"`,
  },
  {
    name: 'empirical key that is not a token count',
    argv: spec(
      edited('emp-key.yaml', 'type: exponential\n      params:\n        mean: 64', 'type: empirical\n      params:\n        "10": 0.5\n        "12.5": 0.5'),
    ),
    message: `${SPEC_PREFIX}${at('emp-key.yaml')}:23: clients[0].output_distribution.params.12.5: expected a key that is a whole number of tokens >= 0 (a "<tokens>": probability map), got "12.5"`,
  },
  {
    name: 'empirical key with a control character (escaped in the path and the value)',
    argv: spec(edited('emp-ctl.yaml', 'type: exponential\n      params:\n        mean: 64', 'type: empirical\n      params:\n        "1\\x02": 1')),
    message: `${SPEC_PREFIX}${at('emp-ctl.yaml')}:22: clients[0].output_distribution.params.1\\x02: expected a key that is a whole number of tokens >= 0 (a "<tokens>": probability map), got "1\\x02"`,
  },
  {
    name: 'empirical negative probability',
    argv: spec(edited('emp-neg.yaml', 'type: exponential\n      params:\n        mean: 64', 'type: empirical\n      params:\n        "10": 1.5\n        "20": -0.5')),
    message: `${SPEC_PREFIX}${at('emp-neg.yaml')}:23: clients[0].output_distribution.params.20: expected a probability >= 0, got "-0.5"`,
  },
  {
    name: 'empirical probabilities summing to 0',
    argv: spec(edited('emp-zero.yaml', 'type: exponential\n      params:\n        mean: 64', 'type: empirical\n      params:\n        "10": 0\n        "20": 0')),
    message: `${SPEC_PREFIX}${at('emp-zero.yaml')}:21: clients[0].output_distribution.params: expected probabilities with a positive sum, got "0"`,
  },
  {
    name: 'NaN in a reasoning distribution',
    argv: spec(
      edited(
        'nan-ratio.yaml',
        '        mean: 64\n',
        '        mean: 64\n    reasoning:\n      reason_ratio_distribution:\n        type: constant\n        params:\n          value: .nan\n',
      ),
    ),
    message: `${SPEC_PREFIX}${at('nan-ratio.yaml')}:27: clients[0].reasoning.reason_ratio_distribution.params.value: expected a finite number, got "NaN"`,
  },

  // Top level.
  {
    name: 'unsupported version',
    argv: spec(edited('version-7.yaml', 'version: "2"', 'version: "7"')),
    message: `${SPEC_PREFIX}${at('version-7.yaml')}:1: version: expected "2" (or "1" for a v1 spec, upgraded on load), got "7"`,
  },
  {
    name: 'version 2.0 (not a supported version string)',
    argv: spec(edited('version-2.0.yaml', 'version: "2"', 'version: 2.0')),
    message: `${SPEC_PREFIX}${at('version-2.0.yaml')}:1: version: expected "2" (or "1" for a v1 spec, upgraded on load), got "2.0"`,
  },
  {
    name: 'long version with a control character is escaped and shortened',
    argv: spec(edited('version-long.yaml', 'version: "2"', `version: "2\\x01${'x'.repeat(200)}"`)),
    message:
      `${SPEC_PREFIX}${at('version-long.yaml')}:1: version: expected "2" (or "1" for a v1 spec, upgraded on load), ` +
      `got "2\\x01${'x'.repeat(52)}..."`,
  },
  {
    name: 'negative horizon',
    argv: spec(edited('horizon-neg.yaml', 'num_requests: 5', 'num_requests: 5\nhorizon: -5')),
    message: `${SPEC_PREFIX}${at('horizon-neg.yaml')}:6: horizon: expected a horizon > 0 µs (leave it out for no horizon), got "-5"`,
  },
  {
    name: 'zero horizon',
    argv: spec(edited('horizon-zero.yaml', 'num_requests: 5', 'num_requests: 5\nhorizon: 0')),
    message: `${SPEC_PREFIX}${at('horizon-zero.yaml')}:6: horizon: expected a horizon > 0 µs (leave it out for no horizon), got "0"`,
  },
  {
    name: 'negative num_requests',
    argv: [...spec(edited('num-neg.yaml', 'num_requests: 5', 'num_requests: -3')), '--num-requests', '5'],
    message: `${SPEC_PREFIX}${at('num-neg.yaml')}:5: num_requests: expected a request count >= 0 (0 = no cap), got "-3"`,
  },
  {
    name: 'infinite aggregate_rate',
    argv: spec(edited('rate-inf.yaml', 'aggregate_rate: 50', 'aggregate_rate: .inf')),
    message: `${SPEC_PREFIX}${at('rate-inf.yaml')}:4: aggregate_rate: expected a finite rate > 0 (requests per second), got "Infinity"`,
  },
  {
    name: 'infinite rate_fraction',
    argv: spec(edited('fraction-inf.yaml', 'rate_fraction: 1', 'rate_fraction: .inf')),
    message: `${SPEC_PREFIX}${at('fraction-inf.yaml')}:9: clients[0].rate_fraction: expected a finite number > 0, got "Infinity"`,
  },

  // Client extras.
  {
    name: 'lifecycle window that ends before it starts',
    argv: spec(edited('window.yaml', '        mean: 64\n', '        mean: 64\n    lifecycle:\n      windows:\n        - start_us: 5000\n          end_us: 1000\n')),
    message: `${SPEC_PREFIX}${at('window.yaml')}:26: clients[0].lifecycle.windows[0].end_us: expected an end time > start_us (5000), got "1000"`,
  },
  {
    name: 'lifecycle window with a negative start',
    argv: spec(edited('window-neg.yaml', '        mean: 64\n', '        mean: 64\n    lifecycle:\n      windows: [{start_us: -10, end_us: 1000}]\n')),
    message: `${SPEC_PREFIX}${at('window-neg.yaml')}:24: clients[0].lifecycle.windows[0].start_us: expected a start time >= 0 µs, got "-10"`,
  },
  {
    name: 'negative multi-turn think time',
    argv: spec(
      edited(
        'think.yaml',
        '        mean: 64\n',
        '        mean: 64\n    reasoning:\n      multi_turn:\n        max_rounds: 3\n        think_time_us: -100\n',
      ),
    ),
    message: `${SPEC_PREFIX}${at('think.yaml')}:26: clients[0].reasoning.multi_turn.think_time_us: expected a think time >= 0 µs, got "-100"`,
  },
  {
    name: 'negative network round-trip time',
    argv: spec(edited('rtt.yaml', '        mean: 64\n', '        mean: 64\n    network:\n      rtt_ms: -3\n')),
    message: `${SPEC_PREFIX}${at('rtt.yaml')}:24: clients[0].network.rtt_ms: expected a finite round-trip time >= 0 ms, got "-3"`,
  },

  // JSON specs: syntax errors in JSON terms.
  {
    name: 'JSON: missing comma',
    argv: spec(edited('missing-comma.json', '"num_requests": 5,', '"num_requests": 5', BASE_JSON)),
    message: `${JSON_PREFIX}line 5, column 3 of ${at('missing-comma.json')}: expected a comma or closing brace`,
  },
  {
    name: 'JSON: trailing comma',
    argv: spec(edited('trailing-comma.json', '"params": {"value": 10}}', '"params": {"value": 10,}}', BASE_JSON)),
    message: `${JSON_PREFIX}line 8, column 72 of ${at('trailing-comma.json')}: a trailing comma is not allowed in JSON`,
  },
  {
    name: 'JSON: NaN',
    argv: spec(edited('nan.json', '"aggregate_rate": 50', '"aggregate_rate": NaN', BASE_JSON)),
    message: `${JSON_PREFIX}line 3, column 21 of ${at('nan.json')}: NaN and Infinity are not JSON: use a finite number`,
  },
  {
    name: 'JSON: duplicate key',
    argv: spec(edited('dup.json', '"num_requests": 5,', '"num_requests": 5, "version": "2",', BASE_JSON)),
    message: `${JSON_PREFIX}line 4, column 22 of ${at('dup.json')}: duplicate key "version" (first at line 2, column 3)`,
  },
  {
    name: 'JSON: unbalanced quote, in a file without the .json extension',
    argv: spec(edited('unterminated.spec', '"id": "chat"', '"id": "chat', BASE_JSON)),
    message: `${JSON_PREFIX}line 5, column 30 of ${at('unterminated.spec')}: unexpected "rate_fraction", which is not a JSON value (strings and keys need double quotes)`,
  },
  {
    name: 'JSON: unclosed object in a .yaml file that starts with "{"',
    argv: spec(write('unclosed.yaml', BASE_JSON.trimEnd().slice(0, -1))),
    message: `${JSON_PREFIX}line 9, column 1 of ${at('unclosed.yaml')}: the file ends inside an object: expected a comma or closing brace`,
  },
  {
    name: 'JSON: unterminated string',
    argv: spec(edited('open-string.json', '"version": "2",', '"version": "2,', BASE_JSON)),
    message: `${JSON_PREFIX}line 2, column 14 of ${at('open-string.json')}: the string is not closed: its closing double quote is missing (JSON strings cannot span lines)`,
  },
  {
    name: 'JSON: comments',
    argv: spec(edited('comment.json', '"version": "2",', '"version": "2", // spec v2', BASE_JSON)),
    message: `${JSON_PREFIX}line 2, column 19 of ${at('comment.json')}: comments are not allowed in JSON`,
  },
  {
    name: 'JSON: a .json file holding YAML',
    argv: spec(write('yaml-inside.json', BASE_SPEC)),
    message: `${JSON_PREFIX}line 1, column 1 of ${at('yaml-inside.json')}: unexpected "version", which is not a JSON value (strings and keys need double quotes)`,
  },

  // CSV traces.
  {
    name: 'trace: negative arrival time',
    argv: trace(write('negative.csv', 'arrival,a,b,in,out\n0,x,y,[1],[2]\n-1.5,x,y,[1],[2]\n')),
    message: `${TRACE_PREFIX}${at('negative.csv')}:3: row 1: column 0 (arrival time): expected a number of seconds >= 0, got "-1.5"`,
  },
  {
    name: 'trace: empty file',
    argv: trace(write('empty.csv', '')),
    message: `${TRACE_PREFIX}${at('empty.csv')}: expected a header row and request rows (arrival_s, -, -, input tokens, output tokens), got an empty file`,
  },
  {
    name: 'trace: header only',
    argv: trace(write('header-only.csv', '\narrival,a,b,in,out\n\n')),
    message: `${TRACE_PREFIX}${at('header-only.csv')}:2: expected request rows after the header row, got none (the file has only a header)`,
  },
];

const runInProcess = (argv: readonly string[]) => runCliCaptured(['run', ...argv], dir);

describe('nonsense workload input is refused on load with one clear line and exit status 1', () => {
  it('has a corpus of at least 25 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(25));

  for (const c of CASES) {
    it(c.name, async () => {
      const outcome = await runInProcess(c.argv);
      expect(outcome.stderr).toBe(`${c.message}\n`);
      expect(outcome.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(outcome.exitCode).toBe(1);
      expect(outcome.stdout).toBe('');
    });
  }

  it('shown values: quoted, non-printable characters escaped, at most 60 characters between the quotes', () => {
    expect(quoteText('plain "q" \\ é 🙂')).toBe('"plain \\"q\\" \\\\ é 🙂"');
    expect(quoteText('\x00\t\x7f\u0085\u200b\ufeff\ud800\u2028')).toBe('"\\x00\\t\\x7f\\u0085\\u200b\\ufeff\\ud800\\u2028"');
    expect(quoteText('y'.repeat(60))).toBe(`"${'y'.repeat(60)}"`);
    expect(quoteText('y'.repeat(61))).toBe(`"${'y'.repeat(57)}..."`);
    // An escape is never cut in half.
    expect(quoteText(`${'y'.repeat(55)}\x01zzzzzz`)).toBe(`"${'y'.repeat(55)}..."`);
  });

  it('shown values are shortened to 60 characters', () => {
    const shown = /got (".*")$/.exec(CASES.find((c) => c.name.startsWith('long version'))!.message)![1]!;
    expect(shown.length - 2).toBe(60);
  });
});

describe('rate fractions that do not sum to 1', () => {
  const twoClients = BASE_SPEC.replace('num_requests: 5', 'num_requests: 3') + BASE_SPEC.split('clients:\n')[1]!.replace('id: chat', 'id: chat-2').replace('rate_fraction: 1', 'rate_fraction: 0.5');

  it('are normalised as in the reference, with a warning naming the sum', async () => {
    const name = write('fractions.yaml', twoClients);
    const outcome = await runInProcess(spec(name));
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stderr).toBe(
      `warning: workload spec ${at(name)}: the clients' rate_fraction values sum to 1.5, not 1; ` +
        'they are normalised (each client gets rate_fraction / 1.5 of aggregate_rate)\n',
    );
    expect(outcome.stdout).toMatch(/^=== Simulation Metrics ===/);
    // Normalisation is unchanged: the same clients with fractions 2/3 and 1/3 give the same output, silently.
    const normalised = await runInProcess(
      spec(write('fractions-normalised.yaml', twoClients.replace('rate_fraction: 1\n', 'rate_fraction: 0.6666666666666666\n').replace('rate_fraction: 0.5', 'rate_fraction: 0.3333333333333333'))),
    );
    expect(normalised).toEqual({ exitCode: 0, stdout: outcome.stdout, stderr: '' });
  });
});

describe('valid specs are untouched', () => {
  const files = [
    ...readdirSync(join(REPO_ROOT, 'presets', 'workloads')).map((f) => join(REPO_ROOT, 'presets', 'workloads', f)),
    ...readdirSync(join(REPO_ROOT, 'test', 'fixtures', 'golden', 'workloads'))
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => join(REPO_ROOT, 'test', 'fixtures', 'golden', 'workloads', f)),
  ];
  it.each(files)('%s loads without errors or warnings', (file) => {
    const warnings: string[] = [];
    expect(() => loadWorkloadSpec(file, { onWarning: (w) => warnings.push(w) })).not.toThrow();
    expect(warnings).toEqual([]);
  });

  it('a YAML flow mapping that is not JSON still loads (only a *.json file must be strict JSON)', async () => {
    const flow = `{version: "2", aggregate_rate: 50, num_requests: 5, clients: [{id: chat, rate_fraction: 1, arrival: {process: poisson},
  input_distribution: {type: constant, params: {value: 100}}, output_distribution: {type: constant, params: {value: 10}},}]}
`;
    const outcome = await runInProcess(spec(write('flow.yaml', flow)));
    expect([outcome.exitCode, outcome.stderr]).toEqual([0, '']);
    expect((await runInProcess(spec(write('flow.json', flow)))).stderr).toBe(
      `${JSON_PREFIX}line 1, column 2 of ${at('flow.json')}: unexpected "version", which is not a JSON value (strings and keys need double quotes)\n`,
    );
  });

  it('odd but meaningful values stay accepted (a mean outside [min, max], a prefix longer than the input, an exponential mean of 0)', async () => {
    const text = BASE_SPEC.replace('mean: 256', 'mean: 4000')
      .replace('    arrival:', '    prefix_group: sys\n    prefix_length: 3000\n    arrival:')
      .replace('        mean: 64', '        mean: 0');
    const outcome = await runInProcess(spec(write('odd-but-valid.yaml', text)));
    expect(outcome.stderr).toBe('');
    expect(outcome.exitCode).toBe(0);
  });
});
