#!/usr/bin/env node
// `npm run bench`: whole-process wall time and peak RSS of `servesim run` on the golden baseline case G03
// (1000 requests, 8 instances, tiered KV) and on larger variants of it, to check speed and linear growth.
// Usage: node bench/simulator.mjs [--runs N] [--sizes 1000,5000,10000]
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
const sizes = option('--sizes', '1000,5000,10000').split(',').map(Number);

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
    for (let r = 0; r < runs; r++) {
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
    rows.push({ label, n, wall: median(walls), min: Math.min(...walls), rss: median(rss), peak: Math.max(...rss) });
    console.error(`done: ${label}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`servesim run — whole process, ${runs} runs each (median; min wall; median / max peak RSS)`);
console.log('case                         median s   min s   µs/request   RSS MiB (median / max)');
for (const r of rows) {
  console.log(
    `${r.label.padEnd(28)} ${r.wall.toFixed(3).padStart(8)} ${r.min.toFixed(3).padStart(7)} ${((r.wall / r.n) * 1e6).toFixed(1).padStart(12)}   ${r.rss.toFixed(1)} / ${r.peak.toFixed(1)}`,
  );
}
