// Mini Sudoku (4×4) for the demo: enumeration, uniqueness, symmetry classes, disjoint splits.
import { assert, assertEquals } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import {
  countMiniSolutions,
  generateMiniSudokuDataset,
  MINI_GRIDS,
  miniCanonical,
  randomMiniPuzzle,
  shuffleMini,
} from "../../datasets/sudoku/mini.ts";
import { readSplit } from "../../lib/io/dataset.ts";

Deno.test("mini sudoku: 288 grids, each a valid 4×4 Sudoku", () => {
  assertEquals(MINI_GRIDS.length, 288);
  for (const g of MINI_GRIDS) {
    for (let k = 0; k < 4; k++) {
      const row = new Set([0, 1, 2, 3].map((c) => g[k * 4 + c]));
      const col = new Set([0, 1, 2, 3].map((r) => g[r * 4 + k]));
      const br = (k >> 1) * 2, bc = (k & 1) * 2;
      const box = new Set([0, 1, 2, 3].map((i) => g[(br + (i >> 1)) * 4 + bc + (i & 1)]));
      assertEquals([row.size, col.size, box.size], [4, 4, 4]);
    }
  }
});

Deno.test("mini sudoku: random puzzles have exactly one solution, equal to the label", () => {
  const rng = new Rng(5);
  for (let i = 0; i < 50; i++) {
    const { puzzle, solution } = randomMiniPuzzle(rng, i % 5);
    assertEquals(countMiniSolutions(puzzle), 1);
    assert(puzzle.every((v, j) => v === 0 || v === solution[j]));
    assert(MINI_GRIDS.some((g) => g.every((v, j) => v === solution[j])));
  }
});

Deno.test("mini sudoku: canonical form is invariant under symmetries and separates others", () => {
  const rng = new Rng(9);
  const { puzzle } = randomMiniPuzzle(rng, 2);
  const t = new Uint8Array(16); // transpose + relabel 1↔2
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) t[c * 4 + r] = [0, 2, 1, 3, 4][puzzle[r * 4 + c]];
  }
  assertEquals(miniCanonical(t), miniCanonical(puzzle));
  const other = randomMiniPuzzle(rng, 0).puzzle;
  const fewer = puzzle.filter((v) => v).length !== other.filter((v) => v).length;
  if (fewer) assert(miniCanonical(other) !== miniCanonical(puzzle));
});

Deno.test("mini sudoku: dataset splits are symmetry-disjoint and load back", async () => {
  const out = await Deno.makeTempDir();
  const r = await generateMiniSudokuDataset({ out, train: 60, test: 20, extraClues: 4, seed: 3 });
  assertEquals([r.train, r.test], [60, 20]);
  const train = await readSplit(out, "train"), test = await readSplit(out, "test");
  assertEquals([train.meta.vocab_size, train.meta.seq_len], [6, 16]);
  const classes = (s: typeof train) =>
    Array.from(
      { length: s.arrays.inputs.length / 16 },
      (_, i) =>
        miniCanonical(Array.from(s.arrays.inputs.subarray(i * 16, i * 16 + 16), (t) => t - 1)),
    );
  const trainSet = new Set(classes(train));
  assert(classes(test).every((c) => !trainSet.has(c)));
  await Deno.remove(out, { recursive: true });
});

Deno.test("mini sudoku: augmentation keeps puzzles valid, unique and in the original's class", async () => {
  const rng = new Rng(11);
  for (let i = 0; i < 30; i++) {
    const p = randomMiniPuzzle(rng, 3);
    const v = shuffleMini(rng, p);
    assertEquals(countMiniSolutions(v.puzzle), 1);
    assert(v.puzzle.every((x, j) => x === 0 || x === v.solution[j]));
    assert(MINI_GRIDS.some((g) => g.every((x, j) => x === v.solution[j])));
    assertEquals(miniCanonical(v.puzzle), miniCanonical(p.puzzle));
  }
  const out = await Deno.makeTempDir();
  await generateMiniSudokuDataset({ out, train: 10, test: 5, aug: 3, seed: 1 });
  const train = await readSplit(out, "train"), test = await readSplit(out, "test");
  assertEquals([train.meta.total_groups, train.arrays.puzzle_identifiers.length], [10, 40]);
  assertEquals([test.meta.total_groups, test.arrays.puzzle_identifiers.length], [5, 5]);
  await Deno.remove(out, { recursive: true });
});
