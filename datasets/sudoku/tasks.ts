/**
 * Units of generation work, identical whether run inline or in a worker: a task is plain data
 * (kind, seed, split, index) and its puzzles depend only on that data, so a dataset is the same
 * for any number of workers.
 *
 * - easy: a batch of random minimal puzzles (the easy ~27% of Sudoku-Extreme).
 * - hard: one local-search pool (hard_pool.ts) run from fresh random minimal puzzles; it emits
 *   accepted candidates once they are hard enough, at most {@linkcode HARD_PER_POOL}, so many
 *   independent pools give diversity. Pools come in two tiers, as datasets.md §1.5 suggests
 *   (a mixture, not a threshold): "moderate" pools emit early in their climb (ratings ~5-20,
 *   mean ~11, ~0.2 CPU-s each), "extreme" pools only candidates averaging 25+ guesses (ratings
 *   ~15-200, mean ~58, ~1.2 CPU-s each). Two tasks in five are extreme, which puts the hard
 *   part's mean near 30 and the default mixture's near 22 (measured in docs/datasets.md).
 *
 * Each emitted puzzle gets a random symmetry and is rated once as stored (rating.ts).
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { applySymmetry, randomSymmetry } from "./augment.ts";
import type { SudokuCsvRow } from "./csv.ts";
import { randomMinimalPuzzle } from "./generate.ts";
import { HardPool } from "./hard_pool.ts";
import { rateSudoku } from "./rating.ts";
import type { SudokuSolver } from "./solver.ts";

/** Puzzles per easy task (amortizes worker messages). */
export const EASY_BATCH = 16;
/** Most puzzles one hard pool contributes (they are near neighbours of each other). */
export const HARD_PER_POOL = 24;
/** Steps after which a hard pool gives up (it emits what it has). */
export const HARD_MAX_STEPS = 20_000;

/** When a hard pool may emit a candidate. */
export interface HardTier {
  /** The candidate's geometric-mean guesses (over the pool's evaluation symmetries) is >= this. */
  emitGeo: number;
  /** And its stored rating is >= this (and >= the task's minRating). */
  minRating: number;
}

/** The two hard tiers; see the module doc. */
export const HARD_TIERS: { moderate: HardTier; extreme: HardTier } = {
  moderate: { emitGeo: 7, minRating: 5 },
  extreme: { emitGeo: 25, minRating: 15 },
};

/**
 * The tier of hard task `index`: two in every five are extreme.
 *
 * @param index Task number.
 * @returns The tier.
 */
export function hardTier(index: number): HardTier {
  return index % 5 === 1 || index % 5 === 3 ? HARD_TIERS.extreme : HARD_TIERS.moderate;
}

/** One unit of work. */
export interface TaskSpec {
  /** Which generator. */
  kind: "easy" | "hard";
  /** The dataset seed. */
  seed: number;
  /** Train and test draw from disjoint seeds. */
  split: "train" | "test";
  /** Task number within (seed, split, kind). */
  index: number;
  /** Emit only puzzles rated at least this. */
  minRating: number;
  /**
   * Emit at most this many (capped at {@linkcode EASY_BATCH} / {@linkcode HARD_PER_POOL}); the
   * caller passes the split's total need, so small datasets do not pay for whole pools.
   */
  limit?: number;
}

/** Names written to the CSV `source` column. */
export const SOURCES = { easy: "hrm_easy_minimal", hard: "hrm_hard_pool" } as const;

/**
 * Runs one task.
 *
 * @param spec The task.
 * @param solver A solver owned by the caller's thread.
 * @returns Puzzles with unique solutions, each already permuted and rated.
 *
 * @example Deterministic
 * ```ts
 * import { SudokuSolver } from "./solver.ts";
 * import { runTask } from "./tasks.ts";
 * const spec = { kind: "easy", seed: 1, split: "train", index: 0, minRating: 0 } as const;
 * const a = runTask(spec, new SudokuSolver()), b = runTask(spec, new SudokuSolver());
 * if (a[0].puzzle.join() !== b[0].puzzle.join()) throw new Error();
 * ```
 */
export function runTask(spec: TaskSpec, solver: SudokuSolver): SudokuCsvRow[] {
  const rng = new Rng(`sudoku/${spec.seed}/${spec.split}/${spec.kind}/${spec.index}`);
  return spec.kind === "easy"
    ? easyTask(rng, solver, spec.minRating, Math.min(EASY_BATCH, spec.limit ?? Infinity))
    : hardTask(
      rng,
      solver,
      spec.minRating,
      hardTier(spec.index),
      Math.min(HARD_PER_POOL, spec.limit ?? Infinity),
    );
}

function store(
  rng: Rng,
  solver: SudokuSolver,
  puzzle: Uint8Array,
  solution: Uint8Array,
  source: string,
): SudokuCsvRow {
  // Every stored puzzle is re-proven unique, whatever produced it.
  if (solver.solve(puzzle, 2) !== 1) {
    throw new Error("generated a puzzle without a unique solution");
  }
  const sym = randomSymmetry(rng);
  const p = applySymmetry(sym, puzzle);
  return {
    source,
    puzzle: p,
    solution: applySymmetry(sym, solution),
    rating: rateSudoku(solver, p),
  };
}

function easyTask(
  rng: Rng,
  solver: SudokuSolver,
  minRating: number,
  limit: number,
): SudokuCsvRow[] {
  const out: SudokuCsvRow[] = [];
  while (out.length < limit) {
    const { puzzle, solution } = randomMinimalPuzzle(rng, solver);
    const row = store(rng, solver, puzzle, solution, SOURCES.easy);
    if (row.rating >= minRating) out.push(row);
  }
  return out;
}

function hardTask(
  rng: Rng,
  solver: SudokuSolver,
  minRating: number,
  tier: HardTier,
  limit: number,
): SudokuCsvRow[] {
  const pool = new HardPool(rng, solver);
  const out: SudokuCsvRow[] = [];
  const floor = Math.max(minRating, tier.minRating);
  while (out.length < limit && pool.steps < HARD_MAX_STEPS) {
    const cand = pool.step();
    if (cand === undefined || cand.geoGuesses < tier.emitGeo) continue;
    const row = store(rng, solver, cand.puzzle, cand.solution, SOURCES.hard);
    if (row.rating >= floor) out.push(row);
  }
  return out;
}
