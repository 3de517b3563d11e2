/**
 * The published Maze-Hard CSV (sapientinc/maze-30x30-hard-1k `train.csv`, `test.csv`): a header
 * `source,question,answer,rating`, then one maze per line; question and answer are the N×N grid
 * row-major in the `# SGo` charset, the answer with the shortest path marked `o`. Reading
 * validates every row (the reference only asserts the charset); writing produces the same format
 * from generated mazes, with rating = number of `o` cells.
 *
 * @module
 */
import { basename, join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { SplitWriter, writeIdentifiers } from "../../lib/io/dataset.ts";
import { checkMazePath } from "./check.ts";
import { decodeMaze, encodeMaze, GOAL, MAZE_VOCAB_SIZE, PATH, START } from "./encoding.ts";
import { layoutKey, mazePuzzles } from "./generate.ts";

/** The CSV header, as published. */
export const MAZE_CSV_HEADER = "source,question,answer,rating";

/** One validated CSV maze. */
export interface MazeCsvRow {
  /** 1-based line number in its file. */
  line: number;
  /** The `source` column. */
  source: string;
  /** Side length. */
  size: number;
  /** Question tokens. */
  input: Uint8Array;
  /** Answer tokens. */
  label: Uint8Array;
  /** The answer is a valid path but longer than the shortest one. */
  nonOptimal: boolean;
}

/**
 * Parses and validates a maze CSV.
 *
 * @param text The file's text.
 * @param file Its name, for errors.
 * @returns The rows in file order.
 * @throws {HrmError} naming the file and line: a wrong header or field count, a grid that is not
 * square or not the size of the first row, a character outside `# SGo`, a question with `o` or
 * without exactly one S and one G, an answer that changes the maze or is not a path from S to G.
 *
 * @example
 * ```ts
 * import { parseMazeCsv } from "./csv.ts";
 * // 3x3: S in the top-left corner, G in the bottom-left, a wall between them
 * const rows = parseMazeCsv("source,question,answer,rating\nx,S  ## G  ,Soo##oGoo,5\n", "m.csv");
 * if (rows[0].size !== 3 || rows[0].line !== 2) throw new Error();
 * ```
 */
export function parseMazeCsv(text: string, file: string): MazeCsvRow[] {
  const lines = text.split("\n");
  const fail = (line: number, problem: string): never => {
    throw new HrmError(file, `line ${line}: ${problem}`);
  };
  if (lines[0].replace(/\r$/, "").trim() !== MAZE_CSV_HEADER) {
    fail(1, `expected the header ${MAZE_CSV_HEADER}`);
  }
  const rows: MazeCsvRow[] = [];
  let size = 0, firstLine = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1, raw = lines[i].replace(/\r$/, "");
    if (raw.trim() === "") continue;
    const fields = splitCsvLine(raw);
    if (!fields) fail(line, "malformed quoted field");
    if (fields!.length !== 4) {
      fail(line, `expected 4 fields (${MAZE_CSV_HEADER}), got ${fields!.length}`);
    }
    const [source, question, answer] = fields!;
    if (size === 0) {
      const n = Math.round(Math.sqrt(question.length));
      if (n < 2 || n * n !== question.length) {
        fail(line, `question has ${question.length} characters, not a square grid`);
      }
      size = n;
      firstLine = line;
    }
    const want = size * size;
    for (const [name, s] of [["question", question], ["answer", answer]]) {
      if (s.length !== want) {
        fail(
          line,
          `${name} has ${s.length} characters, expected ${want} (${size}x${size} as on line ` +
            `${firstLine})`,
        );
      }
    }
    let input: Uint8Array, label: Uint8Array;
    try {
      input = encodeMaze(question);
    } catch (e) {
      return fail(line, `question: ${(e as Error).message}`);
    }
    try {
      label = encodeMaze(answer);
    } catch (e) {
      return fail(line, `answer: ${(e as Error).message}`);
    }
    const count = (t: number) => input.reduce((n, v) => n + (v === t ? 1 : 0), 0);
    if (count(PATH) > 0) fail(line, "question contains path cells 'o'");
    if (count(START) !== 1 || count(GOAL) !== 1) {
      fail(line, `question needs one S and one G, has ${count(START)} and ${count(GOAL)}`);
    }
    const verdict = checkMazePath(input, label, size);
    if (!verdict.valid) fail(line, `answer is not a path from S to G: ${verdict.reason}`);
    rows.push({ line, source, size, input, label, nonOptimal: !verdict.optimal });
  }
  return rows;
}

/**
 * Formats mazes as the published CSV (rating = number of `o` cells, i.e. moves − 1).
 *
 * @param rows Source name, input and label tokens of each maze.
 * @returns The CSV text, header included, one line per maze, `\n` line ends.
 *
 * @example Round trip
 * ```ts
 * import { formatMazeCsv, parseMazeCsv } from "./csv.ts";
 * import { encodeMaze } from "./encoding.ts";
 * const text = formatMazeCsv([{ source: "gen", input: encodeMaze("S  ## G  "), label: encodeMaze("Soo##oGoo") }]);
 * if (!text.endsWith(",5\n")) throw new Error(text);
 * if (parseMazeCsv(text, "x.csv")[0].label.join() !== "3,5,5,1,1,5,4,5,5") throw new Error();
 * ```
 */
export function formatMazeCsv(
  rows: { source: string; input: Uint8Array; label: Uint8Array }[],
): string {
  const lines = [MAZE_CSV_HEADER];
  for (const r of rows) {
    const rating = r.label.reduce((n, v) => n + (v === PATH ? 1 : 0), 0);
    lines.push(`${r.source},${decodeMaze(r.input)},${decodeMaze(r.label)},${rating}`);
  }
  return lines.join("\n") + "\n";
}

/** What {@linkcode importMazeCsv} wrote. */
export interface MazeCsvImportSummary {
  /** Side length found. */
  size: number;
  /** CSV rows per split written (absent splits are 0). */
  mazes: { train: number; test: number };
  /** Puzzles per split (8× rows in train with `aug`). */
  puzzles: { train: number; test: number };
  /** Rows whose answer is a valid path but not a shortest one. */
  nonOptimal: number;
  /** Test mazes whose wall layout (up to symmetry) is also in train. */
  leaked: number;
}

/**
 * Imports the published CSV into the reference dataset layout, as build_maze_dataset.py does.
 *
 * @param opts `from`: a folder holding `train.csv` and `test.csv` (the published files), or one
 * CSV file whose name starts with `train` or `test` (only that split is written); `out`: the
 * dataset folder; `aug`: the 8 dihedral transforms of each training maze.
 * @returns Counts.
 * @throws {HrmError} for a missing file, a bad row (file and line), or splits of different sizes.
 *
 * @example
 * ```ts
 * import { importMazeCsv } from "./csv.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.csv`, "source,question,answer,rating\nx,S  ## G  ,Soo##oGoo,5\n");
 * const s = await importMazeCsv({ from: `${dir}/train.csv`, out: `${dir}/data`, aug: true });
 * if (s.puzzles.train !== 8 || s.mazes.test !== 0) throw new Error();
 * ```
 */
export async function importMazeCsv(
  opts: { from: string; out: string; aug: boolean },
): Promise<MazeCsvImportSummary> {
  const files = await csvFiles(opts.from);
  const parsed: Partial<Record<"train" | "test", MazeCsvRow[]>> = {};
  let size = 0, sizeFile = "";
  for (const [split, file] of Object.entries(files) as ["train" | "test", string][]) {
    const rows = parseMazeCsv(await readText(file), file);
    if (rows.length > 0 && size > 0 && rows[0].size !== size) {
      throw new HrmError(
        file,
        `mazes are ${rows[0].size}x${rows[0].size}, ${sizeFile} has ${size}`,
      );
    }
    if (rows.length > 0) (size = rows[0].size, sizeFile = file);
    parsed[split] = rows;
  }
  if (size === 0) throw new HrmError(opts.from, "no mazes found");
  const summary: MazeCsvImportSummary = {
    size,
    mazes: { train: 0, test: 0 },
    puzzles: { train: 0, test: 0 },
    nonOptimal: 0,
    leaked: 0,
  };
  const trainLayouts = new Set((parsed.train ?? []).map((r) => layoutKey(r.input, size)));
  for (const split of ["train", "test"] as const) {
    const rows = parsed[split];
    if (!rows) continue;
    const w = new SplitWriter(opts.out, split, {
      seq_len: size * size,
      vocab_size: MAZE_VOCAB_SIZE,
    });
    try {
      for (const r of rows) {
        await w.addGroup(mazePuzzles(r.input, r.label, size, opts.aug && split === "train"));
        if (r.nonOptimal) summary.nonOptimal++;
        if (split === "test" && trainLayouts.has(layoutKey(r.input, size))) summary.leaked++;
      }
      summary.mazes[split] = rows.length;
      summary.puzzles[split] = w.counts.puzzles;
      await w.finish({ num_puzzle_identifiers: 1 });
    } catch (e) {
      await w.abort();
      throw e;
    }
  }
  await writeIdentifiers(opts.out, ["<blank>"]);
  return summary;
}

/** Which CSV feeds which split. */
async function csvFiles(from: string): Promise<Partial<Record<"train" | "test", string>>> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(from);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new HrmError(from, "file or directory not found");
    throw new HrmError(from, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  if (info.isDirectory) return { train: join(from, "train.csv"), test: join(from, "test.csv") };
  const name = basename(from).toLowerCase();
  if (name.startsWith("train")) return { train: from };
  if (name.startsWith("test")) return { test: from };
  throw new HrmError(
    from,
    "cannot tell its split: name it train*.csv or test*.csv, or pass the folder holding " +
      "train.csv and test.csv",
  );
}

async function readText(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new HrmError(file, "file not found");
    throw new HrmError(file, `cannot read: ${(e as Error).message}`, { cause: e });
  }
}

/** Splits one CSV line (RFC 4180 quoting); null when a quote is left open. */
function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let s = "";
      i++;
      for (;;) {
        if (i >= line.length) return null;
        if (line[i] === '"') {
          if (line[i + 1] === '"') (s += '"', i += 2);
          else {
            i++;
            break;
          }
        } else s += line[i++];
      }
      fields.push(s);
    } else {
      const end = line.indexOf(",", i);
      fields.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return fields;
    if (line[i] !== ",") return null;
    i++;
    if (i === line.length) {
      fields.push("");
      return fields;
    }
  }
}
