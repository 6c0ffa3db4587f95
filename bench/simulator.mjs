#!/usr/bin/env node
// `npm run bench`: whole-process wall time and peak RSS of `servesim run` on the golden baseline case G03
// (1000 requests, 8 instances, tiered KV) and on larger variants of it, to check speed and linear growth.
// Usage: node bench/simulator.mjs [--runs N] [--sizes 1000,5000,10000] [--big] [--big-runs N]
//   --big adds 100 000 and 1 000 000 requests (CPU ≈ 30 s and ≈ 7 min, ≈ 1 GiB and ≈ 7 GiB peak RSS, so not in the
//   default run; sizes ≥ 100 000 run --big-runs times, default 1).
// B/request is peak RSS / requests; Δ B/request is the growth of peak RSS per added request from the previous row,
// which is what stays constant when memory grows linearly.
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
const sizes = option('--sizes', '1000,5000,10000').split(',').map(Number);
if (process.argv.includes('--big')) for (const n of [100000, 1000000]) if (!sizes.includes(n)) sizes.push(n);

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
      rss.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
    }
    const label = n === 1000 ? 'G03 (1000 requests)' : `G03 × ${n / 1000} (${n} requests)`;
    rows.push({ label, n, runs: runsHere, wall: median(walls), min: Math.min(...walls), rss: median(rss), peak: Math.max(...rss) });
    console.error(`done: ${label}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`servesim run — whole process, ${runs} runs each (${bigRuns} from 100 000 requests; median; min wall; median / max peak RSS)`);
console.log('case                          runs  median s    min s   µs/request   RSS MiB (median / max)   B/request   Δ B/request');
let previous;
for (const r of rows) {
  const perRequest = (r.rss * 2 ** 20) / r.n;
  const marginal = previous === undefined ? '' : (((r.rss - previous.rss) * 2 ** 20) / (r.n - previous.n)).toFixed(0);
  console.log(
    `${r.label.padEnd(30)}${String(r.runs).padStart(4)} ${r.wall.toFixed(3).padStart(9)} ${r.min.toFixed(3).padStart(8)} ${((r.wall / r.n) * 1e6).toFixed(1).padStart(12)}   ${`${r.rss.toFixed(1)} / ${r.peak.toFixed(1)}`.padEnd(22)} ${perRequest.toFixed(0).padStart(11)} ${marginal.padStart(13)}`,
  );
  previous = r;
}
