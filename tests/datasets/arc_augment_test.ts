import { assert, assertEquals, assertNotEquals } from "@std/assert";
import {
  applyVariant,
  augmentPairs,
  contentHash,
  IDENTITY_VARIANT,
  invertVariant,
  parseVariantName,
  variantName,
} from "../../datasets/arc/augment.ts";
import { encodeGrid } from "../../datasets/arc/encode.ts";
import { gridToRows, invertPrediction } from "../../datasets/arc/invert.ts";
import type { ArcPair } from "../../datasets/arc/task.ts";
import type { Grid } from "../../datasets/grid.ts";
import { Rng } from "../../datasets/rng.ts";

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/arc/golden.json", import.meta.url)),
) as { augments: { name: string; grid: number[][]; augmented: number[][] }[] };

function toGrid(rows: number[][]): Grid {
  return { h: rows.length, w: rows[0].length, data: new Uint8Array(rows.flat()) };
}

function randomGrid(rng: Rng, h: number, w: number): Grid {
  return { h, w, data: Uint8Array.from({ length: h * w }, () => rng.int(10)) };
}

function randomColours(rng: Rng): number[] {
  return [0, ...rng.permutation(9).map((x) => x + 1)];
}

Deno.test("a reference variant name parses into the transform numpy applied", () => {
  for (const { name, grid, augmented } of golden.augments) {
    const { task, variant } = parseVariantName(name);
    assertEquals(task, "abc123");
    assertEquals(variantName(task, variant), name);
    assertEquals(gridToRows(applyVariant(toGrid(grid), variant)), augmented, name);
    assertEquals(gridToRows(invertVariant(toGrid(augmented), variant)), grid, name);
  }
});

Deno.test("every dihedral id × random colour maps inverts exactly, also through tokens", () => {
  const rng = new Rng(11);
  for (let t = 0; t < 8; t++) {
    for (let k = 0; k < 20; k++) {
      const g = randomGrid(rng, 1 + rng.int(30), 1 + rng.int(30));
      const v = { t, colours: randomColours(rng) };
      const moved = applyVariant(g, v);
      assertEquals(invertVariant(moved, v), g, `t=${t}`);
      assertEquals(invertPrediction(encodeGrid(moved), v), gridToRows(g), `tokens t=${t}`);
      // The name alone is enough to invert.
      const parsed = parseVariantName(variantName("task_with_underscores", v));
      assertEquals(parsed.task, "task_with_underscores");
      assertEquals(invertVariant(moved, parsed.variant), g);
    }
  }
});

Deno.test("a name without a variant suffix is the original task", () => {
  const { task, variant } = parseVariantName("AboveBelow1");
  assertEquals(task, "AboveBelow1");
  assertEquals(variant, IDENTITY_VARIANT);
  assertEquals(variantName("AboveBelow1", null), "AboveBelow1");
});

Deno.test("augmentPairs keeps the original first and only distinct contents", () => {
  const rng = new Rng(3);
  const pairs: ArcPair[] = [
    { input: randomGrid(rng, 3, 4), output: randomGrid(rng, 2, 2) },
    { input: randomGrid(rng, 5, 1), output: null },
  ];
  const got = augmentPairs(pairs, 50, new Rng(5));
  assertEquals(got.length, 51);
  assertEquals(got[0].variant, IDENTITY_VARIANT);
  assert(got[0].pairs === pairs);
  const hashes = new Set(got.map((g) => contentHash(g.pairs)));
  assertEquals(hashes.size, got.length);
  const names = new Set(got.map((g) => variantName("x", g.variant)));
  assertEquals(names.size, got.length);
  assertEquals(got[7].pairs[1].output, null);
  // The build's fused transform agrees with applyVariant on every kept variant.
  for (const { variant, pairs: moved } of got) {
    pairs.forEach((p, i) => {
      assertEquals(moved[i].input, applyVariant(p.input, variant));
      if (p.output) assertEquals(moved[i].output, applyVariant(p.output, variant));
    });
  }
});

Deno.test("augmentPairs stops at the distinct variants a symmetric task has", () => {
  // A 2×2 checkerboard of colours 0 and 1 is symmetric under 4 of the 8 transforms and only
  // colour 1 can move: 2 shapes × 9 colours = 18 distinct contents in all.
  const g = { h: 2, w: 2, data: new Uint8Array([1, 0, 0, 1]) };
  const got = augmentPairs([{ input: g, output: g }], 1000, new Rng(1));
  assertEquals(got.length, 18);
  assertEquals(new Set(got.map((x) => contentHash(x.pairs))).size, 18);
});

Deno.test("augmentPairs is a function of the seed", () => {
  const pairs: ArcPair[] = [{ input: randomGrid(new Rng(1), 4, 4), output: null }];
  const a = augmentPairs(pairs, 10, new Rng(9)).map((x) => variantName("t", x.variant));
  const b = augmentPairs(pairs, 10, new Rng(9)).map((x) => variantName("t", x.variant));
  const c = augmentPairs(pairs, 10, new Rng(10)).map((x) => variantName("t", x.variant));
  assertEquals(a, b);
  assertNotEquals(a, c);
});

Deno.test("contentHash ignores pair order but not shape", () => {
  const a = { h: 1, w: 2, data: new Uint8Array([1, 2]) };
  const b = { h: 2, w: 1, data: new Uint8Array([1, 2]) };
  const p1 = { input: a, output: b }, p2 = { input: b, output: a };
  assertEquals(contentHash([p1, p2]), contentHash([p2, p1]));
  assertNotEquals(contentHash([{ input: a, output: a }]), contentHash([{ input: b, output: b }]));
});
