/**
 * Batches from an HRM dataset split, as the reference's PuzzleDataset makes them
 * (puzzle_dataset.py): in training, each iteration shuffles the groups (seeded by seed +
 * iteration), takes one random puzzle per group and examples from it until the batch is full,
 * and drops the incomplete last batch; in testing, examples in file order, the last batch padded.
 * Labels equal to the dataset's ignore_label_id become −100.
 *
 * @module
 */
import { Rng } from "../../datasets/rng.ts";

/** The IGNORE_LABEL_ID of the reference's losses. */
export const IGNORE_LABEL_ID = -100;

/** The arrays and metadata a sampler reads (a subset of a loaded split). */
export interface SamplerSource {
  /** `[N · S]` */
  inputs: Uint8Array;
  /** `[N · S]` */
  labels: Uint8Array;
  /** `[N_puzzles]` */
  puzzle_identifiers: Int32Array;
  /** `[N_puzzles + 1]` */
  puzzle_indices: Int32Array;
  /** `[N_groups + 1]` */
  group_indices: Int32Array;
  /** Sequence length. */
  seq_len: number;
  /** Padding token id. */
  pad_id: number;
  /** Label id mapped to −100, or null. */
  ignore_label_id: number | null;
  /** Identifier used for padding rows. */
  blank_identifier_id: number;
}

/** One batch, ready to upload (i32). */
export interface HostBatch {
  /** `[B · S]` */
  inputs: Int32Array;
  /** `[B · S]` */
  labels: Int32Array;
  /** `[B]` */
  puzzle_identifiers: Int32Array;
  /** Rows that hold real examples (the rest is padding). */
  effective: number;
  /** Example index of each real row, in file order (test mode). */
  exampleIndex?: Int32Array;
}

function collate(
  src: SamplerSource,
  examples: ArrayLike<number>,
  puzzles: ArrayLike<number>,
  B: number,
): HostBatch {
  const S = src.seq_len;
  const inputs = new Int32Array(B * S).fill(src.pad_id);
  const labels = new Int32Array(B * S).fill(IGNORE_LABEL_ID);
  const ids = new Int32Array(B).fill(src.blank_identifier_id);
  for (let r = 0; r < examples.length; r++) {
    const e = examples[r];
    for (let t = 0; t < S; t++) {
      inputs[r * S + t] = src.inputs[e * S + t];
      const l = src.labels[e * S + t];
      labels[r * S + t] = l === src.ignore_label_id ? IGNORE_LABEL_ID : l;
    }
    ids[r] = src.puzzle_identifiers[puzzles[r]];
  }
  return { inputs, labels, puzzle_identifiers: ids, effective: examples.length };
}

/**
 * Training batches for one iteration of `epochsPerIter` epochs (the reference's `_iter_train`).
 *
 * @param src The training split.
 * @param batchSize global_batch_size.
 * @param seed The run seed; the iteration number is added as the reference does.
 * @param iteration 1-based iteration counter.
 * @param epochsPerIter Epochs per iteration.
 * @returns A generator of full batches.
 */
export function* trainBatches(
  src: SamplerSource,
  batchSize: number,
  seed: number,
  iteration: number,
  epochsPerIter = 1,
): Generator<HostBatch> {
  const rng = new Rng(`${seed}:${iteration}`);
  const groups = src.group_indices.length - 1;
  const order: number[] = [];
  for (let e = 0; e < epochsPerIter; e++) order.push(...rng.permutation(groups));
  let i = 0;
  while (i < order.length) {
    const examples: number[] = [], puzzles: number[] = [];
    while (i < order.length && examples.length < batchSize) {
      const g = order[i++];
      const puzzle = src.group_indices[g] +
        rng.int(src.group_indices[g + 1] - src.group_indices[g]);
      const start = src.puzzle_indices[puzzle];
      const size = src.puzzle_indices[puzzle + 1] - start;
      const take = Math.min(size, batchSize - examples.length);
      const pick = rng.permutation(size).slice(0, take);
      for (const p of pick) {
        examples.push(start + p);
        puzzles.push(puzzle);
      }
    }
    if (examples.length < batchSize) return;
    yield collate(src, examples, puzzles, batchSize);
  }
}

/**
 * Test batches: every example in file order, the last batch padded (the reference's `_iter_test`).
 *
 * @param src The test split.
 * @param batchSize Rows per batch.
 * @param limit Stop after this many examples.
 */
export function* testBatches(
  src: SamplerSource,
  batchSize: number,
  limit = Infinity,
): Generator<HostBatch> {
  const total = Math.min(src.inputs.length / src.seq_len, limit);
  let puzzle = 0;
  for (let start = 0; start < total; start += batchSize) {
    const end = Math.min(total, start + batchSize);
    const examples: number[] = [], puzzles: number[] = [];
    for (let e = start; e < end; e++) {
      while (puzzle + 1 < src.puzzle_indices.length && e >= src.puzzle_indices[puzzle + 1]) {
        puzzle++;
      }
      examples.push(e);
      puzzles.push(puzzle);
    }
    const b = collate(src, examples, puzzles, batchSize);
    b.exampleIndex = Int32Array.from(examples);
    yield b;
  }
}

/** Total optimizer steps of a run, as pretrain.py estimates it. */
export function totalSteps(
  epochs: number,
  totalGroups: number,
  meanPuzzleExamples: number,
  batchSize: number,
): number {
  return Math.floor(epochs * totalGroups * meanPuzzleExamples / batchSize);
}
