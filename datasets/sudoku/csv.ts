/**
 * The published Sudoku-Extreme CSV (sapientinc/sudoku-extreme train.csv / test.csv): a header
 * `source,question,answer,rating`, then one puzzle per line: origin name, 81 characters with `.`
 * for a blank, 81 solution digits, and the integer rating. Reading validates every row and names
 * the file and line of the first bad one; writing produces the same format.
 *
 * @module
 */
import { HrmError } from "../../lib/errors.ts";
import { atomicWrite } from "../../lib/io/atomic_write.ts";
import { cluesMatch, formatBoard, isValidSolution, parseBoard } from "./board.ts";

/** The header line. */
export const CSV_HEADER = "source,question,answer,rating";

/** One CSV row. */
export interface SudokuCsvRow {
  /** Origin, e.g. `puzzles4_forum_hardest_1905` or `hrm_pool_extreme`. */
  source: string;
  /** 81 cells, 0 = blank. */
  puzzle: Uint8Array;
  /** 81 digits. */
  solution: Uint8Array;
  /** Difficulty (guesses with limit 1, see rating.ts). */
  rating: number;
}

/**
 * Parses and validates one data line.
 *
 * @param text The line, without its newline.
 * @param file File name for errors.
 * @param line 1-based line number for errors.
 * @returns The row.
 * @throws {HrmError} `file: line N: problem` for a wrong field count, a question or answer that
 * is not 81 valid characters, an answer that is not a valid sudoku, an answer that contradicts a
 * clue, or a rating that is not a non-negative integer.
 *
 * @example A bad answer names the line
 * ```ts
 * import { parseCsvLine } from "./csv.ts";
 * try {
 *   parseCsvLine("x," + ".".repeat(81) + "," + "1".repeat(81) + ",0", "t.csv", 2);
 *   throw new Error("unreachable");
 * } catch (e) {
 *   if (!(e as Error).message.startsWith("t.csv: line 2: answer")) throw e;
 * }
 * ```
 */
export function parseCsvLine(text: string, file: string, line: number): SudokuCsvRow {
  const bad = (problem: string): never => {
    throw new HrmError(file, `line ${line}: ${problem}`);
  };
  const fields = text.split(",").map(unquote);
  if (fields.length !== 4) bad(`expected 4 fields (${CSV_HEADER}), found ${fields.length}`);
  const [source, question, answer, ratingText] = fields;
  const puzzle = parseBoard(question) ??
    bad(`question must be 81 characters of "." or 1-9, got ${question.length} characters`);
  const solution = parseBoard(answer);
  if (solution === undefined || answer.length !== 81 || solution.includes(0)) {
    bad(`answer must be 81 digits 1-9, got ${JSON.stringify(answer.slice(0, 90))}`);
  }
  if (!isValidSolution(solution!)) bad("answer is not a valid sudoku solution");
  if (!cluesMatch(puzzle, solution!)) bad("answer contradicts a clue of the question");
  const rating = Number(ratingText);
  if (ratingText === "" || !Number.isInteger(rating) || rating < 0) {
    bad(`rating must be a non-negative integer, got ${JSON.stringify(ratingText)}`);
  }
  return { source, puzzle, solution: solution!, rating };
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

/**
 * Streams the rows of a CSV file, validating each (see {@linkcode parseCsvLine}).
 *
 * @param path The CSV file.
 * @returns Rows in file order with their 1-based line numbers.
 * @throws {HrmError} when the file is missing, the header differs, or a row is bad.
 */
export async function* readSudokuCsv(
  path: string,
): AsyncGenerator<SudokuCsvRow & { line: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    throw new HrmError(path, `Cannot open CSV: ${(e as Error).message}`, { cause: e });
  }
  let lineNo = 0, rest = "";
  const decoded = file.readable.pipeThrough(new TextDecoderStream());
  const handle = function* (text: string): Generator<SudokuCsvRow & { line: number }> {
    lineNo++;
    const t = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (lineNo === 1) {
      const header = t.replace(/^\uFEFF/, "");
      if (header !== CSV_HEADER) {
        throw new HrmError(path, `line 1: header must be "${CSV_HEADER}", got "${header}"`);
      }
      return;
    }
    if (t === "") return;
    yield { ...parseCsvLine(t, path, lineNo), line: lineNo };
  };
  for await (const chunk of decoded) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) yield* handle(part);
  }
  if (rest !== "") yield* handle(rest);
  if (lineNo === 0) throw new HrmError(path, `empty file, expected the header "${CSV_HEADER}"`);
}

/**
 * Writes rows as a CSV file (atomically).
 *
 * @param path The file to write.
 * @param rows The rows.
 * @returns Resolves once the file is in place.
 *
 * @example Round trip
 * ```ts
 * import { readSudokuCsv, writeSudokuCsv } from "./csv.ts";
 * const g = new Uint8Array(81);
 * for (let r = 0; r < 9; r++) for (let c = 0; c < 9; c++) {
 *   g[r * 9 + c] = ((r * 3 + Math.floor(r / 3) + c) % 9) + 1;
 * }
 * const path = (await Deno.makeTempDir()) + "/x.csv";
 * await writeSudokuCsv(path, [{ source: "s", puzzle: new Uint8Array(81), solution: g, rating: 3 }]);
 * for await (const row of readSudokuCsv(path)) if (row.rating !== 3) throw new Error();
 * ```
 */
export async function writeSudokuCsv(path: string, rows: Iterable<SudokuCsvRow>): Promise<void> {
  const enc = new TextEncoder();
  function* lines(): Generator<Uint8Array> {
    let buf = CSV_HEADER + "\n";
    for (const r of rows) {
      buf += `${r.source},${formatBoard(r.puzzle)},${r.solution.join("")},${r.rating}\n`;
      if (buf.length > 1 << 16) {
        yield enc.encode(buf);
        buf = "";
      }
    }
    yield enc.encode(buf);
  }
  await atomicWrite(path, lines());
}
