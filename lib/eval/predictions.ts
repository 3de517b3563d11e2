/**
 * Per-example evaluation outputs as a safetensors file: what `hrm eval --save-preds` writes and
 * what a run's `eval_save_outputs` saves at each evaluation (`step_N_all_preds.safetensors`,
 * the reference's `step_N_all_preds.<rank>`).
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { type StTensor, writeSafetensors } from "../io/safetensors.ts";
import type { Predictions } from "./evaluate.ts";

/**
 * The outputs that can be saved. The reference's batch keys (inputs, labels,
 * puzzle_identifiers) and Q logits, plus `preds` (the argmax of the last segment's logits) and
 * `steps`; full `logits` are not kept (N · seq_len · vocab floats).
 */
export const SAVE_OUTPUT_KEYS: readonly (keyof Predictions)[] = Object.freeze([
  "inputs",
  "labels",
  "puzzle_identifiers",
  "preds",
  "q_halt_logits",
  "q_continue_logits",
  "steps",
]);

/**
 * Checks a config's `eval_save_outputs` list.
 *
 * @param keys The requested outputs.
 * @returns The keys, typed.
 * @throws {HrmError} naming an unsupported key and the supported ones.
 */
export function checkSaveOutputs(keys: readonly string[]): (keyof Predictions)[] {
  for (const k of keys) {
    if (!(SAVE_OUTPUT_KEYS as readonly string[]).includes(k)) {
      const hint = k === "logits" ? " (full logits are not kept; `preds` is their argmax)" : "";
      throw new HrmError(
        undefined,
        `eval_save_outputs: cannot save "${k}"${hint}; choose from ${SAVE_OUTPUT_KEYS.join(", ")}`,
      );
    }
  }
  return keys as (keyof Predictions)[];
}

/**
 * Writes the chosen per-example outputs, one row per example in file order.
 *
 * @param path The safetensors file to write (atomically).
 * @param p The predictions of {@linkcode evaluate}.
 * @param seqLen Sequence length (the second dimension of inputs, labels, preds).
 * @param keys Which outputs to write (default: all of {@linkcode SAVE_OUTPUT_KEYS}).
 * @param metadata Strings stored in the file's header.
 */
export async function writePredictions(
  path: string,
  p: Predictions,
  seqLen: number,
  keys: readonly (keyof Predictions)[] = SAVE_OUTPUT_KEYS,
  metadata: Record<string, string> = {},
): Promise<void> {
  const N = p.steps.length;
  const out: Record<string, StTensor> = {};
  for (const k of keys) {
    const data = p[k];
    const shape = data.length === N ? [N] : [N, seqLen];
    out[k] = data instanceof Float32Array
      ? { dtype: "F32", shape, data }
      : { dtype: "I32", shape, data };
  }
  await writeSafetensors(path, out, metadata);
}
