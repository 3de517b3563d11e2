import { assert, assertEquals } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import { cluesMatch, countClues, isValidSolution } from "../../datasets/sudoku/board.ts";
import { constrain, minimize, randomMinimalPuzzle } from "../../datasets/sudoku/generate.ts";
import { HardPool } from "../../datasets/sudoku/hard_pool.ts";
import { SudokuSolver } from "../../datasets/sudoku/solver.ts";

Deno.test("generate: random minimal puzzles are unique and minimal", () => {
  const rng = new Rng(1), s = new SudokuSolver();
  for (let t = 0; t < 8; t++) {
    const { puzzle, solution } = randomMinimalPuzzle(rng, s);
    assertEquals(s.solve(puzzle, 2), 1);
    assertEquals(Array.from(s.solution), Array.from(solution));
    assert(isValidSolution(solution) && cluesMatch(puzzle, solution));
    const n = countClues(puzzle);
    assert(n >= 17 && n <= 35, `${n} clues`);
    for (let c = 0; c < 81; c++) {
      if (puzzle[c] === 0) continue;
      const q = puzzle.slice();
      q[c] = 0;
      assertEquals(s.solve(q, 2), 2, `puzzle ${t}: clue ${c} is redundant`);
    }
  }
});

Deno.test("generate: constrain completes a partial puzzle to a unique one, minimize keeps it unique", () => {
  const rng = new Rng(2), s = new SudokuSolver();
  const { puzzle, solution } = randomMinimalPuzzle(rng, s);
  const p = puzzle.slice();
  for (const c of [...p.keys()].filter((i) => p[i] !== 0).slice(0, 6)) p[c] = 0;
  const kept = p.slice();
  assert(constrain(rng, s, p));
  assertEquals(s.solve(p, 2), 1);
  for (let c = 0; c < 81; c++) if (kept[c] !== 0) assertEquals(p[c], kept[c], "old clues stay");
  minimize(rng, s, p);
  assertEquals(s.solve(p, 2), 1);
  // A contradictory start cannot be constrained.
  const bad = new Uint8Array(81);
  bad[0] = bad[1] = solution[0];
  assert(!constrain(rng, s, bad));
});

Deno.test("hard pool: members stay unique and distinct, and the pool gets harder", () => {
  const s = new SudokuSolver();
  const pool = new HardPool(new Rng(3), s, { poolSize: 6 });
  const before = pool.entries.reduce((a, e) => a + Math.log1p(e.geoGuesses), 0);
  for (let i = 0; i < 150; i++) pool.step();
  const after = pool.entries.reduce((a, e) => a + Math.log1p(e.geoGuesses), 0);
  assert(pool.accepted > 0);
  assert(after > before, `${after} <= ${before}`);
  assertEquals(new Set(pool.entries.map((e) => e.key)).size, 6);
  for (const e of pool.entries) {
    assertEquals(s.solve(e.puzzle, 2), 1);
    assertEquals(Array.from(s.solution), Array.from(e.solution));
  }
});
