// `hrm gen sudoku --mini` writes the demo's 4×4 dataset.
import { assertEquals } from "@std/assert";
import { main } from "../../cli.ts";
import { readSplit } from "../../lib/io/dataset.ts";

Deno.test("hrm gen sudoku --mini: 4×4 splits with augmented training groups", async () => {
  const out = await Deno.makeTempDir();
  const code = await main([
    "gen",
    "sudoku",
    "--mini",
    "--out",
    out,
    "--train",
    "20",
    "--test",
    "5",
    "--aug",
    "1",
  ]);
  assertEquals(code, 0);
  const train = await readSplit(out, "train"), test = await readSplit(out, "test");
  assertEquals([train.meta.vocab_size, train.meta.seq_len], [6, 16]);
  assertEquals([train.meta.total_groups, train.arrays.puzzle_identifiers.length], [20, 40]);
  assertEquals(test.arrays.inputs.length, 5 * 16);
  await Deno.remove(out, { recursive: true });
});
