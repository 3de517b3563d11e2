/**
 * Runs {@linkcode buildTaskGroups} over many tasks on Web Workers and yields the results in task
 * order. At most `2 × workers` tasks are in flight, so memory stays bounded however many tasks
 * there are; results depend only on (task, aug, seed), so any worker count gives the same bytes.
 *
 * @module
 */
import { type ArcTaskGroups, buildTaskGroups } from "./build_task.ts";
import type { ArcTask } from "./task.ts";

/** A message to a worker. */
export interface ArcJob {
  /** Position of the task in the build order. */
  index: number;
  /** The task. */
  task: ArcTask;
  /** Wanted variants besides the original. */
  aug: number;
  /** The build seed. */
  seed: number;
}

/** A worker's reply. */
export interface ArcJobResult {
  /** Position of the task in the build order. */
  index: number;
  /** Its encoded groups (absent on failure). */
  groups?: ArcTaskGroups;
  /** What went wrong, on failure (a bug: tasks are validated before they reach a worker). */
  error?: string;
}

/**
 * Builds every task's groups, in order.
 *
 * @param tasks The tasks in build order.
 * @param opts `aug`, `seed`, and `workers` (0 runs in this thread).
 * @returns The groups of each task, in the order of `tasks`.
 * @throws {Error} When a worker fails (the remaining workers are stopped).
 *
 * @example In this thread
 * ```ts
 * import { runArcTasks } from "./pool.ts";
 * const g = { h: 1, w: 1, data: new Uint8Array([1]) };
 * const task = { name: "x", file: "x", inTestSet: false, train: [{ input: g, output: g }], test: [] };
 * for await (const r of runArcTasks([task], { aug: 0, seed: 1, workers: 0 })) {
 *   if (r.name !== "x") throw new Error();
 * }
 * ```
 */
export async function* runArcTasks(
  tasks: ArcTask[],
  opts: { aug: number; seed: number; workers: number },
): AsyncGenerator<ArcTaskGroups> {
  if (opts.workers <= 0) {
    for (const task of tasks) yield buildTaskGroups(task, opts.aug, opts.seed);
    return;
  }
  const n = Math.min(opts.workers, tasks.length);
  const workers: Worker[] = [];
  const done = new Map<number, ArcTaskGroups>();
  const waiting = new Map<
    number,
    { resolve: (g: ArcTaskGroups) => void; reject: (e: unknown) => void }
  >();
  let failure: unknown = null;
  let next = 0;
  let emitted = 0;
  const idle: Worker[] = [];
  const dispatch = (): void => {
    while (idle.length > 0 && next < tasks.length && next - emitted < 2 * n) {
      const w = idle.pop()!;
      const job: ArcJob = { index: next, task: tasks[next], aug: opts.aug, seed: opts.seed };
      next++;
      w.postMessage(job);
    }
  };
  const fail = (e: unknown): void => {
    failure ??= e;
    for (const { reject } of waiting.values()) reject(e);
    waiting.clear();
  };
  try {
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      w.onmessage = (e: MessageEvent<ArcJobResult>) => {
        const { index, groups, error } = e.data;
        if (groups === undefined) return fail(new Error(`ARC worker failed on ${error}`));
        const waiter = waiting.get(index);
        if (waiter) {
          waiting.delete(index);
          waiter.resolve(groups);
        } else done.set(index, groups);
        idle.push(w);
        dispatch();
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        fail(new Error(`ARC worker failed: ${e.message} (--workers 0 builds without workers)`));
      };
      workers.push(w);
      idle.push(w);
    }
    dispatch();
    while (emitted < tasks.length) {
      if (failure !== null) throw failure;
      let groups = done.get(emitted);
      if (groups) done.delete(emitted);
      else {
        groups = await new Promise<ArcTaskGroups>((resolve, reject) => {
          waiting.set(emitted, { resolve, reject });
        });
      }
      emitted++;
      dispatch();
      yield groups;
    }
  } finally {
    for (const w of workers) w.terminate();
  }
}
