#!/usr/bin/env node
// `npm run bench:moo`: servesim's multi-objective optimiser (ParetoOptimizer: GP per objective + exact EHVI,
// default settings) against NSGA-II (population 20, SBX + polynomial mutation) and random search on ZDT1, ZDT2
// (2 objectives, 6 dimensions) and DTLZ2 (3 objectives, 6 dimensions), 100 evaluations each including the initial
// design, median hypervolume of all evaluations with reference 1.1 per objective; then constrained EI against the
// penalty method (the single-objective Optimizer on objective + 100 × violation) on Gardner et al. 2014's two simulations.
// Runs the compiled code in dist/ (the npm script builds first).
// Usage: node bench/moo.mjs [--states 10] [--problems zdt1,zdt2,dtlz2] [--calls 100] [--no-constrained]
import {
  CONSTRAINED_PROBLEMS,
  constrainedSummary,
  MULTI_OBJECTIVE_PROBLEMS,
  median,
  runConstrained,
  runMultiObjective,
} from '../dist/optimize/index.js';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const stateCount = Number(option('--states', '10'));
const nCalls = Number(option('--calls', '100'));
const problemNames = option('--problems', MULTI_OBJECTIVE_PROBLEMS.map((p) => p.name).join(',')).split(',');
const problems = problemNames.map((name) => {
  const problem = MULTI_OBJECTIVE_PROBLEMS.find((p) => p.name === name);
  if (!problem) throw new Error(`unknown problem ${name}; known: ${MULTI_OBJECTIVE_PROBLEMS.map((p) => p.name).join(', ')}`);
  return problem;
});
const randomStates = Array.from({ length: stateCount }, (_, i) => i);
const methods = ['servesim-ehvi', 'nsga2', 'random'];
const goals = { zdt1: 0.8, zdt2: 0.45, dtlz2: 0.65 };

function printTable(title, table) {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  console.log(title);
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log('');
}

const seconds = (ms) => (ms / 1000).toFixed(2);
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const rows = [['problem', 'evals', 'true HV', 'goal', 'servesim median', 'met', 'NSGA-II median', 'random median', 'servesim min/max', 'servesim wall s med/max', 'CPU s med']];
for (const problem of problems) {
  const results = {};
  for (const method of methods) {
    results[method] = [];
    for (const randomState of randomStates) {
      const cpuBefore = cpuNow();
      const run = await runMultiObjective(problem, method, nCalls, randomState);
      run.cpuMs = cpuNow() - cpuBefore;
      results[method].push(run);
      if (method === 'servesim-ehvi') {
        process.stderr.write(`  ${problem.name} ${method} state ${randomState}: HV ${run.hypervolume.toFixed(4)} in ${seconds(run.ms)} s\n`);
      }
    }
  }
  const hv = (method) => results[method].map((r) => r.hypervolume);
  const ours = hv('servesim-ehvi');
  const goal = goals[problem.name];
  rows.push([
    problem.name,
    String(nCalls),
    problem.trueHypervolume.toFixed(3),
    goal === undefined ? '-' : `≥ ${goal.toFixed(2)}`,
    median(ours).toFixed(3),
    goal === undefined ? '-' : median(ours) >= goal ? 'yes' : 'NO',
    median(hv('nsga2')).toFixed(3),
    median(hv('random')).toFixed(3),
    `${Math.min(...ours).toFixed(3)}/${Math.max(...ours).toFixed(3)}`,
    `${seconds(median(results['servesim-ehvi'].map((r) => r.ms)))}/${seconds(Math.max(...results['servesim-ehvi'].map((r) => r.ms)))}`,
    seconds(median(results['servesim-ehvi'].map((r) => r.cpuMs))),
  ]);
}
printTable(
  `Hypervolume (reference 1.1 per objective) after ${nCalls} evaluations, median over random states 0..${stateCount - 1}: servesim (GP + exact EHVI) vs NSGA-II (population 20) vs random search`,
  rows,
);

if (!process.argv.includes('--no-constrained')) {
  for (const problem of CONSTRAINED_PROBLEMS) {
    // "At equal quality": per random state, the infeasible evaluations each method spent before its first feasible
    // point as good as the penalty method's final best (all of them if it never gets there).
    const runs = {};
    for (const method of ['constrained-ei', 'penalty']) {
      runs[method] = [];
      for (const randomState of randomStates) runs[method].push(await runConstrained(problem, method, randomState));
    }
    const penaltyBest = runs.penalty.map((run) => constrainedSummary(run).bestFeasible);
    const constrainedRows = [
      ['method', 'evals', 'infeasible median (min/max)', 'infeasible until penalty\'s best, median', 'reached it', 'best feasible median', 'worst', 'optimum', 'wall s median'],
    ];
    for (const method of ['constrained-ei', 'penalty']) {
      const summaries = runs[method].map((run, i) => constrainedSummary(run, penaltyBest[i]));
      const infeasible = summaries.map((s) => s.infeasible);
      const best = summaries.map((s) => s.bestFeasible);
      constrainedRows.push([
        method === 'penalty' ? 'penalty (Optimizer, f + 100·violation)' : 'constrained EI (ParetoOptimizer)',
        String(problem.nCalls),
        `${median(infeasible)} (${Math.min(...infeasible)}/${Math.max(...infeasible)})`,
        String(median(summaries.map((s) => s.infeasibleBeforeQuality))),
        `${summaries.filter((s) => s.reached).length}/${summaries.length}`,
        median(best).toFixed(4),
        Math.max(...best).toFixed(4),
        problem.optimum.toFixed(4),
        seconds(median(runs[method].map((r) => r.ms))),
      ]);
    }
    printTable(`Constrained single objective: ${problem.name} (${problem.description}), random states 0..${stateCount - 1}`, constrainedRows);
  }
}
