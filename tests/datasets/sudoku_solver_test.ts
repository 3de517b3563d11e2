import { assert, assertEquals } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import { SudokuSolver } from "../../datasets/sudoku/solver.ts";
import { cluesMatch, isValidSolution, parseBoard } from "../../datasets/sudoku/board.ts";
import { rateSudoku } from "../../datasets/sudoku/rating.ts";
import { readSudokuCsv } from "../../datasets/sudoku/csv.ts";
import { randomMinimalPuzzle } from "../../datasets/sudoku/generate.ts";

const FAMOUS = new URL("../fixtures/sudoku/famous.csv", import.meta.url).pathname;

/** An independent reference: plain backtracking over cells in order, counting to `limit`. */
function bruteCount(puzzle: Uint8Array, limit: number): number {
  const g = puzzle.slice();
  const ok = (i: number, v: number): boolean => {
    const r = (i / 9) | 0, c = i % 9, br = r - (r % 3), bc = c - (c % 3);
    for (let k = 0; k < 9; k++) {
      if (g[r * 9 + k] === v || g[k * 9 + c] === v) return false;
      if (g[(br + ((k / 3) | 0)) * 9 + bc + (k % 3)] === v) return false;
    }
    return true;
  };
  for (let i = 0; i < 81; i++) {
    if (g[i] === 0) continue;
    const v = g[i];
    g[i] = 0;
    if (!ok(i, v)) return 0;
    g[i] = v;
  }
  let count = 0;
  const go = (i: number): boolean => {
    while (i < 81 && g[i] !== 0) i++;
    if (i === 81) return ++count >= limit;
    for (let v = 1; v <= 9; v++) {
      if (!ok(i, v)) continue;
      g[i] = v;
      if (go(i + 1)) return true;
      g[i] = 0;
    }
    return false;
  };
  go(0);
  return count;
}

Deno.test("solver: famous puzzles have exactly one solution, valid and matching the clues", async () => {
  const s = new SudokuSolver();
  let n = 0;
  for await (const row of readSudokuCsv(FAMOUS)) {
    assertEquals(s.solve(row.puzzle, 2), 1, row.source);
    assert(isValidSolution(s.solution), row.source);
    assert(cluesMatch(row.puzzle, s.solution), row.source);
    assertEquals(Array.from(s.solution), Array.from(row.solution), row.source);
    assertEquals(s.solve(row.puzzle, 1), 1);
    n++;
  }
  assertEquals(n, 10);
});

Deno.test("solver: counts agree with plain backtracking on under-constrained puzzles", () => {
  const rng = new Rng(11);
  const s = new SudokuSolver();
  for (let t = 0; t < 12; t++) {
    const { puzzle } = randomMinimalPuzzle(rng, s);
    // Drop 1..3 clues: 1 to many solutions.
    const p = puzzle.slice();
    let drop = 1 + (t % 3);
    for (const c of rng.permutation(81)) {
      if (drop === 0) break;
      if (p[c] !== 0) {
        p[c] = 0;
        drop--;
      }
    }
    const want = bruteCount(p, 5);
    assertEquals(s.solve(p, 5), want, `puzzle ${t}`);
    s.lockedCandidates = false;
    assertEquals(s.solve(p, 5), want, `puzzle ${t} without locked candidates`);
    s.lockedCandidates = true;
  }
});

Deno.test("solver: limits, contradictions and candidate masks", () => {
  const s = new SudokuSolver();
  assertEquals(s.solve(new Uint8Array(81), 7), 7);
  assert(s.guesses > 0);
  const clash = new Uint8Array(81);
  clash[0] = 5;
  clash[8] = 5;
  assertEquals(s.solve(clash, 2), 0);
  const two = new Uint8Array(81);
  two[0] = 1;
  two[10] = 2;
  assertEquals(s.solve(two, 1), 1);
  assert(isValidSolution(s.solution) && cluesMatch(two, s.solution));
  const masks = new Uint16Array(81).fill(0x1ff);
  masks[0] = 0; // no candidate left
  assertEquals(s.countMasks(masks, 2), 0);
  const m2 = new Uint16Array(81).fill(0x1ff);
  m2[0] = 1;
  assert(s.propagate(m2));
  assertEquals(m2[1] & 1, 0, "a placed 1 leaves its row");
});

Deno.test("rating: singles-only puzzles rate 0, the famous hard ones need guesses", async () => {
  const s = new SudokuSolver();
  const easy = parseBoard(
    "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
  )!;
  assertEquals(rateSudoku(s, easy), 0);
  for await (const row of readSudokuCsv(FAMOUS)) {
    assertEquals(rateSudoku(s, row.puzzle), row.rating, row.source);
    if (["easter_monster", "golden_nugget", "platinum_blonde"].includes(row.source)) {
      assert(row.rating > 0, row.source);
    }
  }
});
