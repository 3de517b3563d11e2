// The training sampler: the reference's _iter_train semantics (one random puzzle per group
// visit, examples without replacement, puzzles cut at batch boundaries, the incomplete last
// batch dropped), on typed arrays so millions of groups work.
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { type SamplerSource, trainBatches, trainBatchIndices } from "../../lib/train/sampler.ts";

/** A source with the given examples per puzzle and puzzles per group; seq_len 1. */
function source(groups: number[][]): SamplerSource {
  const puzzleSizes = groups.flat();
  const n = puzzleSizes.reduce((a, b) => a + b, 0);
  const puzzle_indices = new Int32Array(puzzleSizes.length + 1);
  puzzleSizes.forEach((s, i) => puzzle_indices[i + 1] = puzzle_indices[i] + s);
  const group_indices = new Int32Array(groups.length + 1);
  groups.forEach((g, i) => group_indices[i + 1] = group_indices[i] + g.length);
  const inputs = new Uint8Array(n).map((_, i) => i % 251);
  return {
    inputs,
    labels: inputs,
    puzzle_identifiers: Int32Array.from(puzzleSizes, (_, i) => i),
    puzzle_indices,
    group_indices,
    seq_len: 1,
    pad_id: 0,
    ignore_label_id: null,
    blank_identifier_id: 0,
  };
}

Deno.test("sampler: 3 million groups (Sudoku-Hard full size) do not overflow the stack", () => {
  const G = 3_000_000, B = 500_000;
  const puzzle_indices = new Int32Array(G + 1).map((_, i) => i);
  const src: SamplerSource = {
    inputs: new Uint8Array(G),
    labels: new Uint8Array(G),
    puzzle_identifiers: puzzle_indices.subarray(0, G),
    puzzle_indices,
    group_indices: puzzle_indices,
    seq_len: 1,
    pad_id: 0,
    ignore_label_id: null,
    blank_identifier_id: 0,
  };
  const seen = new Uint8Array(G);
  let batches = 0;
  for (const b of trainBatches(src, B, 0, 1, 2)) {
    assertEquals(b.effective, B);
    // The first 6 batches are epoch 1: every group exactly once.
    if (batches < 6) { for (const p of b.puzzle_identifiers) seen[p]++; }
    batches++;
  }
  assertEquals(batches, 12);
  assert(seen.every((c) => c === 1), "epoch 1 visits every group once");
});

Deno.test("sampler: one puzzle per group visit, examples without replacement, cut at the batch edge", () => {
  const groups = [[3, 1], [5], [2, 2, 4], [1], [6, 1]];
  const src = source(groups);
  const B = 7;
  const E = 3;
  let rows = 0;
  for (const b of trainBatchIndices(src, B, 5, 2, E)) {
    assertEquals(b.examples.length, B);
    for (let r = 0; r < B; r++) {
      const p = b.puzzles[r], e = b.examples[r];
      assert(e >= src.puzzle_indices[p] && e < src.puzzle_indices[p + 1], `row ${r}`);
    }
    // Consecutive rows of one puzzle are distinct examples.
    for (let r = 1; r < B; r++) {
      if (b.puzzles[r] === b.puzzles[r - 1]) {
        const run = new Set<number>();
        let k = r - 1;
        while (k < B && b.puzzles[k] === b.puzzles[r]) run.add(b.examples[k++]);
        assertEquals(run.size, k - (r - 1));
      }
    }
    rows += B;
  }
  // At most E · (the largest puzzle of each group) examples exist; the incomplete batch is dropped.
  assert(rows <= E * (3 + 5 + 4 + 1 + 6));
  assert(rows > 0);
});

Deno.test("sampler: the same seed and iteration give the same batches; skip drops the first ones", () => {
  const src = source([[2, 3], [4], [1, 1], [3], [2]]);
  const all = [...trainBatches(src, 4, 9, 3, 4)];
  const again = [...trainBatches(src, 4, 9, 3, 4)];
  assertEquals(again, all);
  assertEquals([...trainBatches(src, 4, 9, 3, 4, 2)], all.slice(2));
  assertNotEquals([...trainBatches(src, 4, 9, 4, 4)], all);
});
