/**
 * Inference segment by segment with optional adaptive halting (the paper's Figure 5 trade-off;
 * the reference always runs halt_max_steps segments at evaluation). Every row starts from
 * H_init/L_init; after each segment the Q head's logits and the predictions come back, and with
 * `act` a row stops at the first segment whose halting rule fires ({@linkcode ReasoningModel.halts}:
 * HRM q_halt > q_continue, TRM q_halt > 0), or at `segments`. Finished rows leave the batch: the
 * states and input embeddings of the rows still running are gathered into a smaller batch, so
 * later segments cost only what is left. Rows are independent, so a row's outputs do not depend
 * on which others share its batch.
 *
 * @module
 */
import { Encoder, readTensors, writeTensor } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { embeddingForward } from "../ops/embedding.ts";
import type { BatchTensors, InnerCarry, ReasoningModel } from "../model/model.ts";
import { releaseBatch } from "../model/act.ts";
import { IGNORE_LABEL_ID, type SamplerSource, testBatches } from "../train/sampler.ts";

/** Options of {@linkcode runSegments}. */
export interface SegmentRunOptions {
  /** Most segments a row may run (halt_max_steps). */
  segments: number;
  /** Stop each row at the first segment whose halting rule fires. */
  act: boolean;
  /** Keep every segment's predictions and Q logits (for traces). */
  record?: boolean;
}

/** Per-row outputs of {@linkcode runSegments}; N rows, S positions, G = `segments`. */
export interface SegmentRun {
  /** argmax of the logits at each row's last segment (first maximum wins). `[N, S]` */
  preds: Int32Array;
  /** Q-halt logit at each row's last segment. `[N]` */
  q_halt_logits: Float32Array;
  /** Q-continue logit at each row's last segment. `[N]` */
  q_continue_logits: Float32Array;
  /** Segments each row ran. `[N]` */
  segments: Int32Array;
  /**
   * With `record`: per segment (`[N, G, S]` and `[N, G]`); after a row halts its last values
   * repeat (its answer no longer changes).
   */
  record?: { preds: Int32Array; q_halt_logits: Float32Array; q_continue_logits: Float32Array };
}

/**
 * Runs rows through the model for up to `opts.segments` segments.
 *
 * @param model The model.
 * @param inputs Token ids. `[N, S]`
 * @param puzzleIds Puzzle identifiers. `[N]`
 * @param opts Segments, halting and recording.
 * @returns Per-row predictions, Q logits and segments used.
 *
 * @example
 * ```ts ignore
 * const run = await runSegments(model, inputs, new Int32Array(n), { segments: 16, act: true });
 * console.log(run.segments); // e.g. [3, 16, 2, ...]
 * ```
 */
export async function runSegments(
  model: ReasoningModel,
  inputs: Int32Array,
  puzzleIds: Int32Array,
  opts: SegmentRunOptions,
): Promise<SegmentRun> {
  const gpu = model.gpu;
  const { S, T, D, V } = model.dims;
  const N = puzzleIds.length, G = opts.segments;
  if (inputs.length !== N * S) {
    throw new RangeError(`runSegments: ${inputs.length} inputs for ${N} rows of ${S}`);
  }
  const run: SegmentRun = {
    preds: new Int32Array(N * S),
    q_halt_logits: new Float32Array(N),
    q_continue_logits: new Float32Array(N),
    segments: new Int32Array(N),
    record: opts.record
      ? {
        preds: new Int32Array(N * G * S),
        q_halt_logits: new Float32Array(N * G),
        q_continue_logits: new Float32Array(N * G),
      }
      : undefined,
  };
  if (N === 0) return run;
  let active = Array.from({ length: N }, (_, i) => i);
  let enc = new Encoder(gpu);
  let batch = uploadBatch(model, inputs, puzzleIds, active);
  const x = model.inputEmbeddings(enc, batch);
  let state = {
    x,
    carry: {
      z_H: broadcast(enc, model.H_init, N * T).reshape([N, T, D]),
      z_L: broadcast(enc, model.L_init, N * T).reshape([N, T, D]),
    } as InnerCarry,
  };
  for (let s = 0; s < G && active.length > 0; s++) {
    const { out } = model.inner(enc, state.carry, state.x, batch, false);
    enc.submit();
    const [logits, qh, qc] = await readTensors(gpu, [
      out.logits,
      out.q_halt_logits,
      out.q_continue_logits,
    ]);
    out.logits.release();
    out.q_halt_logits.release();
    out.q_continue_logits.release();
    const keep: number[] = [];
    active.forEach((row, i) => {
      argmaxRows(logits as Float32Array, i * S, S, V, run.preds, row * S);
      run.q_halt_logits[row] = qh[i];
      run.q_continue_logits[row] = qc[i];
      run.segments[row] = s + 1;
      const halted = s === G - 1 || (opts.act && model.halts(qh[i], qc[i]));
      if (!halted) keep.push(i);
      if (run.record) {
        const r = run.record;
        for (let g = s; g < (halted ? G : s + 1); g++) {
          r.preds.set(run.preds.subarray(row * S, (row + 1) * S), (row * G + g) * S);
          r.q_halt_logits[row * G + g] = qh[i];
          r.q_continue_logits[row * G + g] = qc[i];
        }
      }
    });
    enc = new Encoder(gpu);
    if (keep.length < active.length && keep.length > 0) {
      // Finished rows leave: gather the rest into a smaller batch.
      const ids = Tensor.empty(gpu, [keep.length], "i32", "act_keep");
      writeTensor(ids, Int32Array.from(keep));
      const gather = (t: Tensor) => {
        const g = embeddingForward(enc, ids, t.reshape([active.length, T * D]), 1);
        t.release();
        return g.reshape([keep.length, T, D]);
      };
      state = {
        x: gather(state.x),
        carry: { z_H: gather(state.carry.z_H), z_L: gather(state.carry.z_L) },
      };
      ids.release();
      active = keep.map((i) => active[i]);
      releaseBatch(batch);
      batch = uploadBatch(model, inputs, puzzleIds, active);
    } else if (keep.length === 0) active = [];
  }
  enc.submit();
  state.x.release();
  state.carry.z_H.release();
  state.carry.z_L.release();
  releaseBatch(batch);
  return run;
}

/** `rows` copies of a `[D]` vector: `[rows, D]` (a gather of row 0, scale 1: exact). */
function broadcast(enc: Encoder, v: Tensor, rows: number): Tensor {
  const zeros = Tensor.empty(enc.gpu, [rows], "i32", "broadcast_ids");
  writeTensor(zeros, new Int32Array(rows));
  const out = embeddingForward(enc, zeros, v.reshape([1, v.size]), 1);
  zeros.release();
  return out;
}

/** The rows' inputs and identifiers on the GPU (labels are not needed without gradient). */
function uploadBatch(
  model: ReasoningModel,
  inputs: Int32Array,
  puzzleIds: Int32Array,
  rows: number[],
): BatchTensors {
  const S = model.dims.S, n = rows.length;
  const inp = new Int32Array(n * S), ids = new Int32Array(n);
  rows.forEach((r, i) => {
    inp.set(inputs.subarray(r * S, (r + 1) * S), i * S);
    ids[i] = puzzleIds[r];
  });
  const b: BatchTensors = {
    inputs: Tensor.empty(model.gpu, [n, S], "i32", "solve.inputs"),
    labels: Tensor.empty(model.gpu, [n, S], "i32", "solve.labels"),
    puzzle_identifiers: Tensor.empty(model.gpu, [n], "i32", "solve.puzzle_identifiers"),
  };
  writeTensor(b.inputs, inp);
  writeTensor(b.labels, new Int32Array(n * S).fill(-100));
  writeTensor(b.puzzle_identifiers, ids);
  return b;
}

/** argmax over V for `S` positions (first maximum wins, as torch.argmax). */
function argmaxRows(
  logits: Float32Array,
  at: number,
  S: number,
  V: number,
  out: Int32Array,
  outAt: number,
): void {
  for (let t = 0; t < S; t++) {
    const base = (at + t) * V;
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[base + v] > logits[base + best]) best = v;
    out[outAt + t] = best;
  }
}

/** Options of {@linkcode evaluateAdaptive}. */
export interface AdaptiveEvalOptions {
  /** Rows per batch. */
  batchSize: number;
  /** Most segments (default: the model's halt_max_steps). */
  haltMaxSteps?: number;
  /** Stop rows by the halting rule. @default {true} */
  act?: boolean;
  /** Evaluate only the first `limit` examples. */
  limit?: number;
  /** Called after each batch with examples done and total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Evaluates a test split with adaptive halting: each example's answer is its prediction at the
 * segment where it stopped. The metrics are the reference's (accuracy: mean over examples with
 * labels of the fraction of labelled tokens right; exact_accuracy: all of them right; count) plus
 * `mean_segments`, the compute actually used. With `act: false` the numbers equal
 * {@linkcode evaluate}'s at halt_max_steps.
 *
 * @param model The model.
 * @param src The test split.
 * @param opts Batch size, segments, limit.
 * @returns `count`, `accuracy`, `exact_accuracy`, `mean_segments`.
 */
export async function evaluateAdaptive(
  model: ReasoningModel,
  src: SamplerSource,
  opts: AdaptiveEvalOptions,
): Promise<Record<string, number>> {
  const S = model.dims.S;
  const total = Math.min(src.inputs.length / S, opts.limit ?? Infinity);
  let count = 0, accuracy = 0, exact = 0, segments = 0, done = 0;
  for (const hb of testBatches(src, opts.batchSize, total)) {
    const n = hb.effective;
    const run = await runSegments(
      model,
      hb.inputs.subarray(0, n * S),
      hb.puzzle_identifiers.subarray(0, n),
      { segments: opts.haltMaxSteps ?? model.arch.halt_max_steps, act: opts.act ?? true },
    );
    for (let i = 0; i < n; i++) {
      let valid = 0, right = 0;
      for (let t = i * S; t < (i + 1) * S; t++) {
        if (hb.labels[t] === IGNORE_LABEL_ID) continue;
        valid++;
        if (run.preds[t] === hb.labels[t]) right++;
      }
      segments += run.segments[i];
      if (valid === 0) continue;
      count++;
      accuracy += right / valid;
      if (right === valid) exact++;
    }
    done += n;
    opts.onProgress?.(done, total);
  }
  const c = Math.max(1, count);
  return {
    count,
    accuracy: accuracy / c,
    exact_accuracy: exact / c,
    mean_segments: segments / Math.max(1, done),
  };
}
