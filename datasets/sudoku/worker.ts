/**
 * Web Worker entry: runs {@linkcode runTask} for each message `{ id, spec }` and answers
 * `{ id, result }` (or `{ id, error }`). One solver per worker, reused across tasks.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { SudokuSolver } from "./solver.ts";
import { runTask, type TaskSpec } from "./tasks.ts";

const solver = new SudokuSolver();

self.onmessage = (e: MessageEvent<{ id: number; spec: TaskSpec }>) => {
  const { id, spec } = e.data;
  try {
    self.postMessage({ id, result: runTask(spec, solver) });
  } catch (err) {
    self.postMessage({ id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
};
