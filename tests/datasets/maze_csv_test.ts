// The published CSV format: rows are validated with file and line in every error, and an import
// round-trips through the dataset reader.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { readIdentifiers, readSplit } from "../../lib/io/dataset.ts";
import { formatMazeCsv, importMazeCsv, parseMazeCsv } from "../../datasets/maze/csv.ts";
import { checkMazePath } from "../../datasets/maze/check.ts";
import { dihedral } from "../../datasets/grid.ts";

const FIXTURES = new URL("../fixtures/maze/", import.meta.url);
const TRAIN = new URL("train.csv", FIXTURES).pathname;
const GOOD = await Deno.readTextFile(TRAIN);
const LINES = GOOD.trimEnd().split("\n");

/** The fixture with line `n` (1-based) replaced by what `edit` makes of it. */
function withLine(n: number, edit: (line: string) => string): string {
  return LINES.map((l, i) => (i + 1 === n ? edit(l) : l)).join("\n") + "\n";
}

function fields(line: string): string[] {
  return line.split(",");
}

Deno.test("maze csv: the fixture parses into valid optimal 10x10 mazes", () => {
  const rows = parseMazeCsv(GOOD, "train.csv");
  assertEquals(rows.length, 4);
  assertEquals(rows.map((r) => r.line), [2, 3, 4, 5]);
  for (const r of rows) {
    assertEquals(r.size, 10);
    assertEquals(r.nonOptimal, false);
    assertEquals(checkMazePath(r.input, r.label, 10), { valid: true, optimal: true });
  }
  // formatting what was parsed gives back the same text (rating = number of 'o')
  const again = formatMazeCsv(rows.map((r) => ({ ...r, source: "hrm-gen-maze-10x10" })));
  assertEquals(again, GOOD);
});

Deno.test("maze csv: CRLF line ends, quoted fields and blank lines are read", () => {
  const [s, q, a, r] = fields(LINES[1]);
  const text = `${LINES[0]}\r\n"${s}, quoted ""x""","${q}",${a},${r}\r\n\r\n`;
  const rows = parseMazeCsv(text, "x.csv");
  assertEquals(rows.length, 1);
  assertEquals(rows[0].source, `${s}, quoted "x"`);
});

Deno.test("maze csv: bad rows are HrmErrors naming file and line", () => {
  const bad = (text: string, message: string) => {
    const e = assertThrows(() => parseMazeCsv(text, "data/train.csv"), HrmError);
    assert(e.message.startsWith("data/train.csv: "), e.message);
    assert(e.message.includes(message), `${e.message} lacks ${message}`);
  };
  bad("question,answer\n", "line 1: expected the header source,question,answer,rating");
  bad(withLine(3, (l) => l + ",extra"), "line 3: expected 4 fields");
  bad(withLine(4, (l) => l.split(",").slice(0, 3).join(",")), "line 4: expected 4 fields");
  bad(
    withLine(2, (l) => l.replace(",", ", ")),
    "line 2: question has 101 characters, not a square",
  );
  bad(
    withLine(3, (l) => {
      const f = fields(l);
      return [f[0], f[1].slice(1), f[2], f[3]].join(",");
    }),
    "line 3: question has 99 characters, expected 100 (10x10 as on line 2)",
  );
  bad(
    withLine(5, (l) => {
      const f = fields(l);
      return [f[0], f[1], f[2] + "o", f[3]].join(",");
    }),
    "line 5: answer has 101 characters",
  );
  bad(withLine(4, (l) => l.replace("#", "x")), `line 4: question: character "x" at position`);
  bad(
    withLine(2, (l) => {
      const f = fields(l);
      return [f[0], f[1], f[2].replace("#", "."), f[3]].join(",");
    }),
    `line 2: answer: character "."`,
  );
  bad(
    withLine(3, (l) => {
      const f = fields(l);
      return [f[0], f[1].replace("G", " "), f[2], f[3]].join(",");
    }),
    "line 3: question needs one S and one G, has 1 and 0",
  );
  bad(
    withLine(5, (l) => {
      const f = fields(l);
      return [f[0], f[1].replace(" ", "o"), f[2], f[3]].join(",");
    }),
    "line 5: question contains path cells",
  );
  // a label that is not a path: one 'o' removed breaks it
  bad(
    withLine(4, (l) => {
      const f = fields(l);
      return [f[0], f[1], f[2].replace("o", " "), f[3]].join(",");
    }),
    "line 4: answer is not a path from S to G",
  );
  // a label through a wall
  bad(
    withLine(2, (l) => {
      const f = fields(l);
      return [f[0], f[1], f[2].replace("#", "o"), f[3]].join(",");
    }),
    "line 2: answer is not a path from S to G: wall at",
  );
  bad(withLine(2, (l) => l.replace(/^([^,]*),/, '"$1,')), "line 2: malformed quoted field");
});

Deno.test("maze csv: importing a folder writes both splits, readable by readSplit", async () => {
  const out = await Deno.makeTempDir();
  try {
    const s = await importMazeCsv({ from: FIXTURES.pathname, out, aug: true });
    assertEquals(s, {
      size: 10,
      mazes: { train: 4, test: 2 },
      puzzles: { train: 32, test: 2 },
      nonOptimal: 0,
      leaked: 0,
    });
    const train = await readSplit(out, "train"), test = await readSplit(out, "test");
    assertEquals(train.meta.seq_len, 100);
    assertEquals(train.meta.vocab_size, 6);
    assertEquals(train.meta.num_puzzle_identifiers, 1);
    assertEquals(train.meta.total_groups, 4);
    assertEquals(train.meta.ignore_label_id, 0);
    assertEquals([...train.arrays.group_indices], [0, 8, 16, 24, 32]);
    assertEquals(train.arrays.puzzle_identifiers.every((v) => v === 0), true);
    assertEquals(test.meta.total_groups, 2);
    assertEquals(await readIdentifiers(out), ["<blank>"]);
    // puzzle 8t + k of the train split is transform k of maze t, as the reference orders them
    const rows = parseMazeCsv(GOOD, "train.csv");
    const at = (a: Uint8Array, i: number) => a.subarray(i * 100, (i + 1) * 100);
    for (const k of [0, 1, 6]) {
      const want = dihedral({ h: 10, w: 10, data: rows[2].label }, k).data;
      assertEquals(at(train.arrays.labels, 16 + k), want);
    }
    assertEquals(
      at(test.arrays.inputs, 1),
      parseMazeCsv(
        await Deno.readTextFile(
          new URL("test.csv", FIXTURES),
        ),
        "test.csv",
      )[1].input,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("maze csv: a single file feeds the split its name says; others are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = await importMazeCsv({ from: TRAIN, out: `${dir}/d`, aug: false });
    assertEquals(s.mazes, { train: 4, test: 0 });
    assertEquals((await readSplit(`${dir}/d`, "train")).meta.total_groups, 4);
    await Deno.writeTextFile(`${dir}/mazes.csv`, GOOD);
    await assertRejects(
      () => importMazeCsv({ from: `${dir}/mazes.csv`, out: `${dir}/e`, aug: false }),
      HrmError,
      "cannot tell its split",
    );
    await assertRejects(
      () => importMazeCsv({ from: `${dir}/missing`, out: `${dir}/e`, aug: false }),
      HrmError,
      "not found",
    );
    // a folder without test.csv names the missing file
    await Deno.mkdir(`${dir}/half`);
    await Deno.writeTextFile(`${dir}/half/train.csv`, GOOD);
    await assertRejects(
      () => importMazeCsv({ from: `${dir}/half`, out: `${dir}/e`, aug: false }),
      HrmError,
      "half/test.csv: file not found",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
