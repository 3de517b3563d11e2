import { assert, assertEquals } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import { applySymmetry, randomSymmetry } from "../../datasets/sudoku/augment.ts";
import {
  areEquivalent,
  findEquivalentPairs,
  invariantKey,
  SymmetrySet,
} from "../../datasets/sudoku/canonical.ts";
import { randomMinimalPuzzle } from "../../datasets/sudoku/generate.ts";
import { SudokuSolver } from "../../datasets/sudoku/solver.ts";

function puzzles(seed: number, n: number): Uint8Array[] {
  const rng = new Rng(seed), s = new SudokuSolver();
  return Array.from({ length: n }, () => randomMinimalPuzzle(rng, s).puzzle);
}

Deno.test("canonical: every symmetry of a puzzle is recognised, with an equal invariant key", () => {
  const rng = new Rng(1);
  for (const p of puzzles(2, 8)) {
    for (let k = 0; k < 10; k++) {
      const q = applySymmetry(randomSymmetry(rng), p);
      assertEquals(invariantKey(q), invariantKey(p));
      assert(areEquivalent(p, q));
      assert(areEquivalent(q, p));
    }
  }
});

Deno.test("canonical: distinct puzzles are not equivalent, including a same-pattern digit swap", () => {
  const ps = puzzles(3, 10);
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) assert(!areEquivalent(ps[i], ps[j]), `${i} vs ${j}`);
  }
  // Same clue pattern and digit counts, two clues of different digits exchanged.
  const p = ps[0];
  const clues = [...p.keys()].filter((i) => p[i] !== 0);
  const a = clues[0], b = clues.find((i) => p[i] !== p[a])!;
  const q = p.slice();
  [q[a], q[b]] = [p[b], p[a]];
  assert(!areEquivalent(p, q), "swapped digits");
  assert(!areEquivalent(p, Uint8Array.from(p, (v, i) => (i === a ? 0 : v))), "a removed clue");
});

Deno.test("canonical: the train/test check catches an equivalent pair", () => {
  const rng = new Rng(4);
  const train = puzzles(5, 12);
  const test = puzzles(6, 6);
  assertEquals(findEquivalentPairs(train, test), []);
  // Smuggle a permuted, relabelled, possibly transposed train puzzle into test.
  test[3] = applySymmetry(randomSymmetry(rng), train[7]);
  assertEquals(findEquivalentPairs(train, test), [[7, 3]]);
  const set = new SymmetrySet();
  for (const p of train) assert(set.add(p));
  assertEquals(set.size, 12);
  assert(set.has(test[3]));
  assert(!set.add(test[3]), "an equivalent copy is not added");
  assert(!set.has(test[0]));
});
