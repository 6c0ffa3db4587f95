// The adversarial corpus for `run`: every bad value, file and resource request is refused before any work with one
// line on stderr (the flag or file, the expected domain, the given value), exit status 1, nothing on stdout, no stack
// trace — and no file created or changed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'servesim-bad-run-'));
writeFileSync(join(dir, 'README'), readFileSync(join(ROOT, 'README.md')));
writeFileSync(join(dir, 'norows.yaml'), 'foo: 1\n');
writeFileSync(join(dir, 'afile'), 'x');
mkdirSync(join(dir, 'adir'));

/** Names, sizes and modification times of everything under `dir`: must not change. */
function snapshot(): string {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((name) => {
      const s = statSync(join(dir, name));
      return `${name}:${s.size}:${s.mtimeMs}`;
    })
    .join('\n');
}

const run = (argv: readonly string[]) => runCliCaptured(['run', '--model', 'meta-llama/llama-3.1-8b-instruct', ...argv], dir);

const CASES: Array<[string, string[], string | RegExp]> = [
  ["num-requests negative", ["--num-requests", "-5"], `--num-requests must be an integer >= 0, got -5`],
  ["horizon negative", ["--horizon", "-1"], `--horizon must be an integer > 0, got -1`],
  ["slo-base-critical NaN", ["--slo-base-critical", "NaN"], `--slo-base-critical must be a finite value, got NaN`],
  ["slo-age-weight NaN", ["--slo-age-weight", "NaN"], `--slo-age-weight must be a finite value >= 0, got NaN`],
  ["admission-latency negative", ["--admission-latency", "-100"], `--admission-latency must be an integer >= 0, got -100`],
  ["admission-latency hugely negative", ["--admission-latency", "-100000000", "--num-requests", "5"], `--admission-latency must be an integer >= 0, got -100000000`],
  ["slo-gated-threshold negative", ["--slo-gated-threshold", "-1"], `--slo-gated-threshold must be a finite value >= 0, got -1`],
  ["load-adaptive low above high", ["--priority-policy", "load-adaptive", "--load-adaptive-low", "20", "--load-adaptive-high", "2"], `--load-adaptive-low (20) must be <= --load-adaptive-high (2)`],
  ["tiered-load-shed thresholds inverted", ["--admission-policy", "tiered-load-shed", "--tiered-shed-sheddable", "40", "--tiered-shed-standard", "10"], `--tiered-shed-sheddable (40) must be <= --tiered-shed-standard (10)`],
  ["fitness weight not a number", ["--fitness-weights", "throughput:x"], `Invalid fitness weights: weight for "throughput" must be a finite non-negative number, got "x"`],
  ["fitness key unknown", ["--fitness-weights", "latency:1"], `Fitness evaluation failed: unknown fitness metric key "latency"; valid keys: mean_e2e, mean_ttft, p50_e2e, p50_ttft, p99_e2e, p99_ttft, throughput, tokens_per_sec`],
  ["token-bucket capacity zero", ["--token-bucket-capacity", "0"], `--token-bucket-capacity must be a finite value > 0, got 0`],
  ["token-bucket refill -Inf", ["--token-bucket-refill-rate", "-Inf"], `--token-bucket-refill-rate must be a finite value > 0, got -Inf`],
  ["kv-offload-threshold above 1", ["--kv-offload-threshold", "2"], `--kv-offload-threshold must be a value in [0, 1], got 2`],
  ["max-num-scheduled-tokens zero", ["--max-num-scheduled-tokens", "0"], `--max-num-scheduled-tokens must be an integer > 0, got 0`],
  ["prompt-tokens-min negative", ["--prompt-tokens-min", "-1"], `--prompt-tokens-min must be an integer >= 0, got -1`],
  ["rate NaN", ["--rate", "NaN"], `--rate must be a finite value > 0, got NaN`],
  ["seed not an integer", ["--seed", "abc"], `invalid argument "abc" for "--seed" flag: expected an integer (int64)`],
  ["slo-scorer-bias above 1", ["--slo-scorer-bias-critical", "1.5"], `--slo-scorer-bias-critical must be a value in [0, 1], got 1.5`],
  ["snapshot-refresh-interval negative", ["--snapshot-refresh-interval", "-1"], `--snapshot-refresh-interval must be an integer >= 0, got -1`],
  ["slo-prefill-critical negative", ["--slo-prefill-critical", "-1"], `--slo-prefill-critical must be an integer >= 0, got -1`],
  ["counterfactual-k negative", ["--counterfactual-k", "-1"], `--counterfactual-k must be an integer >= 0, got -1`],
  ["block size fractional", ["--block-size-in-tokens", "1.5"], `invalid argument "1.5" for "--block-size-in-tokens" flag: expected an integer (int64)`],
  ["tp negative", ["--tp", "-2"], `--tp must be an integer >= 0, got -2`],
  ["tp without a coefficient row", ["--tp", "3"], /^no\ coefficients\ for\ model=meta\-llama\/llama\-3\.1\-8b\-instruct\ on\ GPU=H100,\ TP=3,\ vLLM\ vllm\/vllm\-openai:v0\.8\.4 in .*defaults\.yaml \(rows for this model, GPU\/TP\/vLLM: .*H100\/TP2.*\); pass --alpha-coeffs and --beta-coeffs, or roofline inputs/],
  ["hardware unknown", ["--hardware", "Z9000"], /^no\ coefficients\ for\ model=meta\-llama\/llama\-3\.1\-8b\-instruct\ on\ GPU=Z9000,\ TP=2,\ vLLM\ vllm\/vllm\-openai:v0\.8\.4 in .*defaults\.yaml \(rows for this model, GPU\/TP\/vLLM: .*H100\/TP2.*\); pass --alpha-coeffs and --beta-coeffs, or roofline inputs/],
  ["num-instances beyond memory", ["--num-instances", "1000000", "--num-requests", "10"], /^--num-instances 1000000 would need about 38\.1 GiB for the instances alone \(≈ 40 KiB each\); this machine can give [\d.]+ [GM]iB$/],
  ["preemption policy unknown", ["--preemption-policy", "oldest"], `Unknown preemption policy "oldest". Valid: batch-tail, lowest-priority`],
  ["trace level unknown", ["--trace-level", "verbose"], `Unknown trace level "verbose". Valid: none, decisions`],
  ["log level unknown", ["--log", "shout"], `Invalid log level: shout`],
  ["misspelt flag", ["--num-request", "5"], `unknown flag: --num-request (did you mean --num-requests?)`],
  ["stray word", ["5"], `unexpected argument "5": run takes only flags`],
  ["defaults file is not YAML", ["--defaults-filepath", "README"], `Failed to parse defaults file ${dir}/README: not valid YAML (Implicit keys need to be on a single line at line 3, column 1:)`],
  ["defaults file is a directory", ["--defaults-filepath", "adir"], `Failed to read defaults file: ${dir}/adir is a directory, expected a YAML file`],
  ["defaults file without coefficient rows", ["--defaults-filepath", "norows.yaml"], `${dir}/norows.yaml holds no coefficient rows (no "models:" list): is it a defaults file?; pass --alpha-coeffs and --beta-coeffs, or roofline inputs (--model-config-folder, --hardware-config, --hardware, --tp)`],
  ["policy config is a directory", ["--policy-config", "adir"], `Failed to load policy config: ${dir}/adir is a directory, expected a YAML file`],
  ["policy config missing", ["--policy-config", "nope.yaml"], `Failed to load policy config: open ${dir}/nope.yaml: no such file or directory`],
  ["results path in a missing directory", ["--results-path", "missing/r.json"], `--results-path ${dir}/missing/r.json: directory ${dir}/missing does not exist`],
  ["results path is a directory", ["--results-path", "adir"], `--results-path ${dir}/adir: is a directory, expected a file path`],
  ["results path under a file", ["--results-path", "afile/r.json"], `--results-path ${dir}/afile/r.json: ${dir}/afile is not a directory`],
];

describe('run refuses bad input before any work', () => {
  it.each(CASES)('%s', async (_name, argv, expected) => {
    const before = snapshot();
    const { exitCode: code, stdout, stderr } = await run(argv);
    expect(stdout).toBe('');
    expect(code).toBe(1);
    expect(stderr.endsWith('\n')).toBe(true);
    const lines = stderr.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1);
    if (typeof expected === 'string') expect(lines[0]).toBe(expected);
    else expect(lines[0]).toMatch(expected);
    expect(stderr).not.toMatch(/\n\s+at |internal error/);
    expect(snapshot()).toBe(before);
  });

  it('shortens a 100 000-character value and escapes binary bytes', async () => {
    const huge = await run(['--rate', 'x'.repeat(100_000)]);
    expect(huge.exitCode).toBe(1);
    expect(huge.stderr).toBe(`invalid argument "${'x'.repeat(57)}..." for "--rate" flag: expected a number (float64)\n`);
    const binary = await run(['--priority-policy', 'evil\x07\x1b[31m\u0000']);
    expect(binary.stderr).toBe('Unknown priority policy "evil\\a\\x1b[31m\\x00". Valid: constant, inverted-slo, load-adaptive, slo-based, slo-tiered\n');
    // eslint-disable-next-line no-control-regex
    expect(binary.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    const longFlag = await run([`--${'y'.repeat(5000)}`, '1']);
    expect(longFlag.stderr.length).toBeLessThanOrEqual(1001);
    expect(longFlag.stderr).toMatch(/^unknown flag: --y+\.\.\.\n$/);
  });
});
