/**
 * One unit of maze generation, the same in a worker and in the main thread: a task drawn from
 * its own named Rng stream, so the result depends only on (seed, split, index, retry) and never
 * on which thread ran it or what it ran before.
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { labelMaze, MazeSampler } from "./sampler.ts";

/** A request for one maze. */
export interface MazeJob {
  /** Caller's key, echoed back. */
  key: number;
  /** Side length. */
  size: number;
  /** Paths must have more moves than this. */
  minPath: number;
  /** The dataset seed. */
  seed: number;
  /** Which split the maze is for (part of its stream name). */
  split: "train" | "test";
  /** Position in the split. */
  index: number;
  /** How many earlier draws for this position were discarded as duplicate layouts. */
  retry: number;
  /** Give up after this many trials. */
  maxTrials: number;
}

/** The answer to a {@linkcode MazeJob}. */
export interface MazeJobResult {
  /** The job's key. */
  key: number;
  /** Input tokens (absent when no maze was found or on error). */
  input?: Uint8Array;
  /** Label tokens. */
  label?: Uint8Array;
  /** Shortest path length in moves. */
  moves?: number;
  /** Trials drawn (all of `maxTrials` when none was accepted). */
  trials: number;
  /** A bug's message, when the job threw. */
  error?: string;
}

/**
 * The name of a maze's Rng stream.
 *
 * @param seed Dataset seed.
 * @param split Split.
 * @param index Position in the split.
 * @param retry Duplicate-layout retries so far.
 * @returns The stream name.
 *
 * @example
 * ```ts
 * import { mazeStream } from "./job.ts";
 * if (mazeStream(1, "test", 5, 0) !== "maze/1/test/5/0") throw new Error();
 * ```
 */
export function mazeStream(
  seed: number,
  split: "train" | "test",
  index: number,
  retry: number,
): string {
  return `maze/${seed}/${split}/${index}/${retry}`;
}

let cached: MazeSampler | undefined;

/**
 * Runs a job in this thread.
 *
 * @param job The job.
 * @returns The maze, or a result without one when `maxTrials` trials were all rejected.
 *
 * @example
 * ```ts
 * import { runMazeJob } from "./job.ts";
 * const r = runMazeJob({ key: 0, size: 8, minPath: 8, seed: 1, split: "train", index: 0, retry: 0, maxTrials: 1e6 });
 * if (!(r.moves! > 8)) throw new Error();
 * ```
 */
export function runMazeJob(job: MazeJob): MazeJobResult {
  if (!cached || cached.size !== job.size || cached.minPath !== job.minPath) {
    cached = new MazeSampler(job.size, job.minPath);
  }
  const rng = new Rng(mazeStream(job.seed, job.split, job.index, job.retry));
  const s = cached.sample(rng, job.maxTrials);
  if (!s) return { key: job.key, trials: job.maxTrials };
  const ex = labelMaze(s);
  return { key: job.key, input: ex.input, label: ex.label, moves: ex.moves, trials: s.trials };
}
