/**
 * Random minimal puzzles, the easy part of the set and the seed of every hard pool: add random
 * consistent clues until the solution is unique (tdoku's `Constrain`), then try removing each clue
 * in random order and keep a removal while the puzzle stays unique (tdoku's `Minimize`).
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { CELLS } from "./board.ts";
import type { SudokuSolver } from "./solver.ts";

const ALL = 0x1ff;

/** A puzzle with its unique solution. */
export interface SolvedPuzzle {
  /** 81 cells, 0 = blank. */
  puzzle: Uint8Array;
  /** 81 digits. */
  solution: Uint8Array;
}

/**
 * Adds random clues to `puzzle` until its solution is unique. Literals (cell, digit) are tried
 * in random order; one already implied by propagation, excluded, or leaving no solution is
 * skipped.
 *
 * @param rng The generator.
 * @param solver A solver (its state is overwritten).
 * @param puzzle 81 cells, 0 = blank; clues are added in place.
 * @returns True when the puzzle now has exactly one solution; false when it had none.
 */
export function constrain(rng: Rng, solver: SudokuSolver, puzzle: Uint8Array): boolean {
  const masks = new Uint16Array(CELLS);
  for (let c = 0; c < CELLS; c++) masks[c] = puzzle[c] === 0 ? ALL : 1 << (puzzle[c] - 1);
  if (!solver.propagate(masks)) return false;
  const test = new Uint16Array(CELLS);
  const order = rng.shuffle(LITERALS.slice());
  for (let i = 0; i < order.length; i++) {
    const lit = order[i];
    const cell = (lit / 9) | 0, bit = 1 << (lit % 9);
    if (puzzle[cell] !== 0) continue;
    const cands = masks[cell];
    if ((cands & bit) === 0 || cands === bit) continue;
    test.set(masks);
    test[cell] = bit;
    if (!solver.propagate(test)) continue;
    puzzle[cell] = (lit % 9) + 1;
    const n = solver.countMasks(test, 2);
    if (n === 0) {
      puzzle[cell] = 0;
      continue;
    }
    if (n === 1) return true;
    masks.set(test);
  }
  return false;
}

const LITERALS = Int16Array.from({ length: CELLS * 9 }, (_, i) => i);
const CELL_IDS = Uint8Array.from({ length: CELLS }, (_, i) => i);

/**
 * Removes clues in random order while the puzzle stays unique; the result is minimal (no clue
 * can go). `puzzle` should have a unique solution.
 *
 * @param rng The generator.
 * @param solver A solver (its state is overwritten).
 * @param puzzle 81 cells, 0 = blank; clues are removed in place.
 */
export function minimize(rng: Rng, solver: SudokuSolver, puzzle: Uint8Array): void {
  const order = rng.shuffle(CELL_IDS.slice());
  for (let i = 0; i < CELLS; i++) {
    const c = order[i];
    const v = puzzle[c];
    if (v === 0) continue;
    puzzle[c] = 0;
    if (solver.solve(puzzle, 2) !== 1) puzzle[c] = v;
  }
}

/**
 * A random minimal puzzle: constrain from the empty grid, then minimize.
 *
 * @param rng The generator.
 * @param solver A solver.
 * @returns The puzzle and its unique solution.
 *
 * @example Unique by construction
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { SudokuSolver } from "./solver.ts";
 * import { randomMinimalPuzzle } from "./generate.ts";
 * const solver = new SudokuSolver();
 * const { puzzle } = randomMinimalPuzzle(new Rng(7), solver);
 * if (solver.solve(puzzle, 2) !== 1) throw new Error();
 * ```
 */
export function randomMinimalPuzzle(rng: Rng, solver: SudokuSolver): SolvedPuzzle {
  const puzzle = new Uint8Array(CELLS);
  // From the empty grid every clue keeps at least one solution, so this cannot fail.
  if (!constrain(rng, solver, puzzle)) throw new Error("constrain failed from the empty grid");
  minimize(rng, solver, puzzle);
  solver.solve(puzzle, 1);
  return { puzzle, solution: solver.solution.slice() };
}
