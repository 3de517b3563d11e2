/**
 * Maze scores beside exact match: the paper counts a maze solved when the predicted path is valid
 * and optimal, while exact_accuracy also demands the label's A* tie-break among equally short
 * paths. Judged per example by `checkMazePath` (datasets/maze/check.ts).
 *
 * @module
 */
import type { Predictions } from "./evaluate.ts";
import { checkMazePath } from "../../datasets/maze/check.ts";

/** What {@linkcode mazeMetrics} returns. */
export interface MazeMetrics {
  /** Fraction of examples whose prediction is a valid path from S to G. */
  valid_path: number;
  /** Fraction of examples whose prediction is a valid path of the shortest length. */
  optimal_path: number;
}

/**
 * Scores maze predictions: the fraction that are valid paths, and that are valid and optimal.
 *
 * @param preds Per-example predictions of a maze test split (`[N, size * size]`).
 * @param size The maze's side length (seq_len = size²).
 * @returns `valid_path` and `optimal_path` rates (0 when there are no examples).
 * @throws {RangeError} When an input is not a maze of that size, naming the example (a wrong
 *   dataset or size, not a bad prediction).
 *
 * @example The label is optimal; marking no path is neither
 * ```ts
 * import { mazeMetrics } from "./maze_metrics.ts";
 * import { encodeMaze } from "../../datasets/maze/encoding.ts";
 * import { assertEquals } from "@std/assert";
 * const input = encodeMaze("S " + " G"), label = encodeMaze("So" + " G");
 * const row = (...xs: Uint8Array[]) => Int32Array.from(xs.flatMap((x) => [...x]));
 * const m = mazeMetrics({
 *   inputs: row(input, input), labels: row(label, label), preds: row(label, input),
 *   puzzle_identifiers: new Int32Array(2), q_halt_logits: new Float32Array(2),
 *   q_continue_logits: new Float32Array(2), steps: new Int32Array(2),
 * }, 2);
 * assertEquals(m, { valid_path: 0.5, optimal_path: 0.5 });
 * ```
 */
export function mazeMetrics(preds: Predictions, size: number): MazeMetrics {
  const S = size * size;
  const N = preds.puzzle_identifiers.length;
  if (preds.inputs.length !== N * S || preds.preds.length !== N * S) {
    throw new RangeError(
      `mazeMetrics: ${N} examples of ${size}x${size} need ${N * S} tokens, ` +
        `got ${preds.inputs.length} inputs and ${preds.preds.length} predictions`,
    );
  }
  let valid = 0, optimal = 0;
  for (let e = 0; e < N; e++) {
    let verdict;
    try {
      verdict = checkMazePath(
        preds.inputs.subarray(e * S, (e + 1) * S),
        preds.preds.subarray(e * S, (e + 1) * S),
        size,
      );
    } catch (err) {
      throw new RangeError(`mazeMetrics: example ${e}: ${(err as Error).message}`, { cause: err });
    }
    if (verdict.valid) valid++;
    if (verdict.optimal) optimal++;
  }
  return { valid_path: N ? valid / N : 0, optimal_path: N ? optimal / N : 0 };
}
