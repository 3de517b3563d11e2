/**
 * One ARC task → its encoded group(s): the original plus its augmented variants, each a puzzle
 * whose examples are the task's pairs on the 30×30 canvas. Pure and seeded by (seed, task name),
 * so workers can run tasks in any order and any number and still produce identical bytes.
 *
 * Which pairs go where (the reference's rule): demonstration pairs always go to train; test pairs
 * go to test for a test-set task, else to train as well (test pairs with unknown outputs are then
 * dropped). Train examples are translated at random except one per puzzle, which stays at (0, 0);
 * test examples always sit at (0, 0).
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { augmentPairs } from "./augment.ts";
import { ARC_SEQ_LEN, encodeGrid } from "./encode.ts";
import { ARC_MAX_GRID_SIZE, type ArcPair, type ArcTask } from "./task.ts";

/** One split's part of a group: every puzzle has the same number of examples. */
export interface ArcGroupArrays {
  /** Examples per puzzle (the task's pairs in this split). */
  examplesPerPuzzle: number;
  /** [puzzles * examplesPerPuzzle, 900] input tokens. */
  inputs: Uint8Array;
  /** [puzzles * examplesPerPuzzle, 900] label tokens (all PAD for an unknown output). */
  labels: Uint8Array;
}

/** A task's encoded group: the variants kept, and their train and test puzzles. */
export interface ArcTaskGroups {
  /** The task name. */
  name: string;
  /** Kept variants, identity first: 11 bytes each, the dihedral id then the 10-colour map. */
  variants: Uint8Array;
  /** Train puzzles (one per variant), or null when the task has no train pairs. */
  train: ArcGroupArrays | null;
  /** Test puzzles (one per variant), or null when the task is not in the test set. */
  test: ArcGroupArrays | null;
}

/** Bytes per variant in {@linkcode ArcTaskGroups.variants}. */
export const VARIANT_BYTES = 11;

/**
 * Augments and encodes one task.
 *
 * @param task The task.
 * @param aug Wanted variants besides the original.
 * @param seed The build seed; the task's generator is seeded by `${seed}/${task.name}`.
 * @returns The encoded group(s).
 *
 * @example The original plus two variants of a demo-only task
 * ```ts
 * import { buildTaskGroups } from "./build_task.ts";
 * const g = { h: 2, w: 2, data: new Uint8Array([1, 2, 3, 4]) };
 * const task = { name: "x", file: "x.json", inTestSet: false, train: [{ input: g, output: g }], test: [] };
 * const out = buildTaskGroups(task, 2, 42);
 * if (out.variants.length !== 3 * 11 || out.train?.inputs.length !== 3 * 900) throw new Error();
 * ```
 */
export function buildTaskGroups(task: ArcTask, aug: number, seed: number): ArcTaskGroups {
  const trainPairs: ArcPair[] = task.inTestSet
    ? task.train
    : [...task.train, ...task.test.filter((p) => p.output !== null)];
  const testPairs: ArcPair[] = task.inTestSet ? task.test : [];
  const rng = new Rng(`${seed}/${task.name}`);
  const kept = augmentPairs([...trainPairs, ...testPairs], aug, rng);
  const n = kept.length;
  const variants = new Uint8Array(n * VARIANT_BYTES);
  kept.forEach(({ variant }, i) => {
    variants[i * VARIANT_BYTES] = variant.t;
    for (let c = 0; c < 10; c++) variants[i * VARIANT_BYTES + 1 + c] = variant.colours[c];
  });
  const nTrain = trainPairs.length, nTest = testPairs.length;
  let train: ArcGroupArrays | null = null;
  if (nTrain > 0) {
    train = allocate(n, nTrain);
    kept.forEach(({ pairs }, i) => {
      const keep = rng.int(nTrain);
      for (let k = 0; k < nTrain; k++) {
        const { input, output } = pairs[k];
        const out = output!;
        let r = 0, c = 0;
        if (k !== keep) {
          r = rng.int(ARC_MAX_GRID_SIZE - Math.max(input.h, out.h) + 1);
          c = rng.int(ARC_MAX_GRID_SIZE - Math.max(input.w, out.w) + 1);
        }
        const at = (i * nTrain + k) * ARC_SEQ_LEN;
        encodeGrid(input, r, c, train!.inputs.subarray(at, at + ARC_SEQ_LEN));
        encodeGrid(out, r, c, train!.labels.subarray(at, at + ARC_SEQ_LEN));
      }
    });
  }
  let test: ArcGroupArrays | null = null;
  if (nTest > 0) {
    test = allocate(n, nTest);
    kept.forEach(({ pairs }, i) => {
      for (let k = 0; k < nTest; k++) {
        const { input, output } = pairs[nTrain + k];
        const at = (i * nTest + k) * ARC_SEQ_LEN;
        encodeGrid(input, 0, 0, test!.inputs.subarray(at, at + ARC_SEQ_LEN));
        if (output) encodeGrid(output, 0, 0, test!.labels.subarray(at, at + ARC_SEQ_LEN));
      }
    });
  }
  return { name: task.name, variants, train, test };
}

function allocate(puzzles: number, examplesPerPuzzle: number): ArcGroupArrays {
  const size = puzzles * examplesPerPuzzle * ARC_SEQ_LEN;
  return { examplesPerPuzzle, inputs: new Uint8Array(size), labels: new Uint8Array(size) };
}
