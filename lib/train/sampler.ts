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

/** Where one training batch's rows come from: example and puzzle index per row. */
export interface BatchIndices {
  /** Example index of each row. `[B]` */
  examples: Int32Array;
  /** Puzzle index of each row. `[B]` */
  puzzles: Int32Array;
}

/**
 * The example indices of one training iteration's batches (the reference's `_iter_train` and
 * `_sample_batch`), without collating them. The group order is `epochsPerIter` independent
 * permutations of the groups, drawn one epoch at a time into a typed array (an iteration of the
 * full Sudoku-Hard set walks tens of millions of groups); each group visited contributes one
 * random puzzle, whose examples are taken in random order until the batch is full (a puzzle may
 * be cut at a batch boundary, its other examples are not used). The incomplete last batch is
 * dropped.
 *
 * Randomness: the permutations come from the stream `seed:iteration` and the puzzle and example
 * choices from `seed:iteration:pick` (the reference uses Philox(seed + iteration) and NumPy's
 * global generator; the streams differ, the distribution is the same).
 *
 * @param src The training split's index arrays.
 * @param batchSize global_batch_size.
 * @param seed The run seed.
 * @param iteration 1-based iteration counter.
 * @param epochsPerIter Epochs per iteration (eval_interval).
 * @returns A generator of full batches' indices; the arrays are fresh for every batch.
 */
export function* trainBatchIndices(
  src: Pick<SamplerSource, "puzzle_indices" | "group_indices">,
  batchSize: number,
  seed: number,
  iteration: number,
  epochsPerIter = 1,
): Generator<BatchIndices> {
  const orderRng = new Rng(`${seed}:${iteration}`);
  const pickRng = new Rng(`${seed}:${iteration}:pick`);
  const groups = src.group_indices.length - 1;
  if (groups < 1) return;
  const order = new Int32Array(groups);
  let scratch = new Int32Array(16);
  let examples = new Int32Array(batchSize), puzzles = new Int32Array(batchSize);
  let filled = 0;
  for (let epoch = 0; epoch < epochsPerIter; epoch++) {
    for (let i = 0; i < groups; i++) order[i] = i;
    orderRng.shuffle(order);
    for (let i = 0; i < groups; i++) {
      const g = order[i];
      const puzzle = src.group_indices[g] +
        pickRng.int(src.group_indices[g + 1] - src.group_indices[g]);
      const start = src.puzzle_indices[puzzle];
      const size = src.puzzle_indices[puzzle + 1] - start;
      const take = Math.min(size, batchSize - filled);
      // A partial Fisher–Yates shuffle: `take` distinct examples in random order.
      if (scratch.length < size) scratch = new Int32Array(size);
      for (let k = 0; k < size; k++) scratch[k] = k;
      for (let k = 0; k < take; k++) {
        const j = k + pickRng.int(size - k);
        const t = scratch[k];
        scratch[k] = scratch[j];
        scratch[j] = t;
        examples[filled] = start + scratch[k];
        puzzles[filled++] = puzzle;
      }
      if (filled === batchSize) {
        yield { examples, puzzles };
        examples = new Int32Array(batchSize);
        puzzles = new Int32Array(batchSize);
        filled = 0;
      }
    }
  }
}

/**
 * Training batches for one iteration of `epochsPerIter` epochs (the reference's `_iter_train`):
 * {@linkcode trainBatchIndices}, collated.
 *
 * @param src The training split.
 * @param batchSize global_batch_size.
 * @param seed The run seed; the iteration number is added as the reference does.
 * @param iteration 1-based iteration counter.
 * @param epochsPerIter Epochs per iteration.
 * @param skip Batches to pass over without collating them (resuming inside an iteration).
 * @returns A generator of full batches.
 */
export function* trainBatches(
  src: SamplerSource,
  batchSize: number,
  seed: number,
  iteration: number,
  epochsPerIter = 1,
  skip = 0,
): Generator<HostBatch> {
  let n = 0;
  for (const b of trainBatchIndices(src, batchSize, seed, iteration, epochsPerIter)) {
    if (n++ < skip) continue;
    yield collate(src, b.examples, b.puzzles, batchSize);
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
