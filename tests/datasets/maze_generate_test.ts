// generateMazeDataset and `hrm gen maze`: the reference layout, the same bytes for any worker
// count, disjoint train/test layouts, augmentation groups, and user errors.
import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { readIdentifiers, readSplit } from "../../lib/io/dataset.ts";
import { parseCommandArgs } from "../../lib/cli/parse.ts";
import { defaultMinPath, genMaze } from "../../lib/cli/gen_maze.ts";
import { generateMazeDataset, layoutKey } from "../../datasets/maze/generate.ts";
import { checkMazePath } from "../../datasets/maze/check.ts";
import { dihedral } from "../../datasets/grid.ts";

const SMALL = { size: 8, minPath: 10, train: 6, test: 4, seed: 3 };

async function files(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const split of ["train", "test"]) {
    for await (const e of Deno.readDir(`${dir}/${split}`)) {
      out.set(`${split}/${e.name}`, await Deno.readFile(`${dir}/${split}/${e.name}`));
    }
  }
  out.set("identifiers.json", await Deno.readFile(`${dir}/identifiers.json`));
  return out;
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("gen maze: reference layout, labels are optimal paths, splits share no layout", () =>
  withTemp(async (dir) => {
    const progress: number[] = [];
    const s = await generateMazeDataset({
      out: dir,
      ...SMALL,
      aug: false,
      workers: 0,
      onProgress: (done, total) => progress.push(done / total),
    });
    assertEquals(s.mazes, { train: 6, test: 4 });
    assertEquals(s.puzzles, { train: 6, test: 4 });
    assert(s.moves.min > 10 && s.moves.max >= s.moves.mean, JSON.stringify(s.moves));
    assert(s.trials >= 10);
    assertEquals(progress.at(-1), 1);
    assertEquals(await readIdentifiers(dir), ["<blank>"]);
    const keys = new Set<string>();
    for (const split of ["train", "test"] as const) {
      const { meta, arrays } = await readSplit(dir, split);
      const n = split === "train" ? 6 : 4;
      assertEquals(meta, {
        pad_id: 0,
        ignore_label_id: 0,
        blank_identifier_id: 0,
        vocab_size: 6,
        seq_len: 64,
        num_puzzle_identifiers: 1,
        total_groups: n,
        mean_puzzle_examples: 1,
        sets: ["all"],
      });
      assertEquals([...arrays.puzzle_indices], Array.from({ length: n + 1 }, (_, i) => i));
      assertEquals([...arrays.group_indices], Array.from({ length: n + 1 }, (_, i) => i));
      for (let i = 0; i < n; i++) {
        const input = arrays.inputs.subarray(i * 64, (i + 1) * 64);
        const label = arrays.labels.subarray(i * 64, (i + 1) * 64);
        assertEquals(checkMazePath(input, label, 8), { valid: true, optimal: true });
        assert(label.filter((t) => t === 5).length >= 10); // > 10 moves: >= 10 'o' cells
        keys.add(layoutKey(input, 8));
      }
    }
    assertEquals(keys.size, 10); // one maze per layout, none shared between train and test
  }));

Deno.test("gen maze: the same seed gives the same bytes with 0, 1 or 3 workers", () =>
  withTemp(async (dir) => {
    const opts = { ...SMALL, aug: true };
    await generateMazeDataset({ ...opts, out: `${dir}/w0`, workers: 0 });
    await generateMazeDataset({ ...opts, out: `${dir}/w1`, workers: 1 });
    await generateMazeDataset({ ...opts, out: `${dir}/w3`, workers: 3 });
    await generateMazeDataset({ ...opts, seed: 4, out: `${dir}/s4`, workers: 0 });
    const w0 = await files(`${dir}/w0`);
    assertEquals(w0.size, 13); // 6 files per split and identifiers.json
    assertEquals(await files(`${dir}/w1`), w0);
    assertEquals(await files(`${dir}/w3`), w0);
    assertNotEquals(
      (await files(`${dir}/s4`)).get("train/all__inputs.npy"),
      w0.get("train/all__inputs.npy"),
    );
  }));

Deno.test("gen maze: --aug makes groups of the 8 dihedral images, train only", () =>
  withTemp(async (dir) => {
    const s = await generateMazeDataset({ out: dir, ...SMALL, aug: true, workers: 0 });
    assertEquals(s.puzzles, { train: 48, test: 4 });
    const train = await readSplit(dir, "train");
    assertEquals(train.meta.total_groups, 6);
    assertEquals(train.meta.mean_puzzle_examples, 1);
    assertEquals([...train.arrays.group_indices], [0, 8, 16, 24, 32, 40, 48]);
    const at = (a: Uint8Array, i: number) => a.subarray(i * 64, (i + 1) * 64);
    for (const g of [0, 5]) {
      const input = at(train.arrays.inputs, 8 * g), label = at(train.arrays.labels, 8 * g);
      for (let t = 0; t < 8; t++) {
        assertEquals(
          at(train.arrays.inputs, 8 * g + t),
          dihedral({ h: 8, w: 8, data: input }, t).data,
        );
        assertEquals(
          at(train.arrays.labels, 8 * g + t),
          dihedral({ h: 8, w: 8, data: label }, t).data,
        );
      }
    }
    assertEquals((await readSplit(dir, "test")).meta.total_groups, 4);
  }));

Deno.test("gen maze: tiny grids work; too few layouts and impossible lengths are HrmErrors", () =>
  withTemp(async (dir) => {
    // 3x3 gets no walls (9 // 10 = 0); its longest shortest path is corner to corner, 4 moves
    const s = await generateMazeDataset({
      out: `${dir}/a`,
      size: 3,
      minPath: 3,
      train: 1,
      test: 0,
      aug: false,
      seed: 1,
      workers: 0,
    });
    assertEquals(s.moves.min, 4);
    // every 3x3 maze has the same (empty) layout: a second one is a duplicate forever
    await assertRejects(
      () =>
        generateMazeDataset({
          out: `${dir}/b`,
          size: 3,
          minPath: 3,
          train: 1,
          test: 1,
          aug: false,
          seed: 1,
          workers: 0,
        }),
      HrmError,
      "only 1 distinct 3x3 wall layouts found for 2 mazes",
    );
    await assertRejects(
      () =>
        generateMazeDataset({
          out: `${dir}/c`,
          size: 8,
          minPath: 40,
          train: 1,
          test: 0,
          aug: false,
          seed: 1,
          workers: 0,
          maxTrials: 500,
        }),
      HrmError,
      "no 8x8 maze with a path of more than 40 moves in 500 draws; lower --min-path",
    );
    await assertRejects(
      () => generateMazeDataset({ out: `${dir}/d`, ...SMALL, minPath: 70, aug: false }),
      HrmError,
      "too few for a path of more than 70 moves",
    );
    // nothing was published for the failed runs
    for (const d of ["b", "c", "d"]) {
      await assertRejects(() => readSplit(`${dir}/${d}`, "train"), HrmError);
    }
  }));

Deno.test("hrm gen maze: flags reach the generator; --out is required; --from-csv imports", () =>
  withTemp(async (dir) => {
    const run = (args: string[]) => genMaze.run(parseCommandArgs(genMaze, args, false));
    const argv = ["--out", `${dir}/g`, "--size", "8", "--min-path", "10", "--train", "3"];
    await run([...argv, "--test", "2", "--seed", "3", "--workers", "0"]);
    const train = await readSplit(`${dir}/g`, "train");
    assertEquals(train.meta.seq_len, 64);
    assertEquals(train.meta.total_groups, 3);
    // the first maze is the same as the library call's with the same seed
    await generateMazeDataset({ out: `${dir}/h`, ...SMALL, train: 3, test: 2, aug: false });
    assertEquals((await readSplit(`${dir}/h`, "train")).arrays.inputs, train.arrays.inputs);
    const e = await assertRejects(() => run(["--size", "8"]), HrmError, "needs --out");
    assertEquals(e.exitCode, 2);
    await assertRejects(() => run(["--out", `${dir}/x`, "--train", "1.5"]), HrmError, "--train");
    const csv = new URL("../fixtures/maze/", import.meta.url).pathname;
    await run(["--out", `${dir}/csv`, "--from-csv", csv, "--aug"]);
    assertEquals((await readSplit(`${dir}/csv`, "train")).meta.total_groups, 4);
    assertEquals(defaultMinPath(30), 110);
    assertEquals(defaultMinPath(12), 17);
  }));
