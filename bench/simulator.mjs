#!/usr/bin/env node
// `npm run bench`: whole-process wall time, CPU time and peak RSS of `servesim run` on the golden baseline case G03
// (1000 requests, 8 instances, tiered KV) and on larger variants of it up to 1 000 000 requests, to check speed and
// linear growth.
// Usage: node bench/simulator.mjs [--runs N] [--sizes 1000,5000,10000,100000,1000000] [--small] [--big-runs N]
//   sizes ≥ 100 000 run --big-runs times (default 1); --small leaves them out (the 1 000 000-request row takes a few
//   minutes).
// B/request is peak RSS / requests; Δ B/request is the growth of peak RSS per added request from the previous row,
// which is what stays constant when memory grows linearly. µs CPU/request is the process's user + system time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const goldenDir = join(root, 'test', 'fixtures', 'golden');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const runs = Number(option('--runs', '7'));
const bigRuns = Number(option('--big-runs', '1'));
const defaultSizes = process.argv.includes('--small') ? '1000,5000,10000' : '1000,5000,10000,100000,1000000';
const sizes = option('--sizes', defaultSizes).split(',').map(Number);

const g03 = readFileSync(join(goldenDir, 'cases.txt'), 'utf8')
  .split('\n')
  .find((line) => line.startsWith('G03|'))
  .slice(4)
  .trim()
  .split(/\s+/);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const tmp = mkdtempSync(join(tmpdir(), 'servesim-bench-'));
const rssFile = join(tmp, 'rss');
const rows = [];
try {
  for (const n of sizes) {
    const args = n === 1000 ? g03 : [...g03, '--num-requests', String(n)];
    const walls = [];
    const rss = [];
    const cpu = [];
    const runsHere = n >= 100000 ? Math.min(runs, bigRuns) : runs;
    for (let r = 0; r < runsHere; r++) {
      const t0 = process.hrtime.bigint();
      const res = spawnSync(process.execPath, [join(root, 'bench', 'child.mjs'), ...args], {
        cwd: goldenDir,
        env: { ...process.env, SERVESIM_BENCH_RSS_FILE: rssFile },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (res.status !== 0) {
        console.error(`run failed (n=${n}): ${res.stderr}`);
        process.exit(1);
      }
      walls.push(wall);
      const [maxRssKiB, cpuMicros] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
      rss.push(maxRssKiB / 1024);
      cpu.push(cpuMicros / 1e6);
    }
    const label = n === 1000 ? 'G03 (1000 requests)' : `G03 × ${n / 1000} (${n} requests)`;
    rows.push({ label, n, runs: runsHere, wall: median(walls), min: Math.min(...walls), cpu: median(cpu), rss: median(rss), peak: Math.max(...rss) });
    console.error(`done: ${label}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`servesim run — whole process, ${runs} runs each (${bigRuns} from 100 000 requests; median; min wall; median / max peak RSS)`);
console.log('case                          runs  median s    min s   CPU s   µs CPU/request   RSS MiB (median / max)   B/request   Δ B/request');
let previous;
for (const r of rows) {
  const perRequest = (r.rss * 2 ** 20) / r.n;
  const marginal = previous === undefined ? '' : (((r.rss - previous.rss) * 2 ** 20) / (r.n - previous.n)).toFixed(0);
  console.log(
    `${r.label.padEnd(30)}${String(r.runs).padStart(4)} ${r.wall.toFixed(3).padStart(9)} ${r.min.toFixed(3).padStart(8)} ${r.cpu.toFixed(2).padStart(7)} ${((r.cpu / r.n) * 1e6).toFixed(1).padStart(16)}   ${`${r.rss.toFixed(1)} / ${r.peak.toFixed(1)}`.padEnd(22)} ${perRequest.toFixed(0).padStart(11)} ${marginal.padStart(13)}`,
  );
  previous = r;
}
