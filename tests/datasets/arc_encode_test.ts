import { assertEquals, assertThrows } from "@std/assert";
import { ARC_SEQ_LEN, cropTokens, encodeGrid } from "../../datasets/arc/encode.ts";
import { gridToRows } from "../../datasets/arc/invert.ts";
import type { Grid } from "../../datasets/grid.ts";

// golden.json was written by tests/fixtures/arc/make_golden.py with numpy, following the
// reference's padding and the arc_eval notebook's crop.
const golden = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/arc/golden.json", import.meta.url)),
) as {
  encodings: { grid: number[][]; r: number; c: number; tokens: number[] }[];
  crops: { tokens: number[]; grid: number[][] }[];
};

function toGrid(rows: number[][]): Grid {
  return { h: rows.length, w: rows[0].length, data: new Uint8Array(rows.flat()) };
}

Deno.test("encodeGrid matches the reference's canvas, EOS borders and offsets", () => {
  for (const { grid, r, c, tokens } of golden.encodings) {
    assertEquals(Array.from(encodeGrid(toGrid(grid), r, c)), tokens, `grid at (${r}, ${c})`);
  }
});

Deno.test("encodeGrid leaves the EOS corner as PAD and overwrites a dirty buffer", () => {
  const out = new Uint8Array(ARC_SEQ_LEN).fill(7);
  encodeGrid({ h: 2, w: 2, data: new Uint8Array([0, 1, 2, 3]) }, 1, 1, out);
  assertEquals(Array.from(out.subarray(30, 34)), [0, 2, 3, 1]);
  assertEquals(Array.from(out.subarray(90, 94)), [0, 1, 1, 0]); // corner (3, 3) stays PAD
  assertEquals(out.filter((x) => x === 7).length, 0);
});

Deno.test("encodeGrid refuses a grid that does not fit", () => {
  assertThrows(() => encodeGrid({ h: 3, w: 3, data: new Uint8Array(9) }, 28, 0), RangeError);
});

Deno.test("cropTokens matches the reference notebook's crop", () => {
  for (const [i, { tokens, grid }] of golden.crops.entries()) {
    const got = cropTokens(tokens);
    assertEquals(got.h === 0 ? [] : gridToRows(got), grid, `crop ${i}`);
  }
});

Deno.test("cropTokens of a canvas starting with PAD or EOS is empty", () => {
  assertEquals(cropTokens(new Uint8Array(ARC_SEQ_LEN)).h, 0);
  const t = encodeGrid({ h: 1, w: 1, data: new Uint8Array([4]) }, 0, 0);
  t[0] = 12; // out of vocabulary counts as a border too
  assertEquals(cropTokens(t).w, 0);
});
