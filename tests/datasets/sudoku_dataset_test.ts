import { assert, assertEquals } from "@std/assert";
import { readIdentifiers, readSplit } from "../../lib/io/dataset.ts";
import { cluesMatch, isValidSolution } from "../../datasets/sudoku/board.ts";
import { findEquivalentPairs } from "../../datasets/sudoku/canonical.ts";
import { readSudokuCsv } from "../../datasets/sudoku/csv.ts";
import { generateSudokuDataset, generateSudokuPuzzles } from "../../datasets/sudoku/dataset.ts";
import { SudokuSolver } from "../../datasets/sudoku/solver.ts";
import { rateSudoku } from "../../datasets/sudoku/rating.ts";
import { HARD_TIERS, runTask } from "../../datasets/sudoku/tasks.ts";
import { genSudoku } from "../../lib/cli/gen_sudoku.ts";

const untoken = (t: Uint8Array): Uint8Array => t.map((v) => v - 1);

Deno.test("dataset: round trip through the HRM layout, every puzzle unique with its label as solution", async () => {
  const out = await Deno.makeTempDir();
  const K = 3;
  const s = await generateSudokuDataset({
    out,
    train: 6,
    test: 4,
    aug: K,
    mix: 1,
    seed: 2,
    csv: true,
  });
  assertEquals(s.train.groups, 6);
  assertEquals(s.train.puzzles, 6 * (K + 1));
  assertEquals(await readIdentifiers(out), ["<blank>"]);
  const solver = new SudokuSolver();
  const originals: Record<string, Uint8Array[]> = { train: [], test: [] };
  for (const split of ["train", "test"] as const) {
    const { meta, arrays } = await readSplit(out, split);
    const per = split === "train" ? K + 1 : 1;
    const groups = split === "train" ? 6 : 4;
    assertEquals(meta, {
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      vocab_size: 11,
      seq_len: 81,
      num_puzzle_identifiers: 1,
      total_groups: groups,
      mean_puzzle_examples: 1,
      sets: ["all"],
    });
    assertEquals(
      Array.from(arrays.group_indices),
      Array.from({ length: groups + 1 }, (_, g) => g * per),
    );
    assertEquals(
      Array.from(arrays.puzzle_indices),
      Array.from({ length: groups * per + 1 }, (_, i) => i),
    );
    assert(arrays.puzzle_identifiers.every((v) => v === 0));
    for (let e = 0; e < groups * per; e++) {
      const input = untoken(arrays.inputs.subarray(e * 81, e * 81 + 81));
      const label = untoken(arrays.labels.subarray(e * 81, e * 81 + 81));
      assert(isValidSolution(label), `${split} example ${e}`);
      assert(cluesMatch(input, label), `${split} example ${e}`);
      assertEquals(solver.solve(input, 2), 1, `${split} example ${e} not unique`);
      assertEquals(Array.from(solver.solution), Array.from(label));
      if (e % per === 0) originals[split].push(input);
    }
  }
  assertEquals(findEquivalentPairs(originals.train, originals.test), []);
  // The CSV holds the originals in split order, with their ratings.
  let i = 0;
  for await (const row of readSudokuCsv(`${out}/train.csv`)) {
    assertEquals(Array.from(row.puzzle), Array.from(originals.train[i++]));
    assertEquals(row.rating, rateSudoku(solver, row.puzzle));
  }
  assertEquals(i, 6);
});

Deno.test("dataset: the same seed gives the same puzzles for any worker count", async () => {
  const opts = { train: 20, test: 10, mix: 1, seed: 7 };
  const a = await generateSudokuPuzzles({ ...opts, workers: 0 });
  const b = await generateSudokuPuzzles({ ...opts, workers: 2 });
  const text = (r: typeof a) =>
    JSON.stringify([...r.train, ...r.test].map((x) => [x.source, x.puzzle.join(""), x.rating]));
  assertEquals(text(a), text(b));
  const c = await generateSudokuPuzzles({ ...opts, seed: 8 });
  assert(text(a) !== text(c), "another seed, other puzzles");
});

Deno.test("tasks: hard pool puzzles are unique and at least as hard as their tier asks", () => {
  const solver = new SudokuSolver();
  const rows = runTask(
    { kind: "moderate", seed: 1, split: "train", index: 0, minRating: 0, limit: 1 },
    solver,
  );
  assertEquals(rows.length, 1);
  for (const r of rows) {
    assertEquals(solver.solve(r.puzzle, 2), 1);
    assertEquals(Array.from(solver.solution), Array.from(r.solution));
    assert(r.rating >= HARD_TIERS.moderate.minRating, `rating ${r.rating}`);
    assertEquals(r.rating, rateSudoku(solver, r.puzzle));
  }
});

Deno.test("cli: gen sudoku writes a dataset and rejects bad flags", async () => {
  const out = await Deno.makeTempDir();
  const flags = {
    out,
    train: 2,
    test: 1,
    aug: 1,
    seed: 0,
    workers: 0,
    "min-rating": 0,
    mix: 1,
    csv: false,
  };
  const log = console.log;
  console.log = () => {};
  try {
    await genSudoku.run({ flags, positionals: [], overrides: [], debug: false });
  } finally {
    console.log = log;
  }
  assertEquals((await readSplit(out, "train")).meta.total_groups, 2);
  for (const bad of [{ mix: 2 }, { train: -1 }, { out: "" }]) {
    const e = await genSudoku.run({
      flags: { ...flags, ...bad },
      positionals: [],
      overrides: [],
      debug: false,
    })
      .then(() => undefined, (err) => err);
    assert(e instanceof Error && e.name === "HrmError", JSON.stringify(bad));
  }
});
