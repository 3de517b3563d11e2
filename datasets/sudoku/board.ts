/**
 * Sudoku boards as 81 cells, row-major, 0 = blank and 1..9 = digit, plus the text form the
 * published CSV uses (`.` for a blank) and the validity checks every importer and test needs.
 *
 * @module
 */

/** Cells per board. */
export const CELLS = 81;

/**
 * Parses an 81-character puzzle string (`.` or `0` = blank, `1`..`9` = digit).
 *
 * @param text The puzzle, row-major.
 * @returns 81 cells, 0 = blank, or `undefined` when the text is not 81 such characters.
 *
 * @example Round trip
 * ```ts
 * import { formatBoard, parseBoard } from "./board.ts";
 * const s = "1".padEnd(81, ".");
 * if (formatBoard(parseBoard(s)!) !== s) throw new Error();
 * ```
 */
export function parseBoard(text: string): Uint8Array | undefined {
  if (text.length !== CELLS) return undefined;
  const out = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 46 /* . */ || ch === 48 /* 0 */) continue;
    if (ch < 49 || ch > 57) return undefined;
    out[i] = ch - 48;
  }
  return out;
}

/**
 * Formats 81 cells as text, blanks as `.` (the CSV's question column).
 *
 * @param board 81 cells, 0 = blank.
 * @returns An 81-character string.
 */
export function formatBoard(board: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < CELLS; i++) s += board[i] === 0 ? "." : String(board[i]);
  return s;
}

/**
 * Whether `grid` is a complete, valid sudoku solution (every row, column and box holds 1..9).
 *
 * @param grid 81 cells.
 * @returns True when valid.
 *
 * @example A shifted Latin square
 * ```ts
 * import { isValidSolution } from "./board.ts";
 * const g = new Uint8Array(81);
 * for (let r = 0; r < 9; r++) for (let c = 0; c < 9; c++) {
 *   g[r * 9 + c] = ((r * 3 + Math.floor(r / 3) + c) % 9) + 1;
 * }
 * if (!isValidSolution(g)) throw new Error();
 * ```
 */
export function isValidSolution(grid: ArrayLike<number>): boolean {
  for (let u = 0; u < 27; u++) {
    let seen = 0;
    for (let k = 0; k < 9; k++) {
      const v = grid[UNIT_CELLS[u * 9 + k]];
      if (v < 1 || v > 9) return false;
      seen |= 1 << (v - 1);
    }
    if (seen !== 0x1ff) return false;
  }
  return true;
}

/**
 * Whether every clue of `puzzle` equals the same cell of `solution`.
 *
 * @param puzzle 81 cells, 0 = blank.
 * @param solution 81 digits.
 * @returns True when the clues agree.
 */
export function cluesMatch(puzzle: ArrayLike<number>, solution: ArrayLike<number>): boolean {
  for (let i = 0; i < CELLS; i++) if (puzzle[i] !== 0 && puzzle[i] !== solution[i]) return false;
  return true;
}

/**
 * Number of clues (non-blank cells).
 *
 * @param puzzle 81 cells, 0 = blank.
 * @returns The clue count.
 */
export function countClues(puzzle: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < CELLS; i++) if (puzzle[i] !== 0) n++;
  return n;
}

/**
 * The cells of the 27 units: rows 0..8, columns 9..17, boxes 18..26, 9 cells each.
 */
export const UNIT_CELLS: Uint8Array = (() => {
  const u = new Uint8Array(27 * 9);
  for (let i = 0; i < 9; i++) {
    for (let k = 0; k < 9; k++) {
      u[i * 9 + k] = i * 9 + k;
      u[(9 + i) * 9 + k] = k * 9 + i;
      const br = Math.floor(i / 3) * 3, bc = (i % 3) * 3;
      u[(18 + i) * 9 + k] = (br + Math.floor(k / 3)) * 9 + bc + (k % 3);
    }
  }
  return u;
})();
