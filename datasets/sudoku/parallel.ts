/**
 * Runs generation tasks on Web Workers and hands results back strictly in task order, so what a
 * consumer sees (and therefore the dataset) does not depend on the number of workers or on which
 * finished first. With zero workers everything runs inline on the calling thread.
 *
 * @module
 */
import type { SudokuCsvRow } from "./csv.ts";
import { SudokuSolver } from "./solver.ts";
import { runTask, type TaskSpec } from "./tasks.ts";

/** Tasks dispatched ahead of the consumer, per worker, bounding buffered results. */
const AHEAD_PER_WORKER = 3;

type Reply = { id: number; result?: SudokuCsvRow[]; error?: string };

/**
 * Ordered task execution over a fixed number of workers. Idle workers are kept between
 * {@linkcode TaskRunner.run} calls; call {@linkcode TaskRunner.close} when done.
 *
 * @example Inline, in order
 * ```ts
 * import { TaskRunner } from "./parallel.ts";
 * const runner = new TaskRunner(0);
 * const seen: number[] = [];
 * await runner.run(
 *   (index) => ({ kind: "easy", seed: 0, split: "train", index, minRating: 0 }),
 *   (_rows, index) => seen.push(index) >= 2,
 * );
 * runner.close();
 * if (seen.join() !== "0,1") throw new Error();
 * ```
 */
export class TaskRunner {
  readonly #count: number;
  readonly #signal: AbortSignal | undefined;
  readonly #solver = new SudokuSolver();
  /** Idle workers kept for the next run. */
  #spare: Worker[] = [];

  /**
   * @param workers Worker count; 0 runs inline.
   * @param signal Aborting it stops a run between tasks (it rejects with `signal.reason`).
   */
  constructor(workers: number, signal?: AbortSignal) {
    this.#count = Math.max(0, Math.floor(workers));
    this.#signal = signal;
  }

  /**
   * Runs tasks 0, 1, 2, … and passes each result to `consume` in index order until it returns
   * true. Workers still busy at the end are terminated (their tasks are not needed).
   *
   * @param spec Builds task `index`.
   * @param consume Receives results in order; returns true when it needs no more.
   * @returns Resolves after the last consumed result.
   * @throws {Error} when a task throws (with the worker's stack as message), or what `consume`
   * throws; the signal's reason when aborted.
   */
  async run(
    spec: (index: number) => TaskSpec,
    consume: (rows: SudokuCsvRow[], index: number) => boolean,
  ): Promise<void> {
    this.#signal?.throwIfAborted();
    if (this.#count === 0) {
      for (let i = 0;; i++) {
        this.#signal?.throwIfAborted();
        if (consume(runTask(spec(i), this.#solver), i)) return;
        // Let timers (the progress bar) run between tasks.
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    const workers = this.#spare.splice(0);
    while (workers.length < this.#count) {
      workers.push(new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }));
    }
    const busy = new Set<Worker>();
    try {
      await new Promise<void>((resolve, reject) => {
        const results = new Map<number, SudokuCsvRow[]>();
        const idle: Worker[] = [];
        let next = 0, consumed = 0, finished = false;
        const onAbort = (): void => {
          if (!finished) fail(this.#signal!.reason);
        };
        this.#signal?.addEventListener("abort", onAbort, { once: true });
        const fail = (err: unknown): void => {
          finished = true;
          this.#signal?.removeEventListener("abort", onAbort);
          reject(err);
        };
        const succeed = (): void => {
          finished = true;
          this.#signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const dispatch = (w: Worker): void => {
          if (next - consumed >= this.#count * AHEAD_PER_WORKER) {
            idle.push(w);
            return;
          }
          const id = next++;
          busy.add(w);
          w.postMessage({ id, spec: spec(id) });
        };
        const onReply = (w: Worker, reply: Reply): void => {
          busy.delete(w);
          if (finished) return;
          if (reply.error !== undefined) {
            return fail(new Error(`sudoku task ${reply.id} failed: ${reply.error}`));
          }
          results.set(reply.id, reply.result!);
          while (results.has(consumed)) {
            const rows = results.get(consumed)!;
            results.delete(consumed);
            let enough: boolean;
            try {
              enough = consume(rows, consumed++);
            } catch (err) {
              return fail(err);
            }
            if (enough) return succeed();
          }
          dispatch(w);
          while (idle.length > 0 && next - consumed < this.#count * AHEAD_PER_WORKER) {
            dispatch(idle.pop()!);
          }
        };
        for (const w of workers) {
          w.onmessage = (e: MessageEvent<Reply>) => onReply(w, e.data);
          w.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            if (!finished) fail(new Error(`sudoku worker failed: ${e.message}`));
          };
          dispatch(w);
        }
      });
    } finally {
      for (const w of workers) {
        if (busy.has(w)) w.terminate();
        else this.#spare.push(w);
      }
    }
  }

  /** Terminates the idle workers. */
  close(): void {
    for (const w of this.#spare.splice(0)) w.terminate();
  }
}
