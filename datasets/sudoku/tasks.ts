/**
 * Units of generation work, identical whether run inline or in a worker: a task is plain data
 * (kind, seed, split, index) and its puzzles depend only on that data, so a dataset is the same
 * for any number of workers.
 *
 * - easy: a batch of random minimal puzzles (the easy ~27% of Sudoku-Extreme).
 * - moderate / extreme: one local-search pool (hard_pool.ts) run from fresh random minimal
 *   puzzles; it emits accepted candidates once they are hard enough, at most
 *   {@linkcode HARD_PER_POOL}, so many independent pools give diversity. The two tiers make the
 *   hard part a mixture, as datasets.md §1.5 suggests: moderate pools emit early in their climb
 *   (ratings ~5-20, mean ~10, ~0.2 CPU-s per puzzle), extreme pools only candidates averaging
 *   28+ guesses (ratings ~15-200, mean ~50, several CPU-s per puzzle, varying by pool: see
 *   docs/datasets.md, Speed). The caller fixes each tier's share of puzzles
 *   ({@linkcode EXTREME_SHARE}), since pools vary a lot in how far they climb.
 *   A pool that accepts nothing for {@linkcode STALL_STEPS} steps starts afresh.
 *
 * Each emitted puzzle is re-proven unique, gets a random symmetry and is rated once as stored
 * (rating.ts).
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
/** A pool with no accepted candidate in this many steps is restarted from fresh puzzles. */
export const STALL_STEPS = 2_000;
/** Share of the hard part from extreme pools: 0.5 · ~50 + 0.5 · ~10 ≈ 30 mean rating. */
export const EXTREME_SHARE = 0.5;

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
  extreme: { emitGeo: 28, minRating: 15 },
};

/** One unit of work. */
export interface TaskSpec {
  /** Which generator. */
  kind: "easy" | "moderate" | "extreme";
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

/** Names written to the CSV `source` column, by task kind. */
export const SOURCES: Record<TaskSpec["kind"], string> = {
  easy: "hrm_minimal",
  moderate: "hrm_pool_moderate",
  extreme: "hrm_pool_extreme",
};

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
  if (spec.kind === "easy") {
    return easyTask(rng, solver, spec.minRating, Math.min(EASY_BATCH, spec.limit ?? Infinity));
  }
  return hardTask(rng, solver, spec, Math.min(HARD_PER_POOL, spec.limit ?? Infinity));
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

function hardTask(rng: Rng, solver: SudokuSolver, spec: TaskSpec, limit: number): SudokuCsvRow[] {
  const tier = HARD_TIERS[spec.kind as "moderate" | "extreme"];
  const floor = Math.max(spec.minRating, tier.minRating);
  const out: SudokuCsvRow[] = [];
  let pool = new HardPool(rng, solver), steps = 0, lastAccept = 0;
  while (out.length < limit && steps < HARD_MAX_STEPS) {
    steps++;
    const cand = pool.step();
    if (cand !== undefined) lastAccept = pool.steps;
    else if (pool.steps - lastAccept >= STALL_STEPS) {
      pool = new HardPool(rng, solver);
      lastAccept = 0;
    }
    if (cand === undefined || cand.geoGuesses < tier.emitGeo) continue;
    const row = store(rng, solver, cand.puzzle, cand.solution, SOURCES[spec.kind]);
    if (row.rating >= floor) out.push(row);
  }
  return out;
}
