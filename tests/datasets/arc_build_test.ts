import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { readIdentifiers, readSplit } from "../../lib/io/dataset.ts";
import { buildArcDataset } from "../../datasets/arc/build.ts";
import { parseVariantName } from "../../datasets/arc/augment.ts";
import { cropTokens } from "../../datasets/arc/encode.ts";
import { invertPrediction, readArcVariants } from "../../datasets/arc/invert.ts";
import { genArc } from "../../lib/cli/gen_arc.ts";

const FIXTURES = new URL("../fixtures/arc/", import.meta.url).pathname;
const ARC1 = [join(FIXTURES, "ARC-AGI-1"), join(FIXTURES, "ConceptARC/corpus")];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = join(prefix, e.name);
    if (e.isDirectory) out.push(...await listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("ARC build round-trips through readSplit and inverts every test variant", async () => {
  await withTempDir(async (out) => {
    const s = await buildArcDataset({
      sources: ARC1,
      out,
      aug: 12,
      seed: 42,
      workers: 0,
      progress: false,
    });
    assertEquals([s.tasks, s.testTasks, s.leaks.length], [5, 2, 0]);
    const train = await readSplit(out, "train");
    const test = await readSplit(out, "test");
    const names = await readIdentifiers(out);
    const variants = await readArcVariants(out);
    for (const split of [train, test]) {
      assertEquals(
        [split.meta.seq_len, split.meta.vocab_size, split.meta.pad_id, split.meta.ignore_label_id],
        [900, 12, 0, 0],
      );
      assertEquals(split.meta.num_puzzle_identifiers, names.length);
    }
    assertEquals(names.length, s.numPuzzleIdentifiers);
    assertEquals(names[0], "<blank>");
    assertEquals(train.meta.total_groups, 5);
    assertEquals(test.meta.total_groups, 2);
    assertEquals(train.arrays.puzzle_identifiers.length, s.trainPuzzles);
    assertEquals(train.arrays.inputs.length / 900, s.trainExamples);
    // Identifiers number the train split's puzzles in order from 1.
    assertEquals(Array.from(train.arrays.puzzle_identifiers), names.slice(1).map((_, i) => i + 1));
    assertEquals(new Set(names).size, names.length);
    // Every test puzzle reuses the identifier of its variant's train puzzle and inverts exactly.
    assertEquals(variants.puzzles.length, test.arrays.puzzle_identifiers.length);
    assertEquals(variants.tasks.map((t) => t.name), ["00576224", "66e6c45b"]);
    const { inputs, labels, puzzle_indices } = test.arrays;
    variants.puzzles.forEach((p, i) => {
      assertEquals(p.puzzle_identifier, test.arrays.puzzle_identifiers[i]);
      const { task, variant } = parseVariantName(names[p.puzzle_identifier]);
      const meta = variants.tasks[p.task];
      assertEquals(task, meta.name);
      assertEquals([variant.t, Array.from(variant.colours)], [p.t, p.colours]);
      for (let e = puzzle_indices[i]; e < puzzle_indices[i + 1]; e++) {
        const j = e - puzzle_indices[i];
        const row = (a: Uint8Array) => a.subarray(e * 900, (e + 1) * 900);
        assertEquals(invertPrediction(row(inputs), p), meta.test_inputs[j]);
        assertEquals(invertPrediction(row(labels), p), meta.test_outputs[j]);
      }
    });
    const first = await Deno.readTextFile(join(FIXTURES, "ARC-AGI-1/evaluation/00576224.json"));
    assertEquals(variants.tasks[0].test_outputs[0], JSON.parse(first).test[0].output);
    // Exactly one train example per puzzle is guaranteed at the origin.
    for (let p = 0; p < train.arrays.puzzle_identifiers.length; p++) {
      let atOrigin = 0;
      for (let e = train.arrays.puzzle_indices[p]; e < train.arrays.puzzle_indices[p + 1]; e++) {
        if (cropTokens(train.arrays.inputs.subarray(e * 900, (e + 1) * 900)).h > 0) atOrigin++;
      }
      assert(atOrigin >= 1, `train puzzle ${p} has no example at (0, 0)`);
    }
  });
});

Deno.test("ARC build output is byte-identical for 0 and 2 workers", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a"), b = join(dir, "b");
    await buildArcDataset({ sources: ARC1, out: a, aug: 6, workers: 0, progress: false });
    await buildArcDataset({ sources: ARC1, out: b, aug: 6, workers: 2, progress: false });
    const files = await listFiles(a);
    assertEquals(files, await listFiles(b));
    assert(files.includes("arc_variants.json") && files.includes("test/all__inputs.npy"));
    for (const f of files) {
      assertEquals(await Deno.readFile(join(a, f)), await Deno.readFile(join(b, f)), f);
    }
  });
});

Deno.test("ARC build warns loudly about a test task found in training data", async () => {
  await withTempDir(async (out) => {
    const logged: string[] = [];
    const s = await buildArcDataset({
      sources: [join(FIXTURES, "ARC-AGI-2"), join(FIXTURES, "ARC-AGI-1/evaluation")],
      out,
      aug: 2,
      workers: 0,
      progress: false,
      log: (m) => logged.push(m),
    });
    assertEquals(s.leaks.map((l) => l.task), ["00576224"]);
    const warning = logged.find((m) => m.includes("TEST-SET LEAK"));
    assert(warning !== undefined, `no leak warning in ${JSON.stringify(logged)}`);
    assertStringIncludes(warning, "ARC-AGI-2/training/00576224.json");
    // The clash keeps the test task's name; the training copy is renamed.
    assertEquals((await readArcVariants(out)).tasks.map((t) => t.name), ["00576224", "66e6c45b"]);
    assert((await readIdentifiers(out)).includes("00576224-2"));
  });
});

Deno.test("ARC build of a bad source writes nothing", async () => {
  await withTempDir(async (dir) => {
    const src = join(dir, "src", "training");
    await Deno.mkdir(src, { recursive: true });
    await Deno.copyFile(join(FIXTURES, "ARC-AGI-1/training/6150a2bd.json"), join(src, "a.json"));
    await Deno.writeTextFile(
      join(src, "b.json"),
      '{"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": []}',
    );
    const out = join(dir, "out");
    const e = await assertRejects(
      () =>
        buildArcDataset({ sources: [join(dir, "src")], out, aug: 2, workers: 0, progress: false }),
      HrmError,
    );
    assertStringIncludes(e.message, "b.json: task b: train[0].input: ragged rows");
    await assertRejects(() => Deno.stat(out), Deno.errors.NotFound);
  });
});

Deno.test("ARC build stopped by its signal leaves no split behind", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const abort = new AbortController();
    abort.abort();
    await assertRejects(
      () =>
        buildArcDataset({
          sources: ARC1,
          out,
          aug: 2,
          workers: 0,
          progress: false,
          signal: abort.signal,
        }),
      HrmError,
      "interrupted",
    );
    await assertRejects(() => Deno.stat(out), Deno.errors.NotFound);
  });
});

Deno.test("ARC build interrupted mid-way removes its staging files", async () => {
  await withTempDir(async (out) => {
    let reads = 0; // not aborted before writing and after the first task, aborted after the second
    const signal = {
      get aborted() {
        return ++reads > 2;
      },
    } as AbortSignal;
    await assertRejects(
      () => buildArcDataset({ sources: ARC1, out, aug: 2, workers: 0, progress: false, signal }),
      HrmError,
      "interrupted",
    );
    assertEquals(reads, 3);
    assertEquals(await listFiles(out), []);
  });
});

Deno.test("ARC build rejects bad options as usage errors", async () => {
  for (const opts of [{ aug: -1 }, { aug: 1.5 }, { workers: -2 }, { seed: Number.NaN }]) {
    const e = await assertRejects(
      () => buildArcDataset({ sources: ARC1, out: "/nonexistent", progress: false, ...opts }),
      HrmError,
    );
    assertEquals(e.exitCode, 2, JSON.stringify(opts));
  }
});

Deno.test("hrm gen arc builds from Kaggle combined files", async () => {
  await withTempDir(async (out) => {
    await genArc.run({
      flags: {
        source: [join(FIXTURES, "kaggle")],
        out,
        aug: 3,
        seed: 1,
        "test-set": "evaluation",
        workers: 0,
      },
      positionals: [],
      overrides: [],
      debug: false,
    });
    const variants = await readArcVariants(out);
    assertEquals(variants.tasks.map((t) => t.name), ["00576224", "66e6c45b"]);
    assertEquals((await readSplit(out, "train")).meta.total_groups, 4);
    assertEquals(variants.seed, 1);
  });
});
