/**
 * What evaluation needs to undo ARC augmentation: `<out>/arc_variants.json`, written by the ARC
 * build, and {@linkcode invertPrediction}, which turns a predicted 900-token canvas of a variant
 * back into a grid of the original task (crop as the reference's arc_eval notebook, inverse colour
 * map, inverse dihedral transform). Voting groups the inverted predictions of all variants by
 * (task, test-input index).
 *
 * File format (JSON object):
 * - `format` `"hrm-arc-variants"`, `version` 1, `seq_len` 900, `seed`, `aug`, `test_set`;
 * - `tasks`: the test-set tasks, `[{name, file, test_inputs, test_outputs}]`, grids as lists of
 *   rows, an output `null` when unknown;
 * - `puzzles`: one row per test-split puzzle, in the test split's order:
 *   `[puzzle_identifier, task index, dihedral id, "<10-digit colour map>"]`. Example j of that
 *   puzzle is test input j of the task, transformed by the variant.
 *
 * @module
 */
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { atomicWrite } from "../../lib/io/atomic_write.ts";
import type { Grid } from "../grid.ts";
import { type ArcVariant, invertVariant } from "./augment.ts";
import { cropTokens } from "./encode.ts";

/** The file name of the inversion metadata inside a dataset directory. */
export const ARC_VARIANTS_FILE = "arc_variants.json";

/** A test-set task: what its test inputs were, and the answers when known. */
export interface ArcTestTask {
  /** The task name (file stem or Kaggle id): the key of submission.json. */
  name: string;
  /** Where it was loaded from. */
  file: string;
  /** The original test inputs, in order. */
  test_inputs: number[][][];
  /** The original test outputs (null when unknown), in order. */
  test_outputs: (number[][] | null)[];
}

/** One puzzle of the test split. */
export interface ArcTestPuzzle {
  /** Its puzzle identifier (index into identifiers.json). */
  puzzle_identifier: number;
  /** Index into {@linkcode ArcVariants.tasks}. */
  task: number;
  /** Dihedral id 0..7 applied to the original. */
  t: number;
  /** Colour map applied to the original: `colours[c]` is the new colour of c. */
  colours: number[];
}

/** The contents of arc_variants.json. */
export interface ArcVariants {
  /** The build's seed. */
  seed: number;
  /** The build's `--aug`. */
  aug: number;
  /** Folder/subset names that formed the test set. */
  test_set: string[];
  /** The test-set tasks. */
  tasks: ArcTestTask[];
  /** One entry per test-split puzzle, in the split's order. */
  puzzles: ArcTestPuzzle[];
}

/**
 * Inverts one prediction of a variant back to the original task's frame.
 *
 * @param tokens The 900 predicted tokens (argmax over the vocabulary).
 * @param variant The variant the puzzle was built with (`{t, colours}` of an
 *   {@linkcode ArcTestPuzzle}).
 * @returns The predicted grid of the original task, as rows (empty when nothing was predicted at
 *   the top-left).
 * @throws {RangeError} When `tokens` is not 900 long.
 *
 * @example Inverting an encoded variant gives the original grid
 * ```ts
 * import { invertPrediction } from "./invert.ts";
 * import { applyVariant } from "./augment.ts";
 * import { encodeGrid } from "./encode.ts";
 * const v = { t: 1, colours: [0, 2, 3, 1, 4, 5, 6, 7, 8, 9] };
 * const g = { h: 1, w: 2, data: new Uint8Array([1, 0]) };
 * const rows = invertPrediction(encodeGrid(applyVariant(g, v)), v);
 * if (JSON.stringify(rows) !== "[[1,0]]") throw new Error();
 * ```
 */
export function invertPrediction(tokens: Uint8Array, variant: ArcVariant): number[][] {
  const g = cropTokens(tokens);
  if (g.h === 0 || g.w === 0) return [];
  return gridToRows(invertVariant(g, variant));
}

/**
 * A grid as a list of rows (the ARC JSON form).
 *
 * @param g The grid.
 * @returns Its rows.
 */
export function gridToRows(g: Grid): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < g.h; i++) rows.push(Array.from(g.data.subarray(i * g.w, (i + 1) * g.w)));
  return rows;
}

/**
 * Reads and validates `<dir>/arc_variants.json`.
 *
 * @param dir The dataset directory.
 * @returns The inversion metadata.
 * @throws {HrmError} When the file is missing or malformed.
 *
 * @example
 * ```ts ignore
 * const meta = await readArcVariants("data/arc-aug-1000");
 * const p = meta.puzzles[0];
 * console.log(meta.tasks[p.task].name, p.t, p.colours);
 * ```
 */
export async function readArcVariants(dir: string): Promise<ArcVariants> {
  const file = join(dir, ARC_VARIANTS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new HrmError(file, "not found: ARC voting needs a dataset built by hrm gen arc", {
        cause: e,
      });
    }
    throw new HrmError(file, `cannot read ARC variants: ${(e as Error).message}`, { cause: e });
  }
  const bad = (problem: string): never => {
    throw new HrmError(file, problem);
  };
  if (typeof raw !== "object" || raw === null) bad("expected a JSON object");
  const o = raw as Record<string, unknown>;
  if (o.format !== "hrm-arc-variants" || o.version !== 1) {
    bad(`unknown format ${JSON.stringify(o.format)} version ${JSON.stringify(o.version)}`);
  }
  if (!Array.isArray(o.tasks) || !Array.isArray(o.puzzles)) bad(`missing "tasks" or "puzzles"`);
  const tasks = o.tasks as ArcTestTask[];
  tasks.forEach((t, i) => {
    if (
      typeof t?.name !== "string" || !Array.isArray(t.test_inputs) ||
      !Array.isArray(t.test_outputs) || t.test_inputs.length !== t.test_outputs.length
    ) bad(`tasks[${i}] is malformed`);
  });
  const puzzles = (o.puzzles as unknown[]).map((row, i): ArcTestPuzzle => {
    if (
      !Array.isArray(row) || row.length !== 4 || !Number.isInteger(row[0]) ||
      !Number.isInteger(row[1]) || row[1] < 0 || row[1] >= tasks.length ||
      !Number.isInteger(row[2]) || row[2] < 0 || row[2] > 7 ||
      typeof row[3] !== "string" || !/^0[1-9]{9}$/.test(row[3])
    ) {
      return bad(`puzzles[${i}] is malformed: ${JSON.stringify(row)}`);
    }
    return {
      puzzle_identifier: row[0],
      task: row[1],
      t: row[2],
      colours: Array.from(row[3], Number),
    };
  });
  return {
    seed: Number(o.seed),
    aug: Number(o.aug),
    test_set: Array.isArray(o.test_set) ? o.test_set.map(String) : [],
    tasks,
    puzzles,
  };
}

/** Test-split puzzles in columns, as the build collects them. */
export interface ArcTestPuzzleColumns {
  /** Puzzle identifiers, in test-split order. */
  puzzle_identifier: ArrayLike<number>;
  /** Task indices. */
  task: ArrayLike<number>;
  /** 11 bytes per puzzle: the dihedral id, then the 10-colour map. */
  variants: Uint8Array;
}

/**
 * Writes `<dir>/arc_variants.json` atomically, streaming the puzzle rows.
 *
 * @param dir The dataset directory (must exist).
 * @param head The build's seed, aug and test-set names.
 * @param tasks The test-set tasks.
 * @param puzzles The test split's puzzles.
 * @returns Resolves once the file is in place.
 */
export async function writeArcVariants(
  dir: string,
  head: { seed: number; aug: number; test_set: string[] },
  tasks: ArcTestTask[],
  puzzles: ArcTestPuzzleColumns,
): Promise<void> {
  const enc = new TextEncoder();
  const n = puzzles.puzzle_identifier.length;
  function* chunks(): Generator<Uint8Array> {
    yield enc.encode(
      `{"format":"hrm-arc-variants","version":1,"seq_len":900,"seed":${head.seed},"aug":${head.aug},` +
        `"test_set":${JSON.stringify(head.test_set)},\n"tasks":[\n`,
    );
    for (let i = 0; i < tasks.length; i++) {
      yield enc.encode(`${JSON.stringify(tasks[i])}${i + 1 < tasks.length ? "," : ""}\n`);
    }
    yield enc.encode(`],\n"puzzles":[\n`);
    for (let start = 0; start < n; start += 8192) {
      const rows: string[] = [];
      for (let i = start; i < Math.min(n, start + 8192); i++) {
        const v = puzzles.variants.subarray(i * 11, i * 11 + 11);
        rows.push(
          `[${puzzles.puzzle_identifier[i]},${puzzles.task[i]},${v[0]},"${
            v.subarray(1).join("")
          }"]` +
            (i + 1 < n ? ",\n" : "\n"),
        );
      }
      yield enc.encode(rows.join(""));
    }
    yield enc.encode("]}\n");
  }
  await atomicWrite(join(dir, ARC_VARIANTS_FILE), chunks());
}
