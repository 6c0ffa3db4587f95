// Small real lab inputs for the report and dashboard tests: strategies on the preset mixed-production workload cut to
// 300 requests on 4 instances (a simulation takes ~0.1 s), a three-row ledger and a three-parameter optimisation.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKLOAD = fileURLToPath(new URL('../../presets/workloads/mixed-production.yaml', import.meta.url));

const COMMON = ['--model meta-llama/llama-3.1-8b-instruct', '--num-instances 4', '--num-requests 300', '--routing-policy weighted'];

function strategy(name: string, seeds: string, args: readonly string[], extra = ''): string {
  return [
    `name: ${name}`,
    `workload_spec: ${WORKLOAD}`,
    `seeds: ${seeds}`,
    'fixed_args:',
    ...[...COMMON, ...args].map((a) => `  - ${a}`),
    'objective: {metric: critical_ttft_p99_ms, direction: minimize}',
    extra,
  ].join('\n');
}

/** A temp directory with base.yaml, tiered.yaml, opt.yaml and ledger.yaml. */
export function writeReportFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'servesim-report-'));
  writeFileSync(join(dir, 'base.yaml'), strategy('base', '42,43,44', ['--routing-scorers prefix-affinity:3,queue-depth:2,kv-utilization:2', '--scheduler fcfs', '--priority-policy constant']));
  writeFileSync(
    join(dir, 'tiered.yaml'),
    strategy('tiered', '42,43,44', ['--routing-scorers prefix-affinity:3,slo-priority:2,queue-depth:2', '--scheduler priority-fcfs', '--priority-policy slo-tiered', '--slo-priority-bridge']),
  );
  writeFileSync(
    join(dir, 'opt.yaml'),
    strategy(
      'opt-small',
      '42,43',
      ['--scheduler priority-fcfs', '--priority-policy slo-tiered', '--slo-priority-bridge'],
      [
        'initial_points: defaults',
        'parameters:',
        '  - {name: base_critical, flag: --slo-base-critical, type: real, low: 5, high: 20, default: 10}',
        '  - {name: tokens, flag: --max-num-scheduled-tokens, type: integer, low: 512, high: 4096, default: 2048}',
        '  - name: scorers',
        '    flag: --routing-scorers',
        '    type: categorical',
        '    categories:',
        '      - prefix-affinity:3,slo-priority:1,queue-depth:2',
        '      - prefix-affinity:3,queue-depth:2,kv-utilization:2',
        '    default: prefix-affinity:3,slo-priority:1,queue-depth:2',
      ].join('\n'),
    ),
  );
  writeFileSync(
    join(dir, 'ledger.yaml'),
    [
      'title: Small ledger',
      'seeds: 42,43,44',
      'baseline: "0"',
      'entries:',
      '  - {id: "0", name: Baseline, strategy: base.yaml, mechanism: FCFS}',
      '  - {id: "1", name: SLO-tiered, strategy: tiered.yaml, mechanism: slo-tiered priority, seed_ledger: {critical_ttft_p99_ms_delta_pct: -40}}',
      '  - {id: "1-42", name: SLO-tiered on one seed, strategy: tiered.yaml, seeds: 42, mechanism: the same on seed 42}',
    ].join('\n'),
  );
  return dir;
}
