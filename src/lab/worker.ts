// piscina worker: one simulation per task. Each worker thread keeps its own resolution cache across tasks.
import { ServesimError } from '../errors.js';
import { createSimulationRunner } from './backend.js';
import type { EvalTask, WorkerReply } from './pool.js';

const runSimulation = createSimulationRunner();

export default function evaluateTask(task: EvalTask): WorkerReply {
  try {
    return { ok: true, outcome: runSimulation(task) };
  } catch (err) {
    const userError = err instanceof ServesimError;
    return {
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      exitCode: userError ? err.exitCode : 2,
      userError,
    };
  }
}
