import { assert, assertEquals } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import {
  applySymmetry,
  randomSymmetry,
  shuffleSudoku,
  type SudokuSymmetry,
} from "../../datasets/sudoku/augment.ts";
import { cluesMatch, countClues, isValidSolution } from "../../datasets/sudoku/board.ts";
import { randomMinimalPuzzle } from "../../datasets/sudoku/generate.ts";
import { SudokuSolver } from "../../datasets/sudoku/solver.ts";

/** The reference's shuffle_sudoku, transcribed literally: x.T, flatten()[mapping], digit_map[...]. */
function referenceApply(sym: SudokuSymmetry, board: Uint8Array): Uint8Array {
  let x = Array.from({ length: 9 }, (_, r) => Array.from(board.subarray(r * 9, r * 9 + 9)));
  if (sym.transpose) x = x[0].map((_, c) => x.map((row) => row[c]));
  const flat = x.flat();
  const mapping = Array.from(
    { length: 81 },
    (_, i) => sym.rowPerm[(i / 9) | 0] * 9 + sym.colPerm[i % 9],
  );
  return Uint8Array.from(mapping.map((m) => sym.digitMap[flat[m]]));
}

Deno.test("augment: symmetries are valid: solutions stay sudokus, clues map onto them, uniqueness kept", () => {
  const rng = new Rng(3);
  const solver = new SudokuSolver();
  for (let t = 0; t < 6; t++) {
    const { puzzle, solution } = randomMinimalPuzzle(rng, solver);
    for (let k = 0; k < 40; k++) {
      const a = shuffleSudoku(rng, puzzle, solution);
      assert(isValidSolution(a.solution), `puzzle ${t} aug ${k}: solution invalid`);
      assert(cluesMatch(a.puzzle, a.solution), `puzzle ${t} aug ${k}: clue off its solution`);
      assertEquals(countClues(a.puzzle), countClues(puzzle));
      if (k < 5) {
        assertEquals(solver.solve(a.puzzle, 2), 1);
        assertEquals(Array.from(solver.solution), Array.from(a.solution));
      }
    }
  }
});

Deno.test("augment: draws match the reference's family and application order", () => {
  const rng = new Rng(5);
  let transposed = 0;
  const board = Uint8Array.from({ length: 81 }, (_, i) => (i * 7) % 10);
  for (let k = 0; k < 400; k++) {
    const sym = randomSymmetry(rng);
    assertEquals(sym.digitMap[0], 0, "blank stays blank");
    assertEquals([...sym.digitMap.slice(1)].sort().join(""), "123456789");
    for (const perm of [sym.rowPerm, sym.colPerm]) {
      assertEquals([...perm].sort().join(""), "012345678");
      for (let b = 0; b < 3; b++) {
        const band = Math.floor(perm[b * 3] / 3);
        for (let j = 1; j < 3; j++) assertEquals(Math.floor(perm[b * 3 + j] / 3), band);
      }
    }
    if (sym.transpose) transposed++;
    assertEquals(Array.from(applySymmetry(sym, board)), Array.from(referenceApply(sym, board)));
  }
  assert(transposed > 150 && transposed < 250, `transpose rate ${transposed}/400`);
});

Deno.test("augment: same seed, same symmetry", () => {
  const a = randomSymmetry(new Rng(9)), b = randomSymmetry(new Rng(9));
  assertEquals(a, b);
});
