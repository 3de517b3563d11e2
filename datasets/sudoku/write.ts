/**
 * Writes sudoku puzzles in the reference HRM layout exactly as build_sudoku_dataset.py does:
 * tokens = cell + 1 (blank 1, digit d → d + 1, PAD 0, vocab 11), labels = solution digit + 1,
 * seq_len 81, every puzzle identifier 0 (identifiers.json = ["<blank>"]), ignore_label_id 0.
 * Train groups hold the original and K augmented copies, each its own puzzle with one example;
 * test puzzles are one group each, not augmented.
 *
 * @module
 */
import { join } from "@std/path";
import { SplitWriter, writeIdentifiers } from "../../lib/io/dataset.ts";
import { Rng } from "../rng.ts";
import { applySymmetry, randomSymmetry } from "./augment.ts";
import { CELLS } from "./board.ts";
import { type SudokuCsvRow, writeSudokuCsv } from "./csv.ts";

/** Token vocabulary: PAD, blank, digits 1..9. */
export const SUDOKU_VOCAB_SIZE = 11;

/** What one written split holds. */
export interface SplitSummary {
  /** Original puzzles (groups). */
  groups: number;
  /** Puzzles including augmented copies (= examples). */
  puzzles: number;
  /** Mean rating of the original puzzles (NaN when empty). */
  meanRating: number;
}

/**
 * Encodes a board as tokens: value + 1 (blank → 1, digit d → d + 1).
 *
 * @param board 81 cells.
 * @returns 81 tokens.
 */
export function sudokuTokens(board: ArrayLike<number>): Uint8Array {
  const t = new Uint8Array(CELLS);
  for (let i = 0; i < CELLS; i++) t[i] = board[i] + 1;
  return t;
}

/**
 * Streams one split: takes rows one at a time, so a split need not fit in memory.
 */
export class SudokuSplitWriter {
  readonly #w: SplitWriter;
  readonly #aug: number;
  readonly #seed: number;
  #groups = 0;
  #puzzles = 0;
  #ratingSum = 0;

  /**
   * @param out The dataset directory.
   * @param split "train" or "test".
   * @param aug Augmented copies per puzzle (used for train only, as the reference does).
   * @param seed Seeds the augmentation draws (one stream per group).
   */
  constructor(out: string, readonly split: "train" | "test", aug: number, seed: number) {
    this.#w = new SplitWriter(out, split, {
      seq_len: CELLS,
      vocab_size: SUDOKU_VOCAB_SIZE,
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
    });
    this.#aug = split === "train" ? aug : 0;
    this.#seed = seed;
  }

  /**
   * Adds one original puzzle and its augmented copies as a group.
   *
   * @param row The puzzle.
   * @returns Resolves once buffered or written.
   */
  async add(row: SudokuCsvRow): Promise<void> {
    const rng = new Rng(`sudoku/${this.#seed}/aug/${this.#groups}`);
    const puzzles = [{
      puzzle_identifier: 0,
      examples: [{ input: sudokuTokens(row.puzzle), label: sudokuTokens(row.solution) }],
    }];
    const p = new Uint8Array(CELLS), s = new Uint8Array(CELLS);
    for (let k = 0; k < this.#aug; k++) {
      const sym = randomSymmetry(rng);
      applySymmetry(sym, row.puzzle, p);
      applySymmetry(sym, row.solution, s);
      puzzles.push({
        puzzle_identifier: 0,
        examples: [{ input: sudokuTokens(p), label: sudokuTokens(s) }],
      });
    }
    await this.#w.addGroup(puzzles);
    this.#groups++;
    this.#puzzles += puzzles.length;
    this.#ratingSum += row.rating;
  }

  /**
   * Publishes the split (dataset.json and the .npy files).
   *
   * @returns What was written.
   */
  async finish(): Promise<SplitSummary> {
    await this.#w.finish({ num_puzzle_identifiers: 1 });
    return {
      groups: this.#groups,
      puzzles: this.#puzzles,
      meanRating: this.#groups === 0 ? NaN : this.#ratingSum / this.#groups,
    };
  }

  /** Removes staged files (on error or interrupt). */
  abort(): Promise<void> {
    return this.#w.abort();
  }
}

/**
 * Writes both splits, identifiers.json and optionally the CSVs (`train.csv`, `test.csv` next
 * to the splits).
 *
 * @param out The dataset directory.
 * @param sets Original puzzles per split.
 * @param opts `aug` copies per train puzzle, `seed` for the augmentation, `csv` to also write
 * the CSVs, `signal` to stop between groups (staged files are removed), `onProgress(done,
 * total)` per group written.
 * @returns Per-split summaries.
 * @throws {HrmError} when a file cannot be written.
 */
export async function writeSudokuDataset(
  out: string,
  sets: { train: SudokuCsvRow[]; test: SudokuCsvRow[] },
  opts: {
    aug: number;
    seed: number;
    csv?: boolean;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ train: SplitSummary; test: SplitSummary }> {
  const total = sets.train.length + sets.test.length;
  let done = 0;
  const writeOne = async (split: "train" | "test"): Promise<SplitSummary> => {
    const w = new SudokuSplitWriter(out, split, opts.aug, opts.seed);
    try {
      for (const row of sets[split]) {
        opts.signal?.throwIfAborted();
        await w.add(row);
        opts.onProgress?.(++done, total);
      }
      return await w.finish();
    } catch (e) {
      await w.abort();
      throw e;
    }
  };
  const train = await writeOne("train");
  const test = await writeOne("test");
  await writeIdentifiers(out, ["<blank>"]);
  if (opts.csv) {
    await writeSudokuCsv(join(out, "train.csv"), sets.train);
    await writeSudokuCsv(join(out, "test.csv"), sets.test);
  }
  return { train, test };
}
