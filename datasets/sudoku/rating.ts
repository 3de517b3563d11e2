/**
 * Difficulty rating: the number of guesses (branch points) {@linkcode SudokuSolver} takes to
 * reach the first solution (limit 1), counted once on the puzzle as stored, as Sudoku-Extreme's
 * `rating` counts tdoku's guesses (datasets.md §1.2). Guess counts are specific to a solver, so
 * ours was calibrated against tdoku with what can be checked offline:
 *
 * - Random minimal puzzles (constrain + minimize, as tdoku's generator; datasets.md §1.4 has
 *   tdoku's limit-1 distribution over 400k of them). Ours over 20k, rated as generated:
 *
 *   | guesses >=    | 1    | 2    | 3     | 5     | 10     | mean |
 *   |---------------|------|------|-------|-------|--------|------|
 *   | tdoku         | .35  | .16  | .070  | .015  | 9.0e-4 | 0.64 |
 *   | hrm           | .38  | .15  | .060  | .010  | 3.5e-4 | 0.64 |
 *
 *   Clue counts agree too (mean 23.7 vs 23.8). The branching rule was chosen on this: plain MRV
 *   (first bivalue cell) gave mean 0.89 and P(>=10) = 5e-3, the tie-break towards the cell whose
 *   peers share most candidates brought both to tdoku's. Our tail is a little lighter (the
 *   1.5%- and 0.09%-quantiles are 4 and 8 where tdoku has 5 and 10).
 * - Famous hard puzzles (tests/fixtures/sudoku/famous.csv), averaged over 1000 random
 *   symmetries with limit 2: Easter Monster 84, Golden Nugget 83, Platinum Blonde 103,
 *   AI Escargot 32, Inkala 2012 29. tdoku averages 65 on the SE 11+ list and 113 on
 *   forum_hardest_1106 (limit 2), the lists these belong to, so the hard end is on tdoku's scale
 *   too, within the 20% the random-puzzle tail suggests.
 *
 * Both checks put the factor between our guesses and tdoku's at 1 to 1.25, so ratings are not
 * rescaled ({@linkcode RATING_SCALE} = 1); docs/datasets.md has the numbers.
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
