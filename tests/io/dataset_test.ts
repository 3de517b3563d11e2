import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import {
  FIELDS,
  readIdentifiers,
  readSplit,
  SplitWriter,
  writeIdentifiers,
  writeSplit,
} from "../../lib/io/dataset.ts";
import { writeNpy } from "../../lib/io/npy.ts";
import { fixture, runPython } from "./_python.ts";

const REF = fixture("dataset_ref");

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listDir(dir: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** A copy of the reference-written fixture, to corrupt. */
async function copyRef(dir: string): Promise<void> {
  await Deno.copyFile(join(REF, "identifiers.json"), join(dir, "identifiers.json"));
  for (const split of ["train", "test"]) {
    await Deno.mkdir(join(dir, split));
    for (const f of await listDir(join(REF, split))) {
      await Deno.copyFile(join(REF, split, f), join(dir, split, f));
    }
  }
}

Deno.test("readSplit loads the dataset the reference-style python writer made", async () => {
  const train = await readSplit(REF, "train");
  assertEquals(train.meta, {
    pad_id: 0,
    ignore_label_id: 0,
    blank_identifier_id: 0,
    vocab_size: 12,
    seq_len: 9,
    num_puzzle_identifiers: 7,
    total_groups: 3,
    mean_puzzle_examples: 13 / 6,
    sets: ["all"],
  });
  const a = train.arrays;
  assertEquals(Array.from(a.group_indices), [0, 3, 5, 6]);
  assertEquals(Array.from(a.puzzle_indices), [0, 2, 4, 6, 9, 12, 13]);
  assertEquals(Array.from(a.puzzle_identifiers), [1, 2, 3, 4, 5, 6]);
  assertEquals([a.inputs.length, a.labels.length], [13 * 9, 13 * 9]);
  const test = await readSplit(REF, "test");
  assertEquals(Array.from(test.arrays.puzzle_identifiers), [1, 2, 3]);
  assertEquals(test.meta.mean_puzzle_examples, 1);
  const names = await readIdentifiers(REF);
  assertEquals(names.length, 7);
  assertEquals(names[0], "<blank>");
});

Deno.test("writeSplit reproduces the reference-style files byte for byte", async () => {
  await withTempDir(async (dir) => {
    for (const split of ["train", "test"] as const) {
      const ref = await readSplit(REF, split);
      await writeSplit(dir, split, { ...ref.meta }, ref.arrays);
      for (const f of [...FIELDS.map((x) => `all__${x}.npy`), "dataset.json"]) {
        assertEquals(
          await Deno.readFile(join(dir, split, f)),
          await Deno.readFile(join(REF, split, f)),
          `${split}/${f}`,
        );
      }
      assertEquals(await listDir(join(dir, split)), await listDir(join(REF, split)));
    }
    await writeIdentifiers(dir, await readIdentifiers(REF));
    assertEquals(
      await Deno.readTextFile(join(dir, "identifiers.json")),
      await Deno.readTextFile(join(REF, "identifiers.json")),
    );
  });
});

/** A deterministic group: `n` puzzles, puzzle k with k+1 examples of `seqLen` tokens < vocab. */
function group(g: number, n: number, seqLen: number, vocab: number) {
  return Array.from({ length: n }, (_, k) => ({
    puzzle_identifier: 1 + ((g * 7 + k) % 50),
    examples: Array.from({ length: k + 1 }, (_, e) => ({
      input: Uint8Array.from({ length: seqLen }, (_, i) => (g + k + e + i) % vocab),
      label: Uint8Array.from({ length: seqLen }, (_, i) => (g * 3 + e + i * 5) % vocab),
    })),
  }));
}

Deno.test("SplitWriter streams across write chunks and readSplit returns the same data", async () => {
  await withTempDir(async (dir) => {
    const seqLen = 900, vocab = 12; // 2,000 examples = 1.8 MB per array: crosses the 1 MiB chunk
    const w = new SplitWriter(dir, "train", { seq_len: seqLen, vocab_size: vocab });
    let examples = 0;
    for (let g = 0; g < 200; g++) {
      const puzzles = group(g, 1 + (g % 3), seqLen, vocab);
      examples += puzzles.reduce((s, p) => s + p.examples.length, 0);
      await w.addGroup(puzzles);
    }
    assertEquals(w.counts, { examples, puzzles: 399, groups: 200 });
    const meta = await w.finish({ num_puzzle_identifiers: 51 });
    assertEquals(meta.mean_puzzle_examples, examples / 399);
    const { arrays } = await readSplit(dir, "train");
    let e = 0;
    for (let g = 0; g < 200; g++) {
      for (const p of group(g, 1 + (g % 3), seqLen, vocab)) {
        for (const ex of p.examples) {
          assertEquals(arrays.inputs.subarray(e * seqLen, (e + 1) * seqLen), ex.input);
          assertEquals(arrays.labels.subarray(e * seqLen, (e + 1) * seqLen), ex.label);
          e++;
        }
      }
    }
    assertEquals(e, examples);
    assertEquals(await listDir(join(dir, "train")), [
      "all__group_indices.npy",
      "all__inputs.npy",
      "all__labels.npy",
      "all__puzzle_identifiers.npy",
      "all__puzzle_indices.npy",
      "dataset.json",
    ]);
  });
});

Deno.test("the reference's loading code (np.load + PuzzleDatasetMetadata fields) reads a SplitWriter split", async () => {
  await withTempDir(async (dir) => {
    const w = new SplitWriter(dir, "test", { seq_len: 81, vocab_size: 11 });
    for (let g = 0; g < 5; g++) await w.addGroup(group(g, 2, 81, 11));
    await w.finish({ num_puzzle_identifiers: 51 });
    await writeIdentifiers(dir, ["<blank>", "p1"]);
    // What puzzle_dataset.py does: json into the metadata fields, np.load each array (inputs and
    // labels memory-mapped), then index the way the test-mode iterator does.
    const got = await runPython(
      `import sys, os, json, numpy as np
root = sys.argv[1]
with open(os.path.join(root, "test", "dataset.json")) as f:
    meta = json.load(f)
fields = {"pad_id": int, "ignore_label_id": (int, type(None)), "blank_identifier_id": int,
          "vocab_size": int, "seq_len": int, "num_puzzle_identifiers": int, "total_groups": int,
          "mean_puzzle_examples": (int, float), "sets": list}
assert set(meta) == set(fields), sorted(meta)
for k, t in fields.items():
    assert isinstance(meta[k], t), (k, meta[k])
modes = {"inputs": "r", "labels": "r", "puzzle_identifiers": None, "puzzle_indices": None, "group_indices": None}
data = {k: np.load(os.path.join(root, "test", f"{s}__{k}.npy"), mmap_mode=m) for s in meta["sets"] for k, m in modes.items()}
pi = data["puzzle_indices"]
row = int(pi[3])
print(json.dumps({
  "meta": meta,
  "arrays": {k: [v.dtype.str, list(v.shape)] for k, v in data.items()},
  "sum_inputs": int(data["inputs"].astype(np.int64).sum()),
  "puzzle3_first_label": data["labels"][row].astype(np.int32).tolist(),
  "puzzle_of_row5": int(np.searchsorted(pi, 5, side="right") - 1),
  "group_indices": data["group_indices"].tolist(),
  "identifiers": json.load(open(os.path.join(root, "identifiers.json"))),
}))`,
      [dir],
    ) as Record<string, unknown> | undefined;
    if (!got) return;
    const { meta, arrays } = await readSplit(dir, "test");
    assertEquals(got.meta, meta);
    const N = arrays.puzzle_indices[arrays.puzzle_indices.length - 1];
    assertEquals(got.arrays, {
      inputs: ["|u1", [N, 81]],
      labels: ["|u1", [N, 81]],
      puzzle_identifiers: ["<i4", [10]],
      puzzle_indices: ["<i4", [11]],
      group_indices: ["<i4", [6]],
    });
    assertEquals(got.sum_inputs, arrays.inputs.reduce((s, v) => s + v, 0));
    const row = arrays.puzzle_indices[3];
    assertEquals(
      got.puzzle3_first_label,
      Array.from(arrays.labels.subarray(row * 81, row * 81 + 81)),
    );
    assertEquals(got.puzzle_of_row5, 3); // puzzles hold 1, 2, 1, 2 ... examples
    assertEquals(got.group_indices, [0, 2, 4, 6, 8, 10]);
    assertEquals(got.identifiers, ["<blank>", "p1"]);
  });
});

/** Each case corrupts a copy of the fixture's train split; readSplit must name file and problem. */
const corruptions: [string, (d: string) => Promise<void>, string, string][] = [
  [
    "missing field",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      delete m.seq_len;
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "dataset.json",
    "missing field seq_len",
  ],
  [
    "mistyped field",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      m.vocab_size = "12";
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "dataset.json",
    "field vocab_size: expected number, received string",
  ],
  [
    "null where an int is needed",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      m.pad_id = null;
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "dataset.json",
    "field pad_id",
  ],
  ["not JSON", (d) => Deno.writeTextFile(d, "{pad_id: 0"), "dataset.json", "not valid JSON"],
  [
    "other sets",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      m.sets = ["all", "extra"];
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "dataset.json",
    'hrm reads the single set "all"',
  ],
  [
    "wrong total_groups",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      m.total_groups = 4;
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "dataset.json",
    "total_groups is 4, all__group_indices.npy has 3 groups",
  ],
  [
    "wrong mean_puzzle_examples",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      m.mean_puzzle_examples = 2;
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "dataset.json",
    "mean_puzzle_examples is 2, the arrays give 13 / 6",
  ],
  [
    "wrong seq_len",
    async (d) => {
      const m = JSON.parse(await Deno.readTextFile(d));
      m.seq_len = 10;
      await Deno.writeTextFile(d, JSON.stringify(m));
    },
    "all__inputs.npy",
    "shape [13,9], expected [N, 10]",
  ],
  [
    "labels disagree",
    (d) => writeNpy(join(d, "../all__labels.npy"), new Uint8Array(12 * 9), [12, 9]),
    "all__labels.npy",
    "shape [12,9] differs from all__inputs.npy [13,9]",
  ],
  [
    "puzzle_indices short of N",
    (d) =>
      writeNpy(join(d, "../all__puzzle_indices.npy"), new Int32Array([0, 2, 4, 6, 9, 12, 12]), [7]),
    "all__puzzle_indices.npy",
    "ends at example 12, expected 13",
  ],
  [
    "puzzle_indices not monotone",
    (d) =>
      writeNpy(join(d, "../all__puzzle_indices.npy"), new Int32Array([0, 2, 4, 3, 9, 12, 13]), [7]),
    "all__puzzle_indices.npy",
    "not increasing at index 3: 4 then 3",
  ],
  [
    "puzzle_indices length",
    (d) => writeNpy(join(d, "../all__puzzle_indices.npy"), new Int32Array([0, 2, 13]), [3]),
    "all__puzzle_indices.npy",
    "has 3 entries, expected 7",
  ],
  [
    "group_indices end",
    (d) => writeNpy(join(d, "../all__group_indices.npy"), new Int32Array([0, 3, 5]), [3]),
    "all__group_indices.npy",
    "ends at puzzle 5, expected 6",
  ],
  [
    "empty group",
    (d) => writeNpy(join(d, "../all__group_indices.npy"), new Int32Array([0, 3, 3, 6]), [4]),
    "all__group_indices.npy",
    "not strictly increasing at index 2",
  ],
  [
    "identifier out of range",
    (d) =>
      writeNpy(join(d, "../all__puzzle_identifiers.npy"), new Int32Array([1, 2, 3, 4, 5, 7]), [6]),
    "all__puzzle_identifiers.npy",
    "puzzle 5 has identifier 7, outside 0..6",
  ],
  [
    "token out of vocab",
    async (d) => {
      const a = new Uint8Array(13 * 9);
      a[9 * 4 + 2] = 12;
      await writeNpy(join(d, "../all__inputs.npy"), a, [13, 9]);
    },
    "all__inputs.npy",
    "token 12 at example 4, position 2 is >= vocab_size 12",
  ],
  [
    "float inputs",
    (d) => writeNpy(join(d, "../all__inputs.npy"), new Float32Array(13 * 9), [13, 9]),
    "all__inputs.npy",
    "dtype <f4, expected |u1",
  ],
  [
    "int64 too big for int32",
    (d) =>
      writeNpy(join(d, "../all__group_indices.npy"), new BigInt64Array([0n, 3n, 2n ** 40n, 6n]), [
        4,
      ]),
    "all__group_indices.npy",
    "value 1099511627776 at index 2 does not fit <i4",
  ],
  [
    "2-d index array",
    (d) => writeNpy(join(d, "../all__group_indices.npy"), new Int32Array([0, 3, 5, 6]), [2, 2]),
    "all__group_indices.npy",
    "shape [2,2], expected one dimension",
  ],
  [
    "missing array",
    (d) => Deno.remove(join(d, "../all__labels.npy")),
    "all__labels.npy",
    "file or directory not found",
  ],
  [
    "truncated array",
    async (d) => {
      const p = join(d, "../all__inputs.npy");
      const b = await Deno.readFile(p);
      await Deno.writeFile(p, b.subarray(0, b.length - 5));
    },
    "all__inputs.npy",
    "truncated data: header claims 117 bytes",
  ],
];

for (const [what, corrupt, file, problem] of corruptions) {
  Deno.test(`readSplit rejects a split with ${what}, naming ${file}`, async () => {
    await withTempDir(async (dir) => {
      await copyRef(dir);
      await corrupt(join(dir, "train", "dataset.json"));
      const e = await assertRejects(() => readSplit(dir, "train"), HrmError);
      assertEquals(e.file, join(dir, "train", file));
      assertStringIncludes(e.problem, problem);
      assert(!e.message.includes("\n"), "one line");
    });
  });
}

Deno.test("readSplit converts int64 index arrays that numpy made by default", async () => {
  await withTempDir(async (dir) => {
    await copyRef(dir);
    await writeNpy(
      join(dir, "train", "all__puzzle_indices.npy"),
      new BigInt64Array([0n, 2n, 4n, 6n, 9n, 12n, 13n]),
      [7],
    );
    const { arrays } = await readSplit(dir, "train");
    assert(arrays.puzzle_indices instanceof Int32Array);
    assertEquals(Array.from(arrays.puzzle_indices), [0, 2, 4, 6, 9, 12, 13]);
  });
});

Deno.test("readIdentifiers rejects a file that is not a list of strings", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "identifiers.json"), '["<blank>", 3]');
    const e = await assertRejects(() => readIdentifiers(dir), HrmError);
    assertEquals(e.file, join(dir, "identifiers.json"));
    assertStringIncludes(e.problem, "field 1: expected string");
    await writeIdentifiers(dir, ["<blank>", "caf\u00e9", "\u{1F600}"]);
    assertEquals(
      await Deno.readTextFile(join(dir, "identifiers.json")),
      '["<blank>", "caf\\u00e9", "\\ud83d\\ude00"]', // as Python's json.dump (ensure_ascii)
    );
    assertEquals(await readIdentifiers(dir), ["<blank>", "caf\u00e9", "\u{1F600}"]);
  });
});

Deno.test("SplitWriter refuses bad examples without writing them and stays usable", async () => {
  await withTempDir(async (dir) => {
    const w = new SplitWriter(dir, "train", { seq_len: 3, vocab_size: 5 });
    const ok = { input: new Uint8Array([1, 2, 3]), label: new Uint8Array([4, 0, 1]) };
    const bad: [unknown, string][] = [
      [[], "a group needs at least one puzzle"],
      [[{ puzzle_identifier: 1, examples: [] }], "puzzle 0: needs at least one example"],
      [[{ puzzle_identifier: -1, examples: [ok] }], "bad puzzle_identifier -1"],
      [[{ puzzle_identifier: 1, examples: [{ ...ok, label: new Uint8Array(2) }] }], "lengths 3/2"],
      [
        [{ puzzle_identifier: 1, examples: [ok, { ...ok, input: new Uint8Array([0, 5, 0]) }] }],
        "puzzle 0, example 1: input token 5 >= vocab_size 5",
      ],
    ];
    for (const [puzzles, msg] of bad) {
      await assertRejects(() => w.addGroup(puzzles as never), RangeError, msg);
    }
    await w.addGroup([{ puzzle_identifier: 3, examples: [ok] }]);
    assertEquals(w.counts, { examples: 1, puzzles: 1, groups: 1 });
    await assertRejects(() => w.finish({ num_puzzle_identifiers: 3 }), RangeError, "must exceed");
    const meta = await w.finish({ num_puzzle_identifiers: 4 });
    assertEquals(meta.total_groups, 1);
    await assertRejects(
      () => w.addGroup([{ puzzle_identifier: 1, examples: [ok] }]),
      Error,
      "already finished",
    );
    assertEquals(Array.from((await readSplit(dir, "train")).arrays.labels), [4, 0, 1]);
  });
});

Deno.test("SplitWriter refuses overlapping calls", async () => {
  await withTempDir(async (dir) => {
    const w = new SplitWriter(dir, "train", { seq_len: 1, vocab_size: 2 });
    const g = [{
      puzzle_identifier: 0,
      examples: [{ input: new Uint8Array(1), label: new Uint8Array(1) }],
    }];
    const first = w.addGroup(g);
    await assertRejects(() => w.addGroup(g), Error, "await the previous call first");
    await first;
    await w.abort();
  });
});

Deno.test("SplitWriter publishes nothing when finish fails, and abort cleans up", async () => {
  await withTempDir(async (dir) => {
    const ex = { input: new Uint8Array([1]), label: new Uint8Array([1]) };
    // An old complete split is there; a directory blocks the rename of all__labels.npy.
    await copyRef(dir);
    await Deno.remove(join(dir, "train", "all__labels.npy"));
    await Deno.mkdir(join(dir, "train", "all__labels.npy"));
    const w = new SplitWriter(dir, "train", { seq_len: 1, vocab_size: 2 });
    await w.addGroup([{ puzzle_identifier: 0, examples: [ex] }]);
    const e = await assertRejects(() => w.finish({ num_puzzle_identifiers: 1 }), HrmError);
    assertEquals(e.message, `${join(dir, "train", "all__labels.npy")}: is a directory`);
    // No new file under a final name, no staging left, and no dataset.json to mislead a reader.
    assertEquals(await listDir(join(dir, "train")), [
      "all__group_indices.npy",
      "all__labels.npy",
      "all__puzzle_identifiers.npy",
      "all__puzzle_indices.npy",
    ]);
    // The old group_indices (4 entries) was never replaced; the new one (2 entries) is gone.
    assertEquals((await Deno.stat(join(dir, "train", "all__group_indices.npy"))).size, 128 + 16);
    await assertRejects(() => readSplit(dir, "train"), HrmError, "dataset.json");

    const v = new SplitWriter(dir, "test", { seq_len: 1, vocab_size: 2 });
    await v.addGroup([{ puzzle_identifier: 0, examples: [ex] }]);
    assertEquals(
      (await listDir(join(dir, "test"))).filter((f) => f.startsWith(".staging")).length,
      1,
    );
    await v.abort();
    await v.abort();
    assertEquals(await listDir(join(dir, "test")), await listDir(join(REF, "test")));
    await assertRejects(() => v.finish({ num_puzzle_identifiers: 1 }), Error, "already finished");
  });
});

Deno.test("SplitWriter and writeSplit check their arguments", () => {
  assertThrows(() => new SplitWriter("x", "train", { seq_len: 0, vocab_size: 3 }), RangeError);
  assertThrows(
    () => new SplitWriter("x", "train", { seq_len: 4, vocab_size: 257 }),
    RangeError,
    "1..256",
  );
});
