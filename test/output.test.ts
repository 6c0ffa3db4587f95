import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/cluster/simulate.js';
import { ServesimError } from '../src/errors.js';
import { evaluateFitness, parseFitnessWeights } from '../src/metrics/fitness.js';
import { metricsBlockJson, renderRunOutput } from '../src/metrics/output.js';
import { resultsFileJson } from '../src/metrics/results-file.js';
import { GOLDEN_DIR, makeConfig, makeRequest, readTraceCsv } from './support/sim-config.js';

const g24 = () => simulate(makeConfig(readTraceCsv(`${GOLDEN_DIR}workloads/one-request.csv`)));

describe('renderRunOutput', () => {
  it('writes the JSON blocks before failing on an unknown fitness key', () => {
    const chunks: string[] = [];
    expect(() =>
      renderRunOutput(g24(), { fitnessWeights: 'throughput:1,latency:2', summarizeTrace: false, traceLevel: 'none' }, (c) =>
        chunks.push(c),
      ),
    ).toThrow(ServesimError);
    expect(chunks.join('')).toBe(readFileSync(`${GOLDEN_DIR}G24.stdout.txt`, 'utf8'));
    expect(() => evaluateFitness(g24(), parseFitnessWeights('latency:2'))).toThrow(
      'Fitness evaluation failed: unknown fitness metric key "latency"; valid keys: mean_e2e, mean_ttft, p50_e2e, p50_ttft, p99_e2e, p99_ttft, throughput, tokens_per_sec',
    );
  });

  it('prints the fitness section with keys sorted and components unweighted', () => {
    let out = '';
    renderRunOutput(g24(), { fitnessWeights: 'p99_ttft:1, throughput:0.5', summarizeTrace: false, traceLevel: 'none' }, (c) => (out += c));
    const rps = 1 / 0.024455;
    const throughput = rps / (rps + 100);
    const ttft = 1 / (1 + 12434 / 1000);
    expect(out).toContain(
      `=== Fitness Evaluation ===\nScore: ${(ttft + 0.5 * throughput).toFixed(6)}\n  p99_ttft: ${ttft.toFixed(6)}\n  throughput: ${throughput.toFixed(6)}\n`,
    );
  });

  it('rejects malformed weights', () => {
    expect(() => parseFitnessWeights('throughput')).toThrow(ServesimError);
    expect(() => parseFitnessWeights('throughput:-1')).toThrow(ServesimError);
    expect(() => parseFitnessWeights('throughput:abc')).toThrow(ServesimError);
    expect([...parseFitnessWeights('throughput:1,throughput:2')]).toEqual([['throughput', 2]]);
  });

  it('prints only the header when a block value is not finite (Go cannot encode it)', () => {
    const result = g24();
    result.cluster.responses_per_sec = Infinity;
    let out = '';
    const errors: string[] = [];
    renderRunOutput(result, { summarizeTrace: false, traceLevel: 'none' }, (c) => (out += c), (e) => errors.push(e));
    expect(out).toBe('=== Simulation Metrics ===\n');
    expect(errors).toHaveLength(1);
  });

  it('omits kv_allocation_failures when 0 and prints it before preemption_count otherwise', () => {
    const block = { ...g24().cluster };
    expect(metricsBlockJson(block)).not.toContain('kv_allocation_failures');
    block.kv_allocation_failures = 3;
    expect(metricsBlockJson(block)).toContain('"scheduling_delay_p99_ms": 1.952,\n  "kv_allocation_failures": 3,\n  "preemption_count": 0');
  });

  it('prints per-instance blocks only with several instances, and only those that completed something', () => {
    const requests = [makeRequest(0, 0, 100, 3), makeRequest(1, 10, 100, 3)];
    const config = makeConfig(requests, { numInstances: 3, policies: { routing: 'always-busiest' } });
    let out = '';
    renderRunOutput(simulate(config), { summarizeTrace: false, traceLevel: 'none' }, (c) => (out += c));
    expect(out.match(/"instance_id": "[a-z_0-9]+"/g)).toEqual(['"instance_id": "instance_0"', '"instance_id": "cluster"']);
  });

  it('prints the trace summary only with decisions + summarize', () => {
    const requests = [makeRequest(0, 0, 100, 3), makeRequest(1, 10, 100, 3), makeRequest(2, 20, 100, 3)];
    const config = makeConfig(requests, {
      numInstances: 2,
      trace: { level: 'decisions', counterfactualK: 2 },
      policies: { routing: 'always-busiest' },
    });
    const result = simulate(config);
    let out = '';
    renderRunOutput(result, { summarizeTrace: true, traceLevel: 'decisions' }, (c) => (out += c));
    // always-busiest sends everything to instance_0 while instance_1 is idle: regret = load difference.
    expect(out).toContain('=== Trace Summary ===\nTotal Decisions: 3\n  Admitted: 3\n  Rejected: 0\nUnique Targets: 1\nTarget Distribution:\n  instance_0: 3\n');
    expect(result.trace!.maxRegret).toBe(2);
    expect(result.trace!.meanRegret).toBe(1);
    let quiet = '';
    renderRunOutput(result, { summarizeTrace: false, traceLevel: 'decisions' }, (c) => (quiet += c));
    expect(quiet).not.toContain('Trace Summary');
  });
});

describe('results file', () => {
  it('is the cluster block plus per-request entries with seconds/ms fields', () => {
    const parsed = JSON.parse(resultsFileJson(g24()));
    expect(parsed.instance_id).toBe('cluster');
    expect(parsed.requests).toEqual([
      {
        arrived_at: 0,
        requestID: 'request_0',
        num_prefill_tokens: 100,
        num_decode_tokens: 3,
        ttft_ms: 12.434,
        itl_ms: 13.077,
        e2e_ms: 38.588,
        scheduling_delay_ms: 1.952,
        handled_by: 'instance_0',
      },
    ]);
  });
});
