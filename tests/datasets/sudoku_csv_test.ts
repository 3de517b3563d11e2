import { assert, assertEquals, assertRejects } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { readSplit } from "../../lib/io/dataset.ts";
import { formatBoard } from "../../datasets/sudoku/board.ts";
import { readSudokuCsv, type SudokuCsvRow, writeSudokuCsv } from "../../datasets/sudoku/csv.ts";
import { importSudokuCsv } from "../../datasets/sudoku/import.ts";

const FAMOUS = new URL("../fixtures/sudoku/famous.csv", import.meta.url).pathname;

async function famous(): Promise<SudokuCsvRow[]> {
  const rows: SudokuCsvRow[] = [];
  for await (const r of readSudokuCsv(FAMOUS)) rows.push(r);
  return rows;
}

async function collect(path: string): Promise<SudokuCsvRow[]> {
  const rows: SudokuCsvRow[] = [];
  for await (const r of readSudokuCsv(path)) rows.push(r);
  return rows;
}

Deno.test("csv: round trip keeps every field", async () => {
  const rows = await famous();
  const path = `${await Deno.makeTempDir()}/x.csv`;
  await writeSudokuCsv(path, rows);
  const back = await collect(path);
  assertEquals(back.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    assertEquals(back[i].source, rows[i].source);
    assertEquals(formatBoard(back[i].puzzle), formatBoard(rows[i].puzzle));
    assertEquals(back[i].solution.join(""), rows[i].solution.join(""));
    assertEquals(back[i].rating, rows[i].rating);
  }
  assert((await Deno.readTextFile(path)).startsWith("source,question,answer,rating\n"));
});

Deno.test("csv: bad rows are HrmErrors naming file and line", async () => {
  const text = await Deno.readTextFile(FAMOUS);
  const lines = text.trimEnd().split("\n");
  const [, q, a] = lines[2].split(",");
  const swapped = a[1] + a[0] + a.slice(2); // rows stay permutations, columns 0 and 1 break
  const cases: [string, string][] = [
    [`x,${q.slice(1)},${a},3`, "question must be 81 characters"],
    [`x,${q},${a.slice(1)},3`, "answer must be 81 digits"],
    [`x,${q},${"1".repeat(81)},3`, "answer is not a valid sudoku solution"],
    [`x,${q},${swapped},3`, "answer is not a valid sudoku solution"],
    [`x,${q},${a}`, "expected 4 fields"],
    [`x,${q},${a},-1`, "rating must be a non-negative integer"],
  ];
  // An answer that is a valid grid but contradicts a clue: another row's valid solution.
  const other = lines[3].split(",")[2];
  cases.push([`x,${q},${other},3`, "answer contradicts a clue of the question"]);
  const dir = await Deno.makeTempDir();
  for (const [row, message] of cases) {
    const path = `${dir}/bad.csv`;
    await Deno.writeTextFile(path, `${lines[0]}\n${lines[1]}\n${row}\n`);
    const e = await assertRejects(() => collect(path), HrmError);
    assertEquals(e.file, path);
    assert(e.message.startsWith(`${path}: line 3: ${message}`), e.message);
  }
  await Deno.writeTextFile(`${dir}/h.csv`, "question,answer\n");
  const h = await assertRejects(() => collect(`${dir}/h.csv`), HrmError);
  assert(h.message.includes("line 1: header"), h.message);
  await assertRejects(() => collect(`${dir}/missing.csv`), HrmError, "Cannot open CSV");
});

Deno.test("import: filters, subsamples with a seed, augments train only", async () => {
  const rows = await famous();
  const dir = await Deno.makeTempDir();
  await writeSudokuCsv(`${dir}/train.csv`, rows);
  await writeSudokuCsv(`${dir}/test.csv`, rows.slice(0, 4));
  const keptTrain = rows.filter((r) => r.rating >= 1);
  const s = await importSudokuCsv({ from: dir, out: `${dir}/a`, aug: 2, minDifficulty: 1 });
  assertEquals(s.train.groups, keptTrain.length);
  assertEquals(s.train.puzzles, keptTrain.length * 3);
  assertEquals(s.test.groups, rows.slice(0, 4).filter((r) => r.rating >= 1).length);
  const train = await readSplit(`${dir}/a`, "train");
  assertEquals(train.meta.vocab_size, 11);
  assertEquals(Array.from(train.arrays.group_indices.slice(0, 3)), [0, 3, 6]);
  // The first example of each group is the original row, tokens = cell + 1.
  assertEquals(
    Array.from(train.arrays.inputs.subarray(0, 81)),
    Array.from(keptTrain[0].puzzle, (v) => v + 1),
  );
  assertEquals(
    Array.from(train.arrays.labels.subarray(0, 81)),
    Array.from(keptTrain[0].solution, (v) => v + 1),
  );

  const sub = (seed: number, out: string) =>
    importSudokuCsv({
      from: `${dir}/train.csv`,
      testCsv: `${dir}/test.csv`,
      out,
      aug: 0,
      seed,
      subsample: 3,
      csv: true,
    });
  await sub(1, `${dir}/b`);
  await sub(1, `${dir}/c`);
  const b = await Deno.readTextFile(`${dir}/b/train.csv`);
  assertEquals(b, await Deno.readTextFile(`${dir}/c/train.csv`), "same seed, same subsample");
  assertEquals(b.trimEnd().split("\n").length, 4);
  assertEquals((await readSplit(`${dir}/b`, "test")).meta.total_groups, 4);
  await assertRejects(
    () => importSudokuCsv({ from: `${dir}/train.csv`, out: `${dir}/d` }),
    HrmError,
    "--test-csv",
  );
});
