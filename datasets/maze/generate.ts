/**
 * Builds a Maze-Hard dataset in the reference layout (build_maze_dataset.py's output): one
 * task per wall layout, train and test layouts disjoint, tokens `# SGo` → 1..5, seq_len N², one
 * puzzle identifier (0), optional 8 dihedral variants per training maze.
 *
 * @module
 */
import { HrmError } from "../../lib/errors.ts";
import { type PuzzleExamples, SplitWriter, writeIdentifiers } from "../../lib/io/dataset.ts";
import { dihedral } from "../grid.ts";
import { MAZE_VOCAB_SIZE, WALL } from "./encoding.ts";
import type { MazeJob, MazeJobResult } from "./job.ts";
import { MazePool } from "./pool.ts";
import { impossibleReason } from "./sampler.ts";

/** Options of {@linkcode generateMazeDataset}. */
export interface MazeDatasetOptions {
  /** Output dataset directory. */
  out: string;
  /** Side length N (the paper: 30). */
  size: number;
  /** Keep mazes whose shortest path has more moves than this (the paper: 110). */
  minPath: number;
  /** Training mazes. */
  train: number;
  /** Test mazes. */
  test: number;
  /** Add the 8 dihedral transforms of each training maze (the reference's `--aug`). */
  aug: boolean;
  /** Seed; the same seed gives the same bytes for any worker count. */
  seed: number;
  /** Worker threads; 0 generates in this thread. @default {navigator.hardwareConcurrency} */
  workers?: number;
  /** Trials per maze before giving up (a guard against impossible settings). @default {1e7} */
  maxTrials?: number;
  /** Called after each maze is written. */
  onProgress?: (done: number, total: number) => void;
  /** Stops generation; nothing is left under a final file name. */
  signal?: AbortSignal;
}

/** What {@linkcode generateMazeDataset} wrote. */
export interface MazeDatasetSummary {
  /** Mazes per split (puzzles are 8× mazes in train with `aug`). */
  mazes: { train: number; test: number };
  /** Puzzles per split. */
  puzzles: { train: number; test: number };
  /** Shortest-path lengths of the mazes, in moves. */
  moves: { min: number; mean: number; max: number };
  /** Trials drawn in all (accepted mazes / trials is the acceptance rate). */
  trials: number;
  /** Draws discarded because their wall layout (up to symmetry) was already used. */
  duplicates: number;
}

/** Duplicate-layout redraws allowed per maze before the settings are declared too narrow. */
const MAX_RETRIES = 100;

/**
 * Generates mazes and writes `<out>/{train,test}` and `<out>/identifiers.json`.
 *
 * @param opts See {@linkcode MazeDatasetOptions}.
 * @returns Counts and statistics.
 * @throws {HrmError} for impossible settings, when no maze is found within `maxTrials`, when
 * too few distinct layouts exist, when interrupted, or when the directory cannot be written.
 *
 * @example A small dataset
 * ```ts
 * import { generateMazeDataset } from "./generate.ts";
 * const out = await Deno.makeTempDir();
 * const s = await generateMazeDataset({ out, size: 8, minPath: 8, train: 3, test: 2, aug: false, seed: 1, workers: 0 });
 * if (s.puzzles.train !== 3 || s.moves.min <= 8) throw new Error();
 * ```
 */
export async function generateMazeDataset(opts: MazeDatasetOptions): Promise<MazeDatasetSummary> {
  const { out, size, minPath, seed, aug } = opts;
  const why = impossibleReason(size, minPath);
  if (why) throw new HrmError(undefined, `gen maze: ${why}`);
  for (const [name, n] of [["train", opts.train], ["test", opts.test]] as const) {
    if (!Number.isInteger(n) || n < 0) {
      throw new HrmError(undefined, `gen maze: --${name} must be an integer >= 0, got ${n}`);
    }
  }
  if (!Number.isSafeInteger(seed)) {
    throw new HrmError(undefined, `gen maze: --seed must be an integer, got ${seed}`);
  }
  const maxTrials = opts.maxTrials ?? 1e7;
  const workers = Math.max(0, Math.floor(opts.workers ?? navigator.hardwareConcurrency));
  const order = [
    ...Array.from({ length: opts.train }, (_, index) => ({ split: "train" as const, index })),
    ...Array.from({ length: opts.test }, (_, index) => ({ split: "test" as const, index })),
  ];
  const job = (key: number, retry: number): MazeJob => ({
    key,
    size,
    minPath,
    seed,
    split: order[key].split,
    index: order[key].index,
    retry,
    maxTrials,
  });
  const writerOpts = { seq_len: size * size, vocab_size: MAZE_VOCAB_SIZE };
  const writers = {
    train: new SplitWriter(out, "train", writerOpts),
    test: new SplitWriter(out, "test", writerOpts),
  };
  const pool = new MazePool(workers);
  const window = new Map<number, Promise<MazeJobResult>>();
  const ahead = Math.max(1, 2 * workers);
  let submitted = 0;
  const seen = new Set<string>();
  const stats = { trials: 0, duplicates: 0, min: Infinity, max: -Infinity, sum: 0 };
  try {
    for (let key = 0; key < order.length; key++) {
      for (; submitted < Math.min(order.length, key + ahead); submitted++) {
        const p = pool.run(job(submitted, 0));
        p.catch(() => {}); // awaited later; a failure must not count as unhandled meanwhile
        window.set(submitted, p);
      }
      let r = await window.get(key)!;
      window.delete(key);
      let layout: string;
      for (let retry = 0;; retry++) {
        if (opts.signal?.aborted) throw new HrmError(out, "gen maze: interrupted");
        stats.trials += r.trials;
        if (!r.input || !r.label) {
          throw new HrmError(
            undefined,
            `gen maze: no ${size}x${size} maze with a path of more than ${minPath} moves in ` +
              `${maxTrials} draws; lower --min-path`,
          );
        }
        layout = layoutKey(r.input, size);
        if (!seen.has(layout)) break;
        stats.duplicates++;
        if (retry + 1 > MAX_RETRIES) {
          throw new HrmError(
            undefined,
            `gen maze: only ${seen.size} distinct ${size}x${size} wall layouts found for ` +
              `${order.length} mazes; ask for fewer or raise --size`,
          );
        }
        r = await pool.run(job(key, retry + 1), true);
      }
      seen.add(layout);
      const moves = r.moves!;
      stats.min = Math.min(stats.min, moves);
      stats.max = Math.max(stats.max, moves);
      stats.sum += moves;
      const split = order[key].split;
      await writers[split].addGroup(mazePuzzles(r.input, r.label, size, aug && split === "train"));
      opts.onProgress?.(key + 1, order.length);
    }
    const counts = { train: writers.train.counts.puzzles, test: writers.test.counts.puzzles };
    await writers.train.finish({ num_puzzle_identifiers: 1 });
    await writers.test.finish({ num_puzzle_identifiers: 1 });
    await writeIdentifiers(out, ["<blank>"]);
    return {
      mazes: { train: opts.train, test: opts.test },
      puzzles: counts,
      moves: order.length > 0
        ? { min: stats.min, mean: stats.sum / order.length, max: stats.max }
        : { min: 0, mean: 0, max: 0 },
      trials: stats.trials,
      duplicates: stats.duplicates,
    };
  } catch (e) {
    await Promise.all([writers.train.abort(), writers.test.abort()]);
    throw e;
  } finally {
    pool.close();
  }
}

/**
 * The puzzles of one maze's group: the maze itself, or with `aug` its 8 dihedral transforms
 * (reference ids 0..7, identity first), each its own puzzle with identifier 0.
 *
 * @param input Input tokens.
 * @param label Label tokens.
 * @param size Side length.
 * @param aug Add the transforms.
 * @returns 1 or 8 puzzles of one example each.
 *
 * @example
 * ```ts
 * import { mazePuzzles } from "./generate.ts";
 * const g = new Uint8Array([3, 2, 1, 4]);
 * if (mazePuzzles(g, g, 2, true).length !== 8) throw new Error();
 * ```
 */
export function mazePuzzles(
  input: Uint8Array,
  label: Uint8Array,
  size: number,
  aug: boolean,
): PuzzleExamples[] {
  const puzzles: PuzzleExamples[] = [];
  for (let t = 0; t < (aug ? 8 : 1); t++) {
    puzzles.push({
      puzzle_identifier: 0,
      examples: [{
        input: dihedral({ h: size, w: size, data: input }, t).data,
        label: dihedral({ h: size, w: size, data: label }, t).data,
      }],
    });
  }
  return puzzles;
}

/**
 * A wall layout's identity up to symmetry: the smallest of its 8 dihedral images, as a string of
 * 0/1 per cell. Two mazes share it when one's walls are a rotation or reflection of the other's,
 * whatever their start and goal.
 *
 * @param input Maze tokens.
 * @param size Side length.
 * @returns The key.
 *
 * @example A layout and its mirror image share a key
 * ```ts
 * import { layoutKey } from "./generate.ts";
 * const a = new Uint8Array([1, 2, 3, 4]), b = new Uint8Array([2, 1, 4, 3]);
 * if (layoutKey(a, 2) !== layoutKey(b, 2)) throw new Error();
 * ```
 */
export function layoutKey(input: Uint8Array, size: number): string {
  const walls = input.map((t) => (t === WALL ? 1 : 0));
  let best = "";
  for (let t = 0; t < 8; t++) {
    const key = dihedral({ h: size, w: size, data: walls }, t).data.join("");
    if (t === 0 || key < best) best = key;
  }
  return best;
}
