/**
 * Runs {@linkcode MazeJob}s on Web Workers (or in this thread). Jobs are independent and named
 * by their Rng stream, so the caller decides the order results are used in and the output does
 * not depend on the worker count.
 *
 * @module
 */
import { type MazeJob, type MazeJobResult, runMazeJob } from "./job.ts";

interface Pending {
  job: MazeJob;
  resolve: (r: MazeJobResult) => void;
  reject: (e: unknown) => void;
}

/**
 * A fixed set of workers with a job queue.
 *
 * @example In this thread
 * ```ts
 * import { MazePool } from "./pool.ts";
 * const pool = new MazePool(0);
 * const r = await pool.run({ key: 7, size: 6, minPath: 5, seed: 1, split: "train", index: 0, retry: 0, maxTrials: 1e6 });
 * pool.close();
 * if (r.key !== 7 || !(r.moves! > 5)) throw new Error();
 * ```
 */
export class MazePool {
  /** Worker count (0 = this thread). */
  readonly workers: number;
  #idle: Worker[] = [];
  #all: Worker[] = [];
  #queue: Pending[] = [];
  #busy = new Map<Worker, Pending>();
  #failure: unknown = null;

  /** @param workers Worker threads; 0 runs jobs in this thread. */
  constructor(workers: number) {
    this.workers = Math.max(0, Math.floor(workers));
    for (let i = 0; i < this.workers; i++) {
      const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      w.onmessage = (e: MessageEvent<MazeJobResult>) => this.#done(w, e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#fail(new Error(`maze worker failed: ${e.message}`));
      };
      this.#all.push(w);
      this.#idle.push(w);
    }
  }

  /**
   * Queues a job.
   *
   * @param job The job.
   * @param urgent Put it at the front of the queue (the caller is blocked on it).
   * @returns Its result.
   * @throws {Error} when a worker fails or the job throws (a bug).
   */
  run(job: MazeJob, urgent = false): Promise<MazeJobResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.workers === 0) {
      return new Promise((resolve) => resolve(runMazeJob(job)));
    }
    return new Promise((resolve, reject) => {
      const p = { job, resolve, reject };
      if (urgent) this.#queue.unshift(p);
      else this.#queue.push(p);
      this.#dispatch();
    });
  }

  /** Stops the workers; queued jobs are rejected. */
  close(): void {
    this.#fail(new Error("maze pool closed"));
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const w = this.#idle.pop()!, p = this.#queue.shift()!;
      this.#busy.set(w, p);
      w.postMessage(p.job);
    }
  }

  #done(w: Worker, r: MazeJobResult): void {
    const p = this.#busy.get(w);
    this.#busy.delete(w);
    this.#idle.push(w);
    if (!p) return;
    if (r.error) p.reject(new Error(`maze job ${p.job.split} #${p.job.index}: ${r.error}`));
    else p.resolve(r);
    this.#dispatch();
  }

  #fail(e: unknown): void {
    this.#failure ??= e;
    for (const w of this.#all) w.terminate();
    for (const p of [...this.#busy.values(), ...this.#queue]) p.reject(this.#failure);
    this.#all = [];
    this.#idle = [];
    this.#busy.clear();
    this.#queue = [];
  }
}
