/**
 * Generates a Sudoku-Extreme-like dataset offline (datasets.md §1.5): an easy share of random
 * minimal puzzles and a hard share from many independent local-search pools, every puzzle with
 * exactly one solution, permuted by a random symmetry and rated once as stored. Train and test
 * come from disjoint seeds, and no test puzzle is equivalent to a train puzzle under sudoku
 * symmetries (nor two puzzles of one split to each other). The same seed gives the same bytes
 * for any number of workers.
 *
 * @module
 */
import { HrmError } from "../../lib/errors.ts";
import { Rng } from "../rng.ts";
import { SymmetrySet } from "./canonical.ts";
import type { SudokuCsvRow } from "./csv.ts";
import { TaskRunner } from "./parallel.ts";
import { EXTREME_SHARE, type TaskSpec } from "./tasks.ts";
import { type SplitSummary, writeSudokuDataset } from "./write.ts";

/** Default easy share: 1.15M easy of 4.25M puzzles in Sudoku-Extreme. */
export const DEFAULT_MIX = 0.27;
/** Above this `minRating`, random minimal puzzles are too rare: the easy share becomes 0. */
export const EASY_MAX_MIN_RATING = 5;
/** Consecutive hard pools that emit nothing before giving up on `minRating`. */
const MAX_EMPTY_TASKS = 8;

/** Options of {@linkcode generateSudokuPuzzles}. */
export interface SudokuGenOptions {
  /** Train puzzles (before augmentation). */
  train: number;
  /** Test puzzles. */
  test: number;
  /** @default {0} */
  seed?: number;
  /** Keep only puzzles rated at least this. @default {0} */
  minRating?: number;
  /** Easy share in [0, 1]; forced to 0 when minRating > {@linkcode EASY_MAX_MIN_RATING}. @default {0.27} */
  mix?: number;
  /** Web Workers; 0 runs inline. Output is the same for any count. @default {0} */
  workers?: number;
  /** Aborting stops generation between tasks (and writing between groups) with its reason. */
  signal?: AbortSignal;
  /** Called after each accepted puzzle. */
  onProgress?: (done: number, total: number) => void;
}

/** One step of the generation order: `n` puzzles of one kind for one split. */
export interface GenerationPart {
  /** The split. */
  split: "train" | "test";
  /** The generator. */
  kind: TaskSpec["kind"];
  /** Puzzles. */
  n: number;
}

/**
 * What {@linkcode generateSudokuPuzzles} makes, in its order: per split, the easy part, then the
 * moderate and the extreme pools' parts.
 *
 * @example The default mixture of 100 puzzles
 * ```ts
 * import { generationPlan } from "./dataset.ts";
 * const p = generationPlan({ train: 100, test: 0 });
 * if (p.map((x) => x.n).join() !== "27,36,37,0,0,0") throw new Error();
 * ```
 */
export function generationPlan(
  opts: Pick<SudokuGenOptions, "train" | "test" | "mix" | "minRating">,
): GenerationPart[] {
  const mix = (opts.minRating ?? 0) > EASY_MAX_MIN_RATING ? 0 : opts.mix ?? DEFAULT_MIX;
  return (["train", "test"] as const).flatMap((split) => {
    const n = opts[split];
    const easy = Math.round(n * mix);
    const extreme = Math.round((n - easy) * EXTREME_SHARE);
    return [
      { split, kind: "easy" as const, n: easy },
      { split, kind: "moderate" as const, n: n - easy - extreme },
      { split, kind: "extreme" as const, n: extreme },
    ];
  });
}

/**
 * CPU-seconds per accepted puzzle, by kind, measured on the 2-core machine: `hrm gen sudoku
 * --train 100 --test 0` took 230 CPU-s (27 easy, 36 moderate, 37 extreme); moderate pools give 24
 * puzzles in 2–4 CPU-s; easy puzzles come at ~400/s. Extreme pools vary several-fold (some give
 * nothing in 25 CPU-s), so estimates from these are rough.
 */
export const CPU_SECONDS_PER_PUZZLE: Readonly<Record<TaskSpec["kind"], number>> = Object.freeze({
  easy: 0.003,
  moderate: 0.12,
  extreme: 6,
});

/**
 * Estimated wall-clock seconds left once `done` puzzles of `plan` are made.
 *
 * @param plan The generation order ({@linkcode generationPlan}).
 * @param done Puzzles made so far (they come in plan order).
 * @param parallel Cores working (workers, at most the machine's cores; 1 inline).
 * @returns Seconds.
 */
export function estimateSeconds(plan: GenerationPart[], done: number, parallel: number): number {
  let skip = done, cpu = 0;
  for (const part of plan) {
    const left = Math.max(0, part.n - skip);
    skip = Math.max(0, skip - part.n);
    cpu += left * CPU_SECONDS_PER_PUZZLE[part.kind];
  }
  return cpu / Math.max(1, parallel);
}

/**
 * Generates the original (unaugmented) puzzles of both splits.
 *
 * @param opts See {@linkcode SudokuGenOptions}.
 * @returns Rows per split, in a seeded random order (easy and hard interleaved).
 * @throws {HrmError} for bad counts or mix, or when `minRating` is out of reach.
 *
 * @example A tiny easy set
 * ```ts
 * import { generateSudokuPuzzles } from "./dataset.ts";
 * import { SudokuSolver } from "./solver.ts";
 * const { train, test } = await generateSudokuPuzzles({ train: 3, test: 2, mix: 1 });
 * const s = new SudokuSolver();
 * if (train.length !== 3 || test.length !== 2) throw new Error();
 * if (!train.every((r) => s.solve(r.puzzle, 2) === 1)) throw new Error();
 * ```
 */
export async function generateSudokuPuzzles(
  opts: SudokuGenOptions,
): Promise<{ train: SudokuCsvRow[]; test: SudokuCsvRow[] }> {
  const seed = opts.seed ?? 0, minRating = opts.minRating ?? 0;
  for (const [name, v] of [["train", opts.train], ["test", opts.test]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new HrmError(undefined, `--${name} must be a non-negative integer, got ${v}`, {
        exitCode: 2,
      });
    }
  }
  const mix = opts.mix ?? DEFAULT_MIX;
  if (!(mix >= 0 && mix <= 1)) {
    throw new HrmError(undefined, `--mix must be in [0, 1], got ${mix}`, { exitCode: 2 });
  }
  const runner = new TaskRunner(opts.workers ?? 0, opts.signal);
  const total = opts.train + opts.test;
  let done = 0;
  const trainSet = new SymmetrySet(), testSet = new SymmetrySet();

  const collect = async (
    split: "train" | "test",
    kind: TaskSpec["kind"],
    n: number,
    out: SudokuCsvRow[],
  ): Promise<void> => {
    if (n === 0) return;
    const own = split === "train" ? trainSet : testSet;
    let got = 0, empty = 0;
    await runner.run((index) => ({ kind, seed, split, index, minRating, limit: n }), (rows) => {
      empty = rows.length === 0 ? empty + 1 : 0;
      if (empty >= MAX_EMPTY_TASKS) {
        throw new HrmError(
          undefined,
          `--min-rating ${minRating}: ${MAX_EMPTY_TASKS} search pools in a row found no puzzle that hard; lower it`,
        );
      }
      for (const row of rows) {
        if (got === n) break;
        if (split === "test" && trainSet.has(row.puzzle)) continue;
        if (!own.add(row.puzzle)) continue;
        out.push(row);
        got++;
        opts.onProgress?.(++done, total);
      }
      return got === n;
    });
  };

  const sets = { train: [] as SudokuCsvRow[], test: [] as SudokuCsvRow[] };
  try {
    for (const part of generationPlan({ ...opts, mix })) {
      await collect(part.split, part.kind, part.n, sets[part.split]);
      if (part.kind === "extreme") {
        new Rng(`sudoku/${seed}/${part.split}/order`).shuffle(sets[part.split]);
      }
    }
  } finally {
    runner.close();
  }
  return sets;
}

/** Options of {@linkcode generateSudokuDataset}. */
export interface SudokuDatasetOptions extends SudokuGenOptions {
  /** The dataset directory. */
  out: string;
  /** Augmented copies per train puzzle. @default {1000} */
  aug?: number;
  /** Also write train.csv and test.csv. @default {false} */
  csv?: boolean;
  /** Called per group written. */
  onWriteProgress?: (done: number, total: number) => void;
}

/** Result of {@linkcode generateSudokuDataset}. */
export interface SudokuDatasetSummary {
  /** The train split. */
  train: SplitSummary;
  /** The test split. */
  test: SplitSummary;
}

/**
 * Generates puzzles and writes the dataset (the `hrm gen sudoku` command, callable from code).
 *
 * @param opts See {@linkcode SudokuDatasetOptions}.
 * @returns Per-split summaries.
 * @throws {HrmError} for bad options or unwritable output.
 *
 * @example A small easy dataset for a demo
 * ```ts
 * import { generateSudokuDataset } from "./dataset.ts";
 * import { readSplit } from "../../lib/io/dataset.ts";
 * const out = await Deno.makeTempDir();
 * await generateSudokuDataset({ out, train: 2, test: 1, aug: 3, mix: 1, seed: 1 });
 * const train = await readSplit(out, "train");
 * if (train.arrays.puzzle_identifiers.length !== 8) throw new Error();
 * ```
 */
export async function generateSudokuDataset(
  opts: SudokuDatasetOptions,
): Promise<SudokuDatasetSummary> {
  const aug = opts.aug ?? 1000;
  if (!Number.isSafeInteger(aug) || aug < 0) {
    throw new HrmError(undefined, `--aug must be a non-negative integer, got ${aug}`, {
      exitCode: 2,
    });
  }
  const sets = await generateSudokuPuzzles(opts);
  return await writeSudokuDataset(opts.out, sets, {
    aug,
    seed: opts.seed ?? 0,
    csv: opts.csv,
    signal: opts.signal,
    onProgress: opts.onWriteProgress,
  });
}
