/**
 * The ACT wrapper (HRM's HierarchicalReasoningModel_ACTV1.forward, TRM's
 * TinyRecursiveReasoningModel_ACTV1.forward, identical but for the halting rule) on the GPU: the carry of z
 * states, step counts, halted flags and current examples, and the per-row bookkeeping between
 * segments, so that a training step never reads back. Halted rows take the incoming batch's
 * example and restart from H_init/L_init; the others keep theirs and the incoming row is dropped.
 *
 * @module
 */
import src from "../../kernels/act.wgsl" with { type: "text" };
import type { Encoder } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";
import { fill } from "../ops/elementwise.ts";
import type { BatchTensors, InnerCarry, ReasoningModel, SegmentOutputs } from "./model.ts";

const WG = 256;
const kernel = (entry: string) => ({ file: "act", source: src, entry });

/** Everything carried from one segment to the next. */
export interface ActCarry {
  /** z_H and z_L. */
  inner: InnerCarry;
  /** Segments run for the current example. `[B]` u32 */
  steps: Tensor;
  /** 1 where the row halted at the last segment (and so takes a new example next). `[B]` u32 */
  halted: Tensor;
  /** 1 where the last segment was the row's `halt_max_steps`-th. `[B]` u32 */
  is_last: Tensor;
  /** The examples being worked on. */
  data: BatchTensors;
}

/** Allocates a batch of `B` rows on the GPU (contents undefined). */
export function emptyBatch(model: ReasoningModel, B: number, label: string): BatchTensors {
  const S = model.dims.S;
  return {
    inputs: Tensor.empty(model.gpu, [B, S], "i32", `${label}.inputs`),
    labels: Tensor.empty(model.gpu, [B, S], "i32", `${label}.labels`),
    puzzle_identifiers: Tensor.empty(model.gpu, [B], "i32", `${label}.puzzle_identifiers`),
  };
}

/** Releases a batch's tensors. */
export function releaseBatch(b: BatchTensors): void {
  b.inputs.release();
  b.labels.release();
  b.puzzle_identifiers.release();
}

/** The initial carry: every row "halted", so the first segment takes the whole batch. */
export function initialCarry(enc: Encoder, model: ReasoningModel, B: number): ActCarry {
  const c: ActCarry = {
    inner: model.emptyCarry(B),
    steps: Tensor.empty(model.gpu, [B], "u32", "steps"),
    halted: Tensor.empty(model.gpu, [B], "u32", "halted"),
    is_last: Tensor.empty(model.gpu, [B], "u32", "is_last"),
    data: emptyBatch(model, B, "current"),
  };
  fill(enc, c.steps, 0);
  fill(enc, c.halted, 1);
  fill(enc, c.is_last, 0);
  return c;
}

/** Releases the carry's tensors. */
export function releaseCarry(c: ActCarry): void {
  c.inner.z_H.release();
  c.inner.z_L.release();
  c.steps.release();
  c.halted.release();
  c.is_last.release();
  releaseBatch(c.data);
}

/**
 * Start of a segment: rows that halted restart (z ← H_init/L_init, steps ← 0) on the incoming
 * batch's example (reset_carry and the data `torch.where` of the reference).
 */
export function actBegin(
  enc: Encoder,
  model: ReasoningModel,
  c: ActCarry,
  incoming: BatchTensors,
): void {
  const B = c.halted.size;
  const { T, D, S } = model.dims;
  enc.dispatch({
    kernel: kernel("act_reset"),
    bindings: [c.halted, model.H_init, model.L_init, c.inner.z_H, c.inner.z_L],
    params: [B, T * D],
    workgroups: grid1d(enc.gpu, B * T * D, WG),
  });
  const { inputs, labels, puzzle_identifiers } = c.data;
  enc.dispatch({
    kernel: kernel("act_refill"),
    bindings: [
      c.halted,
      incoming.inputs,
      inputs,
      incoming.labels,
      labels,
      incoming.puzzle_identifiers,
      puzzle_identifiers,
      c.steps,
    ],
    params: [B, S],
    workgroups: grid1d(enc.gpu, B * S, WG),
  });
}

/**
 * After the segment's forward: steps += 1 and the halting decision. In training with
 * halt_max_steps > 1, a row halts when q_halt > q_continue (HRM; with `noActContinue`, TRM's
 * q_halt > 0) or at the last step, but not before its random `min_steps` (0 unless exploring).
 * Evaluation halts only at halt_max_steps.
 */
export function actHalt(
  enc: Encoder,
  c: ActCarry,
  q_halt: Tensor,
  q_continue: Tensor,
  minSteps: Tensor,
  haltMaxSteps: number,
  training: boolean,
  noActContinue = false,
): void {
  const B = c.halted.size;
  enc.dispatch({
    kernel: kernel("act_halt"),
    bindings: [q_halt, q_continue, minSteps, c.steps, c.halted, c.is_last],
    params: [B, haltMaxSteps, training ? 1 : 0, noActContinue ? 1 : 0],
    workgroups: [Math.ceil(B / WG)],
  });
}

/**
 * One evaluation segment, without gradient, as `evaluate` and the reference's eval loop run it:
 * halted rows take the incoming batch and restart from H_init/L_init ({@linkcode actBegin}), the
 * inputs are embedded, the inner model runs, and steps/halting advance ({@linkcode actHalt}, halting
 * only at `haltMaxSteps`).
 *
 * @returns The input embedding `x` (the caller releases it) and the segment's outputs.
 */
export function evalSegment(
  enc: Encoder,
  model: ReasoningModel,
  c: ActCarry,
  incoming: BatchTensors,
  minSteps: Tensor,
  haltMaxSteps: number,
): { x: Tensor; out: SegmentOutputs } {
  actBegin(enc, model, c, incoming);
  const x = model.inputEmbeddings(enc, c.data);
  const { out } = model.inner(enc, c.inner, x, c.data, false);
  actHalt(
    enc,
    c,
    out.q_halt_logits,
    out.q_continue_logits,
    minSteps,
    haltMaxSteps,
    false,
    model.spec.noActContinue,
  );
  return { x, out };
}

/**
 * The Q-learning target for q_continue from the next segment's Q values (no target network):
 * sigmoid(is_last ? next_q_halt : max(next_q_halt, next_q_continue)). `[B]`
 */
export function actTarget(
  enc: Encoder,
  nextQHalt: Tensor,
  nextQContinue: Tensor,
  isLast: Tensor,
): Tensor {
  const B = isLast.size;
  const target = Tensor.empty(enc.gpu, [B], "f32", "target_q_continue");
  enc.dispatch({
    kernel: kernel("act_target"),
    bindings: [nextQHalt, nextQContinue, isLast, target],
    params: [B, 0],
    workgroups: [Math.ceil(B / WG)],
  });
  return target;
}

/** Order of the sums {@linkcode actMetrics} accumulates (the reference's metric names). */
export const METRIC_NAMES = [
  "count",
  "accuracy",
  "exact_accuracy",
  "q_halt_accuracy",
  "steps",
  "lm_loss",
  "q_halt_loss",
  "q_continue_loss",
] as const;

/**
 * Adds this segment's metric sums to `acc` (`[8]`, {@linkcode METRIC_NAMES} order) from the loss
 * pass's per-row results `rows` (`[6, B]`, lib/ops/losses.ts `LOSS_ROWS`), counting only rows
 * that halted now and have a valid label, as ACTLossHead does; the losses sum over every row.
 */
export function actMetrics(
  enc: Encoder,
  c: ActCarry,
  rows: Tensor,
  q_halt_logits: Tensor,
  acc: Tensor,
): void {
  const B = c.halted.size;
  enc.dispatch({
    kernel: kernel("act_metrics"),
    bindings: [c.halted, c.steps, rows, q_halt_logits, acc],
    params: [B, 0],
    workgroups: [1],
  });
}
