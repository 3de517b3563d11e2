/**
 * ARC tasks in memory, and their validation: one task is demonstration ("train") pairs and test
 * pairs of grids up to 30×30 with colours 0–9. Anything a user can fix (bad JSON, ragged rows,
 * oversized or empty grids, bad colours) is an {@linkcode HrmError} naming the file and the task.
 *
 * @module
 */
import { HrmError } from "../../lib/errors.ts";
import type { Grid } from "../grid.ts";

/** The largest ARC grid side; the canvas is this square. */
export const ARC_MAX_GRID_SIZE = 30;
/** The largest ARC colour. */
export const ARC_MAX_COLOR_VALUE = 9;

/** One input/output pair. `output` is null for a test input whose answer is unknown. */
export interface ArcPair {
  /** The input grid. */
  input: Grid;
  /** The output grid, or null when unknown (a Kaggle challenge without solutions). */
  output: Grid | null;
}

/** One ARC task, as loaded. */
export interface ArcTask {
  /** Unique task name (file stem or Kaggle id; `-2`, `-3`... appended on a name clash). */
  name: string;
  /** Where the task came from: a path, or `path#id` for a Kaggle combined file. */
  file: string;
  /** In a `--test-set` folder/subset: its test pairs go to the test split. */
  inTestSet: boolean;
  /** Demonstration pairs (the JSON "train" list). */
  train: ArcPair[];
  /** Test pairs (the JSON "test" list). */
  test: ArcPair[];
}

/**
 * Parses and validates one grid: a non-empty rectangular list of rows of integers 0–9, at most
 * 30×30.
 *
 * @param value The parsed JSON value.
 * @param file File named in errors.
 * @param where Task and position named in errors, e.g. `task 0a1d4ef5: train[2].input`.
 * @returns The grid.
 * @throws {HrmError} When the value is not a valid ARC grid.
 *
 * @example A 2×2 grid
 * ```ts
 * import { parseGrid } from "./task.ts";
 * const g = parseGrid([[1, 2], [3, 4]], "x.json", "task x: train[0].input");
 * if (g.h !== 2 || g.w !== 2 || g.data[3] !== 4) throw new Error();
 * ```
 */
export function parseGrid(value: unknown, file: string, where: string): Grid {
  if (!Array.isArray(value)) throw new HrmError(file, `${where}: expected a list of rows`);
  const h = value.length;
  if (h === 0) throw new HrmError(file, `${where}: empty grid`);
  const first = value[0];
  if (!Array.isArray(first)) throw new HrmError(file, `${where}: row 0 is not a list`);
  const w = first.length;
  if (w === 0) throw new HrmError(file, `${where}: empty grid (row 0 has no cells)`);
  if (h > ARC_MAX_GRID_SIZE || w > ARC_MAX_GRID_SIZE) {
    throw new HrmError(
      file,
      `${where}: grid is ${h}×${w}, larger than ${ARC_MAX_GRID_SIZE}×${ARC_MAX_GRID_SIZE}`,
    );
  }
  const data = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    const row = value[r];
    if (!Array.isArray(row)) throw new HrmError(file, `${where}: row ${r} is not a list`);
    if (row.length !== w) {
      throw new HrmError(
        file,
        `${where}: ragged rows: row ${r} has ${row.length} cells, row 0 has ${w}`,
      );
    }
    for (let c = 0; c < w; c++) {
      const x = row[c];
      if (!Number.isInteger(x) || x < 0 || x > ARC_MAX_COLOR_VALUE) {
        throw new HrmError(
          file,
          `${where}: cell (${r}, ${c}) is ${
            JSON.stringify(x)
          }, colours must be integers 0-${ARC_MAX_COLOR_VALUE}`,
        );
      }
      data[r * w + c] = x;
    }
  }
  return { h, w, data };
}

/**
 * Parses and validates one task object `{"train": [...], "test": [...]}` (extra keys such as
 * `"name"` are ignored).
 *
 * @param value The parsed JSON value.
 * @param file File named in errors.
 * @param name The task name.
 * @param opts `inTestSet`: whether its test pairs go to the test split; `outputsOptional`: test
 *   pairs may lack `"output"` (Kaggle challenges without solutions).
 * @returns The task.
 * @throws {HrmError} When the task is malformed.
 *
 * @example One demonstration and one test pair
 * ```ts
 * import { parseTask } from "./task.ts";
 * const t = parseTask(
 *   { train: [{ input: [[1]], output: [[2]] }], test: [{ input: [[3]], output: [[4]] }] },
 *   "t.json", "t", { inTestSet: false },
 * );
 * if (t.train.length !== 1 || t.test[0].output?.data[0] !== 4) throw new Error();
 * ```
 */
export function parseTask(
  value: unknown,
  file: string,
  name: string,
  opts: { inTestSet: boolean; outputsOptional?: boolean },
): ArcTask {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HrmError(file, `task ${name}: expected an object with "train" and "test" lists`);
  }
  const obj = value as Record<string, unknown>;
  const lists: Record<"train" | "test", ArcPair[]> = { train: [], test: [] };
  for (const key of ["train", "test"] as const) {
    const list = obj[key];
    if (!Array.isArray(list)) {
      throw new HrmError(file, `task ${name}: "${key}" must be a list of pairs`);
    }
    list.forEach((pair, i) => {
      const where = `task ${name}: ${key}[${i}]`;
      if (typeof pair !== "object" || pair === null || Array.isArray(pair)) {
        throw new HrmError(file, `${where}: expected {"input", "output"}`);
      }
      const p = pair as Record<string, unknown>;
      if (!("input" in p)) throw new HrmError(file, `${where}: missing "input"`);
      const input = parseGrid(p.input, file, `${where}.input`);
      let output: Grid | null = null;
      if ("output" in p) output = parseGrid(p.output, file, `${where}.output`);
      else if (key === "train" || !opts.outputsOptional) {
        throw new HrmError(file, `${where}: missing "output"`);
      }
      lists[key].push({ input, output });
    });
  }
  if (lists.train.length + lists.test.length === 0) {
    throw new HrmError(file, `task ${name}: no pairs`);
  }
  return { name, file, inTestSet: opts.inTestSet, train: lists.train, test: lists.test };
}

/**
 * Parses JSON text, turning a syntax error into an {@linkcode HrmError} naming the file.
 *
 * @param text The file contents.
 * @param file File named in errors.
 * @returns The parsed value.
 * @throws {HrmError} When the text is not valid JSON.
 *
 * @example
 * ```ts
 * import { parseJson } from "./task.ts";
 * if ((parseJson("[1]", "x.json") as number[])[0] !== 1) throw new Error();
 * ```
 */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HrmError(file, `Cannot parse JSON: ${(e as Error).message}`, { cause: e });
  }
}
