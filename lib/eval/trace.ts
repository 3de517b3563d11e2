/**
 * Reasoning traces: what the model predicted at every ACT segment for a few test examples, as
 * one safetensors file (written by `hrm eval --trace`, read by `hrm show` and `hrm analyze`).
 *
 * Tensors (N examples, G segments, S positions, T = P + S, D hidden):
 *   inputs [N, S] i32 · labels [N, S] i32 (−100 = ignored) · puzzle_identifiers [N] i32
 *   preds [N, G, S] i32 (argmax per segment) · q_halt_logits [N, G] f32 · q_continue_logits [N, G] f32
 *   z_H, z_L [N, G, T, D] f32 (only with --trace-states; the carry after each segment)
 * `__metadata__`: format "hrm-trace", version "1", task (sudoku|maze|arc|unknown), vocab_size,
 * seq_len, puzzle_emb_len, hidden_size, segments, the dataset and checkpoint paths, the model
 * (hrm|trm; absent in older traces: hrm), what it calls z_H and z_L (`states`, e.g. "y,z") and
 * its halting rule (`no_ACT_continue`: "true" when it halts on q_halt > 0).
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { readSafetensors, type StTensor, writeSafetensors } from "../io/safetensors.ts";
import type { TraceData } from "./evaluate.ts";
import type { Split } from "../io/dataset.ts";
import type { ModelKind } from "../model/dims.ts";

/** The task a dataset holds, judged from its vocabulary and length. */
export type TraceTask = "sudoku" | "maze" | "arc" | "unknown";

/**
 * Infers the task from the dataset's sizes: Sudoku (vocab side + 2, seq_len side², side a square:
 * 9×9 or the demo's 4×4), maze (vocab 6, square seq_len) or ARC (vocab 12, 900). A 4×4 Sudoku and a
 * 4×4 maze share their sizes; Sudoku labels never hold token 1 (blank), maze labels do (walls), so
 * pass some labels to tell them apart.
 */
export function inferTask(vocab: number, seqLen: number, labels?: ArrayLike<number>): TraceTask {
  const side = Math.sqrt(seqLen), box = Math.sqrt(side);
  const sudokuSized = Number.isInteger(box) && box >= 2 && vocab === side + 2;
  if (sudokuSized && (vocab === 11 || (labels && !Array.prototype.includes.call(labels, 1)))) {
    return "sudoku";
  }
  if (vocab === 6 && Number.isInteger(side)) return "maze";
  if (vocab === 12 && seqLen === 900) return "arc";
  return "unknown";
}

/** A trace in memory. */
export interface Trace extends TraceData {
  /** Sizes and provenance. */
  meta: {
    task: TraceTask;
    vocab_size: number;
    seq_len: number;
    puzzle_emb_len: number;
    hidden_size: number;
    dataset: string;
    checkpoint: string;
    /** The model that made it (default hrm). */
    model?: ModelKind;
    /** What the model calls z_H and z_L (TRM: y and z; default z_H and z_L). */
    states?: { z_H: string; z_L: string };
    /** The model halts when q_halt > 0 (TRM's no_ACT_continue), not q_halt > q_continue. */
    no_ACT_continue?: boolean;
  };
}

/** A trace's metadata for a model evaluated on a test split. */
export function traceMeta(
  test: Split,
  model: {
    dims: { P: number; D: number };
    spec: { kind: ModelKind; stateNames: { z_H: string; z_L: string }; noActContinue: boolean };
  },
  dataset: string,
  checkpoint: string,
): Trace["meta"] {
  const dims = model.dims;
  return {
    model: model.spec.kind,
    states: model.spec.stateNames,
    no_ACT_continue: model.spec.noActContinue,
    task: inferTask(test.meta.vocab_size, test.meta.seq_len, test.arrays.labels),
    vocab_size: test.meta.vocab_size,
    seq_len: test.meta.seq_len,
    puzzle_emb_len: dims.P,
    hidden_size: dims.D,
    dataset,
    checkpoint,
  };
}

/** Writes a trace file (atomically). */
export async function writeTrace(path: string, t: Trace): Promise<void> {
  const { n, segments: G } = t;
  const S = t.meta.seq_len;
  const tensors: Record<string, StTensor> = {
    inputs: { dtype: "I32", shape: [n, S], data: t.inputs },
    labels: { dtype: "I32", shape: [n, S], data: t.labels },
    puzzle_identifiers: { dtype: "I32", shape: [n], data: t.puzzle_identifiers },
    preds: { dtype: "I32", shape: [n, G, S], data: t.preds },
    q_halt_logits: { dtype: "F32", shape: [n, G], data: t.q_halt_logits },
    q_continue_logits: { dtype: "F32", shape: [n, G], data: t.q_continue_logits },
  };
  const T = S + t.meta.puzzle_emb_len, D = t.meta.hidden_size;
  if (t.z_H) tensors.z_H = { dtype: "F32", shape: [n, G, T, D], data: t.z_H };
  if (t.z_L) tensors.z_L = { dtype: "F32", shape: [n, G, T, D], data: t.z_L };
  const m = t.meta;
  await writeSafetensors(path, tensors, {
    format: "hrm-trace",
    version: "1",
    task: m.task,
    vocab_size: String(m.vocab_size),
    seq_len: String(m.seq_len),
    puzzle_emb_len: String(m.puzzle_emb_len),
    hidden_size: String(m.hidden_size),
    segments: String(G),
    dataset: m.dataset,
    checkpoint: m.checkpoint,
    ...(m.model ? { model: m.model } : {}),
    ...(m.states ? { states: `${m.states.z_H},${m.states.z_L}` } : {}),
    ...(m.no_ACT_continue !== undefined ? { no_ACT_continue: String(m.no_ACT_continue) } : {}),
  });
}

/**
 * Reads and validates a trace file.
 *
 * @throws {HrmError} naming the file when it is not a trace or its tensors disagree.
 */
export async function readTrace(path: string): Promise<Trace> {
  const { tensors, metadata } = await readSafetensors(path);
  if (metadata.format !== "hrm-trace") {
    throw new HrmError(
      path,
      'not an hrm trace (metadata format is not "hrm-trace"); make one with hrm eval --trace',
    );
  }
  const num = (k: string) => {
    const v = Number(metadata[k]);
    if (!Number.isInteger(v) || v < 0) {
      throw new HrmError(path, `metadata ${k} is not a count: ${metadata[k]}`);
    }
    return v;
  };
  const S = num("seq_len"), G = num("segments"), P = num("puzzle_emb_len"), D = num("hidden_size");
  const get = (k: string, dtype: string, shape: (n: number) => number[], optional = false) => {
    const t = tensors.get(k);
    if (!t) {
      if (optional) return undefined;
      throw new HrmError(path, `trace has no tensor ${k}`);
    }
    if (t.dtype !== dtype) throw new HrmError(path, `${k} is ${t.dtype}, expected ${dtype}`);
    const want = shape(t.shape[0]);
    if (t.shape.join() !== want.join()) {
      throw new HrmError(path, `${k} has shape [${t.shape}], expected [${want}]`);
    }
    return t.data;
  };
  const inputs = get("inputs", "I32", (n) => [n, S]) as Int32Array;
  const n = inputs.length / S;
  return {
    n,
    segments: G,
    inputs,
    labels: get("labels", "I32", () => [n, S]) as Int32Array,
    puzzle_identifiers: get("puzzle_identifiers", "I32", () => [n]) as Int32Array,
    preds: get("preds", "I32", () => [n, G, S]) as Int32Array,
    q_halt_logits: get("q_halt_logits", "F32", () => [n, G]) as Float32Array,
    q_continue_logits: get("q_continue_logits", "F32", () => [n, G]) as Float32Array,
    z_H: get("z_H", "F32", () => [n, G, S + P, D], true) as Float32Array | undefined,
    z_L: get("z_L", "F32", () => [n, G, S + P, D], true) as Float32Array | undefined,
    meta: {
      task:
        (["sudoku", "maze", "arc"].includes(metadata.task)
          ? metadata.task
          : "unknown") as TraceTask,
      vocab_size: num("vocab_size"),
      seq_len: S,
      puzzle_emb_len: P,
      hidden_size: D,
      dataset: metadata.dataset ?? "",
      checkpoint: metadata.checkpoint ?? "",
      ...(metadata.model ? { model: metadata.model === "trm" ? "trm" : "hrm" } : {}),
      ...(metadata.states ? { states: stateNames(metadata.states) } : {}),
      ...(metadata.no_ACT_continue ? { no_ACT_continue: metadata.no_ACT_continue === "true" } : {}),
    },
  };
}

/** Parses the `states` metadata ("y,z"); anything else reads as z_H and z_L. */
function stateNames(v: string): { z_H: string; z_L: string } {
  const [h, l] = v.split(",");
  return h && l ? { z_H: h, z_L: l } : { z_H: "z_H", z_L: "z_L" };
}
