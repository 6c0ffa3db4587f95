import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { loadWorkloadSpec, generateSpecWorkload, generateLegacyWorkload, DISTRIBUTION_FLAG_DEFAULTS } from '../src/workload/index.js';
import { goldenRow } from '../test/workload-golden-helpers.js';
const G = '/work/main/test/fixtures/golden/';
function cmp(name: string, reqs: any[]) {
  const lines = readFileSync(G + name, 'utf8').trim().split('\n').slice(1);
  const got = reqs.map(goldenRow);
  let bad = 0;
  for (let i = 0; i < Math.max(lines.length, got.length); i++) if (lines[i] !== got[i]) { if (bad++ < 3) console.log(name, i, '\n exp', lines[i], '\n got', got[i]); }
  console.log(name, 'rows', lines.length, got.length, 'mismatches', bad);
}
it('quick', () => {
  const mp = loadWorkloadSpec(G + 'workloads/mixed-production-workload.yaml');
  cmp('W-mixed-production-seed42.csv', generateSpecWorkload(mp, { seed: 42n, horizon: Infinity, maxRequests: 1000 }));
  const mt = loadWorkloadSpec(G + 'workloads/workload-multiturn.yaml');
  cmp('W-multiturn-seed42.csv', generateSpecWorkload(mt, { seed: 42n, horizon: Infinity, maxRequests: mt.numRequests }));
  const mx = loadWorkloadSpec(G + 'workloads/workload-multiprefix.yaml');
  cmp('W-multiprefix-n400-seed42.csv', generateSpecWorkload(mx, { seed: 42n, horizon: Infinity, maxRequests: 400 }));
  cmp('W-legacy-default-seed42.csv', generateLegacyWorkload({ ...DISTRIBUTION_FLAG_DEFAULTS, seed: 42n, rate: 1, numRequests: 100, horizon: Infinity, checkLengthRanges: true }));
});
