#!/usr/bin/env node
// `npm run bench:optimizer`: the GP optimiser (src/optimize, default settings) against random search with the
// same budget on Branin (50 calls) and Hartmann-6 (100 calls), over several random states, plus wall/CPU time.
// Runs the compiled code in dist/ (the npm script builds first).
// Usage: node bench/optimizer.mjs [--states 10] [--problems branin,hartmann6] [--options '{"nCandidates":10000}']
//   --problems iter8: the seed's iteration-8 strategy lab set-up instead (bench/iter8.mjs; 20 states by default):
//   node bench/optimizer.mjs --problems iter8 [--states 20] [--first-state 0] [--methods gp,random,racing,composite-3k,composite] [--jobs 2] [--iter8-store FILE]
import { BENCHMARK_PROBLEMS, median, runOptimizerBenchmark } from '../dist/optimize/index.js';
import { defaultIter8Jobs, formatIter8Table, runIter8Benchmark } from './iter8.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
if (option('--problems', '') === 'iter8') {
  // --first-state moves the window, e.g. states 20–39 to check a method on states it was not tuned on.
  const firstState = Number(option('--first-state', '0'));
  const states = Array.from({ length: Number(option('--states', '20')) }, (_, i) => firstState + i);
  const rows = await runIter8Benchmark({
    states,
    methods: option('--methods', 'gp,random,racing,composite').split(','),
    jobs: Number(option('--jobs', String(defaultIter8Jobs()))),
    storeFile: option('--iter8-store', new URL('./.cache/iter8.sqlite', import.meta.url).pathname),
    concurrentStates: Number(option('--concurrent-states', '4')),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(formatIter8Table(rows, states));
  process.exit(0);
}
const stateCount = Number(option('--states', '10'));
const problemNames = option('--problems', BENCHMARK_PROBLEMS.map((p) => p.name).join(',')).split(',');
const optimizerOptions = JSON.parse(option('--options', '{}'));
const problems = problemNames.map((name) => {
  const problem = BENCHMARK_PROBLEMS.find((p) => p.name === name);
  if (!problem) throw new Error(`unknown problem ${name}; known: ${BENCHMARK_PROBLEMS.map((p) => p.name).join(', ')}`);
  return problem;
});
const randomStates = Array.from({ length: stateCount }, (_, i) => i);

// Goals: Branin's median within 1% of its minimum; Hartmann-6's median at or below −3.2.
const goals = {
  branin: { text: '≤ 0.401866 (min +1%)', met: (m) => m <= 0.397887 * 1.01 },
  hartmann6: { text: '≤ −3.2', met: (m) => m <= -3.2 },
};

const rows = await runOptimizerBenchmark(problems, randomStates, optimizerOptions, (problem, state, best, ms) =>
  process.stderr.write(`  ${problem} state ${state}: best ${best.toFixed(6)} in ${(ms / 1000).toFixed(2)} s\n`),
);

const format = (v) => v.toFixed(6);
const seconds = (ms) => (ms / 1000).toFixed(2);
const table = [
  ['problem', 'calls', 'minimum', 'GP median', 'GP worst', 'random median', 'random worst', 'goal (median)', 'met', 'wall s med/max', 'CPU s med/max'],
  ...rows.map((r) => {
    const goal = goals[r.problem];
    const gpMedian = median(r.optimizerBest);
    return [
      r.problem,
      String(r.nCalls),
      String(r.globalMinimum),
      format(gpMedian),
      format(Math.max(...r.optimizerBest)),
      format(median(r.randomSearchBest)),
      format(Math.max(...r.randomSearchBest)),
      goal ? goal.text : '-',
      goal ? (goal.met(gpMedian) ? 'yes' : 'NO') : '-',
      `${seconds(median(r.optimizerMs))}/${seconds(Math.max(...r.optimizerMs))}`,
      `${seconds(median(r.optimizerCpuMs))}/${seconds(Math.max(...r.optimizerCpuMs))}`,
    ];
  }),
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
console.log(`GP-BO (gp_hedge, defaults${Object.keys(optimizerOptions).length ? ` + ${JSON.stringify(optimizerOptions)}` : ''}) vs random search, random states 0..${stateCount - 1}`);
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
