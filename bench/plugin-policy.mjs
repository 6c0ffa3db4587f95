#!/usr/bin/env node
// `npm run bench:plugin`: in-process simulate() time of golden case G04's set-up (8 instances, slo-tiered priority,
// priority-fcfs) with the built-in slo-tiered priority vs. its plugin copy (examples/plugins/slo-tiered-copy.ts,
// wrapped by the engine's plugin guards). Runs alternate so both see the same machine state.
// Usage: node bench/plugin-policy.mjs [--runs N] [--requests N]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveRunConfig, simulate } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const goldenDir = join(root, 'test', 'fixtures', 'golden');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(option('--runs', '15'));
const requests = option('--requests', '');

const g04 = readFileSync(join(goldenDir, 'cases.txt'), 'utf8').split('\n').find((l) => l.startsWith('G04|')).slice(4).trim().split(/\s+/);
const base = requests === '' ? g04.slice(1) : [...g04.slice(1), '--num-requests', requests];
const plugin = join(root, 'examples', 'plugins', 'slo-tiered-copy.ts');
const variants = {
  'built-in slo-tiered': base,
  'plugin slo-tiered-copy': [...base.map((a) => (a === 'slo-tiered' ? 'slo-tiered-copy' : a)), '--plugin', plugin],
};
const configs = Object.fromEntries(Object.entries(variants).map(([k, argv]) => [k, resolveRunConfig(argv, { cwd: goldenDir }).sim]));
const times = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
for (let r = 0; r < runs + 2; r++) {
  for (const [k, sim] of Object.entries(configs)) {
    const t0 = process.hrtime.bigint();
    simulate(sim);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r >= 2) times[k].push(ms); // the first two rounds warm the JIT
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`in-process simulate(), G04 set-up${requests ? ` with ${requests} requests` : ''}, ${runs} alternating runs (median ms)`);
const ref = median(times['built-in slo-tiered']);
for (const [k, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(`${k.padEnd(26)} ${m.toFixed(1).padStart(8)} ms   ${(((m - ref) / ref) * 100).toFixed(1).padStart(6)} %`);
}
