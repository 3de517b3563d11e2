/**
 * Sudoku symmetries, drawn exactly as the reference's `shuffle_sudoku`
 * (sapientinc/HRM dataset/build_sudoku_dataset.py): a permutation of the digits 1..9 (blank
 * stays blank), a transpose with p = 0.5, a band permutation with a row permutation inside each
 * band, and a stack permutation with a column permutation inside each stack. The transpose comes
 * before the position mapping, and one draw is applied to puzzle and solution alike.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import { CELLS } from "./board.ts";

/** One sudoku symmetry. */
export interface SudokuSymmetry {
  /** `digitMap[v]` is the new value of old value v; `digitMap[0] = 0` keeps blanks blank. */
  digitMap: Uint8Array;
  /** Transpose before mapping positions. */
  transpose: boolean;
  /** New row i takes old row `rowPerm[i]` (of the possibly transposed board). */
  rowPerm: Uint8Array;
  /** New column j takes old column `colPerm[j]`. */
  colPerm: Uint8Array;
}

/**
 * Draws a symmetry in the reference's order: digits, transpose, bands, rows in each band,
 * stacks, columns in each stack.
 *
 * @param rng The generator.
 * @returns A uniformly random symmetry of that family.
 *
 * @example Same seed, same symmetry
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { randomSymmetry } from "./augment.ts";
 * const a = randomSymmetry(new Rng(1)), b = randomSymmetry(new Rng(1));
 * if (a.rowPerm.join() !== b.rowPerm.join()) throw new Error();
 * ```
 */
export function randomSymmetry(rng: Rng): SudokuSymmetry {
  const digitMap = new Uint8Array(10);
  const digits = rng.permutation(9);
  for (let d = 0; d < 9; d++) digitMap[d + 1] = digits[d] + 1;
  const transpose = rng.float() < 0.5;
  return { digitMap, transpose, rowPerm: linePerm(rng), colPerm: linePerm(rng) };
}

/** Bands (or stacks) shuffled, then the three lines inside each, in the reference's order. */
function linePerm(rng: Rng): Uint8Array {
  const out = new Uint8Array(9);
  const bands = rng.permutation(3);
  for (let b = 0; b < 3; b++) {
    const inner = rng.permutation(3);
    for (let k = 0; k < 3; k++) out[b * 3 + k] = bands[b] * 3 + inner[k];
  }
  return out;
}

/**
 * Applies a symmetry: new cell (i, j) = digitMap[old'[rowPerm[i], colPerm[j]]], where old' is
 * the board, transposed if `sym.transpose`.
 *
 * @param sym The symmetry.
 * @param board 81 cells, 0 = blank.
 * @param out Where to write (must not alias `board`); a new array by default.
 * @returns `out`.
 *
 * @example Identity keeps the board
 * ```ts
 * import { applySymmetry } from "./augment.ts";
 * const id = Uint8Array.from({ length: 9 }, (_, i) => i);
 * const sym = { digitMap: Uint8Array.from({ length: 10 }, (_, i) => i), transpose: false,
 *   rowPerm: id, colPerm: id };
 * const b = Uint8Array.from({ length: 81 }, (_, i) => i % 10);
 * if (applySymmetry(sym, b).join() !== b.join()) throw new Error();
 * ```
 */
export function applySymmetry(
  sym: SudokuSymmetry,
  board: ArrayLike<number>,
  out: Uint8Array = new Uint8Array(CELLS),
): Uint8Array {
  const { digitMap, transpose, rowPerm, colPerm } = sym;
  for (let i = 0; i < 9; i++) {
    const r = rowPerm[i];
    for (let j = 0; j < 9; j++) {
      const c = colPerm[j];
      out[i * 9 + j] = digitMap[board[transpose ? c * 9 + r : r * 9 + c]];
    }
  }
  return out;
}

/**
 * One reference augmentation: draws a symmetry and applies it to puzzle and solution.
 *
 * @param rng The generator.
 * @param puzzle 81 cells, 0 = blank.
 * @param solution 81 digits.
 * @returns The transformed pair.
 */
export function shuffleSudoku(
  rng: Rng,
  puzzle: ArrayLike<number>,
  solution: ArrayLike<number>,
): { puzzle: Uint8Array; solution: Uint8Array } {
  const sym = randomSymmetry(rng);
  return { puzzle: applySymmetry(sym, puzzle), solution: applySymmetry(sym, solution) };
}
