/**
 * Imports the published Sudoku-Extreme CSVs into the HRM layout as build_sudoku_dataset.py
 * does: rows rated below `minDifficulty` are dropped (both splits), the train split is optionally
 * subsampled (seeded here; the reference's draw is unseeded) and augmented, the test split is
 * kept whole and not augmented. Rows stream through, so the full 3.8M-row train.csv needs no
 * more memory than a subsample does.
 *
 * @module
 */
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { writeIdentifiers } from "../../lib/io/dataset.ts";
import { Rng } from "../rng.ts";
import { readSudokuCsv, type SudokuCsvRow, writeSudokuCsv } from "./csv.ts";
import { type SplitSummary, SudokuSplitWriter } from "./write.ts";

/** Options of {@linkcode importSudokuCsv}. */
export interface SudokuImportOptions {
  /** A folder holding train.csv and test.csv, or the train CSV itself. */
  from: string;
  /** The test CSV when `from` is a file. */
  testCsv?: string;
  /** The dataset directory. */
  out: string;
  /** Augmented copies per train puzzle. @default {1000} */
  aug?: number;
  /** Seeds the subsample and the augmentation. @default {0} */
  seed?: number;
  /** Keep rows rated at least this. */
  minDifficulty?: number;
  /** Keep this many train rows, drawn uniformly (seeded reservoir sample, file order kept). */
  subsample?: number;
  /** Also write the imported rows as train.csv/test.csv in `out` (holds them in memory). */
  csv?: boolean;
  /** Aborting stops between rows; staged files are removed. */
  signal?: AbortSignal;
  /** Called every 10,000 rows read, with the split and rows read so far. */
  onProgress?: (split: "train" | "test", rows: number) => void;
}

/**
 * Imports the CSVs.
 *
 * @param opts See {@linkcode SudokuImportOptions}.
 * @returns Per-split summaries.
 * @throws {HrmError} for a missing file, a bad header or row (naming file and line), or a
 * non-positive subsample. A subsample larger than the rows kept keeps them all, as the reference
 * does.
 *
 * @example A one-row import
 * ```ts
 * import { importSudokuCsv } from "./import.ts";
 * import { writeSudokuCsv } from "./csv.ts";
 * const dir = await Deno.makeTempDir();
 * const g = new Uint8Array(81);
 * for (let r = 0; r < 9; r++) for (let c = 0; c < 9; c++) {
 *   g[r * 9 + c] = ((r * 3 + Math.floor(r / 3) + c) % 9) + 1;
 * }
 * const row = { source: "s", puzzle: g.map((v, i) => (i % 2 ? 0 : v)), solution: g, rating: 1 };
 * await writeSudokuCsv(`${dir}/train.csv`, [row]);
 * await writeSudokuCsv(`${dir}/test.csv`, [row]);
 * const s = await importSudokuCsv({ from: dir, out: `${dir}/data`, aug: 2 });
 * if (s.train.puzzles !== 3 || s.test.puzzles !== 1) throw new Error();
 * ```
 */
export async function importSudokuCsv(
  opts: SudokuImportOptions,
): Promise<{ train: SplitSummary; test: SplitSummary }> {
  const { trainCsv, testCsv } = await resolvePaths(opts.from, opts.testCsv);
  const seed = opts.seed ?? 0, aug = opts.aug ?? 1000;
  const keep = (r: SudokuCsvRow): boolean =>
    opts.minDifficulty === undefined || r.rating >= opts.minDifficulty;
  const kept: Record<"train" | "test", SudokuCsvRow[]> = { train: [], test: [] };

  const importSplit = async (split: "train" | "test", path: string): Promise<SplitSummary> => {
    const w = new SudokuSplitWriter(opts.out, split, aug, seed);
    try {
      let read = 0;
      const rows = async function* (): AsyncGenerator<SudokuCsvRow> {
        for await (const r of readSudokuCsv(path)) {
          if (++read % 10_000 === 0) {
            opts.signal?.throwIfAborted();
            opts.onProgress?.(split, read);
          }
          if (keep(r)) yield r;
        }
      };
      const source = split === "train" && opts.subsample !== undefined
        ? await reservoir(rows(), opts.subsample, new Rng(`sudoku/${seed}/subsample`))
        : rows();
      for await (const r of source) {
        await w.add(r);
        if (opts.csv) kept[split].push(r);
      }
      opts.onProgress?.(split, read);
      return await w.finish();
    } catch (e) {
      await w.abort();
      throw e;
    }
  };
  const train = await importSplit("train", trainCsv);
  const test = await importSplit("test", testCsv);
  await writeIdentifiers(opts.out, ["<blank>"]);
  if (opts.csv) {
    await writeSudokuCsv(join(opts.out, "train.csv"), kept.train);
    await writeSudokuCsv(join(opts.out, "test.csv"), kept.test);
  }
  return { train, test };
}

async function resolvePaths(
  from: string,
  testCsv: string | undefined,
): Promise<{ trainCsv: string; testCsv: string }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(from);
  } catch (e) {
    throw new HrmError(from, `Cannot read --from-csv: ${(e as Error).message}`, { cause: e });
  }
  if (info.isDirectory) {
    return { trainCsv: join(from, "train.csv"), testCsv: testCsv ?? join(from, "test.csv") };
  }
  if (testCsv === undefined) {
    throw new HrmError(
      from,
      "--from-csv names a file, so --test-csv must name the test CSV (or pass the folder holding train.csv and test.csv)",
      { exitCode: 2 },
    );
  }
  return { trainCsv: from, testCsv };
}

/** Uniform sample of k rows (Algorithm R), in file order; all rows when there are fewer. */
async function reservoir(
  rows: AsyncIterable<SudokuCsvRow>,
  k: number,
  rng: Rng,
): Promise<SudokuCsvRow[]> {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new HrmError(undefined, `--subsample must be a positive integer, got ${k}`, {
      exitCode: 2,
    });
  }
  const picked: { i: number; row: SudokuCsvRow }[] = [];
  let i = 0;
  for await (const row of rows) {
    if (picked.length < k) picked.push({ i, row });
    else {
      const j = rng.int(i + 1);
      if (j < k) picked[j] = { i, row };
    }
    i++;
  }
  return picked.sort((a, b) => a.i - b.i).map((p) => p.row);
}
