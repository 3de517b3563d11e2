/**
 * Losses of HRM's ACTLossHead (models/losses.py): the fused LM loss (stablemax or softmax
 * cross-entropy per sequence, with argmax metrics and the logits gradient in the same pass) and
 * binary cross-entropy with logits for the Q heads.
 *
 * The reference computes stablemax CE in float64; here everything is f32, arranged so that
 * nothing cancels: the non-target mass `rest = Σ_{j≠y} s_j` is summed on its own, the CE is
 * `log1p(rest / s_y)` while the target dominates, and the target's gradient is
 * `-s'(x_y)·rest / (Σs·s_y)`. Measured against float64 (tests/ops/losses_test.ts: V 6..12,
 * S ≤ 81, logits up to ±30) the per-row loss is within 3.5e-7 of the largest row loss and the
 * gradient within 6e-7 of its largest element; the golden hrm-a lm_loss matches to f32.
 *
 * @module
 */
import tokSrc from "../../kernels/losses.wgsl" with { type: "text" };
import countSrc from "../../kernels/losses_count.wgsl" with { type: "text" };
import rowsSrc from "../../kernels/losses_rows.wgsl" with { type: "text" };
import bceSrc from "../../kernels/losses_bce.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 64;
const COUNT = { file: "losses_count", source: countSrc, entry: "lm_loss_count" };
const TOK = { file: "losses", source: tokSrc, entry: "lm_loss_tok" };
const ROWS = { file: "losses_rows", source: rowsSrc, entry: "lm_loss_rows" };
const BCE = { file: "losses_bce", source: bceSrc, entry: "bce_logits" };

/** The reference's `loss.loss_type` values (config/arch/hrm_v1.yaml). */
export type LossType = "stablemax_cross_entropy" | "softmax_cross_entropy";

/** Options of {@linkcode lmLoss}. */
export interface LmLossOptions {
  /** Which cross-entropy. */
  lossType: LossType;
  /** Multiplies the gradient (e.g. 1 / global_batch_size). */
  gradScale: number;
  /** Compute `dlogits` (default true); false for evaluation. */
  wantGrad?: boolean;
}

/** What {@linkcode lmLoss} returns; every tensor is new and pooled (the caller releases). */
export interface LmLossResult {
  /** Per-sequence mean CE over valid labels, unscaled // [B] */
  loss: Tensor;
  /** `gradScale · d(Σ_b loss[b]) / dlogits`; absent with `wantGrad: false` // [B, S, V] */
  dlogits?: Tensor;
  /** argmax over V (first maximum wins), i32 // [B, S] */
  preds: Tensor;
  /** Valid tokens whose argmax equals the label (an f32 count) // [B] */
  correct: Tensor;
  /** Number of valid labels (an f32 count) // [B] */
  valid: Tensor;
  /** 1 where every valid label is predicted (also when there is none), else 0 // [B] */
  seqCorrect: Tensor;
}

/**
 * Fused LM loss, metrics and gradient over logits `[B, S, V]` and labels `[B, S]`.
 *
 * - `loss[b] = Σ_t CE(logits[b,t], labels[b,t]) / max(1, valid[b])` (ignored labels add 0);
 * - `dlogits = gradScale · d(Σ_b loss[b]) / dlogits` (zero rows for ignored labels);
 * - `preds[b,t] = argmax_v logits[b,t,v]` over all V (PAD included), first maximum wins, as
 *   `torch.argmax`;
 * - `correct[b]`, `valid[b]`, `seqCorrect[b] = correct[b] == valid[b]`, as ACTLossHead's
 *   `is_correct`, `loss_counts` and `seq_is_correct`.
 *
 * A label is valid iff `0 <= label < V`: the reference ignores -100, and any other out-of-range
 * label would fail its `torch.gather`; here it is ignored too. NaN logits are not handled
 * specially (torch.argmax would pick a NaN).
 *
 * Runs three dispatches: per-row label counts, a per-token pass (looping over V, which is small
 * in HRM), and a per-row reduction.
 *
 * @param enc The encoder to record into.
 * @param logits f32 logits // [B, S, V]
 * @param labels i32 labels, -100 = ignore // [B, S]
 * @param opts Loss type, gradient scale and whether to compute the gradient.
 * @returns New pooled tensors (see {@linkcode LmLossResult}).
 * @throws {RangeError} naming the op and shapes when logits are not 3-D f32, labels do not
 * match `[B, S]`, or labels are not i32.
 *
 * @example Training step loss
 * ```ts ignore
 * const r = lmLoss(enc, logits, labels, {
 *   lossType: "stablemax_cross_entropy",
 *   gradScale: 1 / globalBatchSize,
 * });
 * ```
 */
export function lmLoss(
  enc: Encoder,
  logits: Tensor,
  labels: Tensor,
  opts: LmLossOptions,
): LmLossResult {
  if (logits.shape.length !== 3) {
    throw new RangeError(`lmLoss: logits ${logits.label} [${logits.shape}] must be [B, S, V]`);
  }
  const [B, S, V] = logits.shape;
  if (labels.shape.length !== 2 || labels.shape[0] !== B || labels.shape[1] !== S) {
    throw new RangeError(
      `lmLoss: labels ${labels.label} [${labels.shape}] do not match logits [${logits.shape}] ` +
        `([B, S] for [B, S, V])`,
    );
  }
  if (logits.dtype !== "f32") {
    throw new RangeError(`lmLoss: logits ${logits.label} [${logits.shape}] must be f32`);
  }
  if (labels.dtype !== "i32") {
    throw new RangeError(`lmLoss: labels ${labels.label} [${labels.shape}] must be i32`);
  }
  if (V < 1) throw new RangeError(`lmLoss: logits [${logits.shape}] have no classes`);
  const wantGrad = opts.wantGrad ?? true;
  const gpu = enc.gpu;
  const valid = Tensor.empty(gpu, [B], "f32", "lm_valid");
  const loss = Tensor.empty(gpu, [B], "f32", "lm_loss");
  const correct = Tensor.empty(gpu, [B], "f32", "lm_correct");
  const seqCorrect = Tensor.empty(gpu, [B], "f32", "lm_seq_correct");
  const preds = Tensor.empty(gpu, [B, S], "i32", "lm_preds");
  const tok = Tensor.empty(gpu, [2, B * S], "f32", "lm_tok");
  const dlogits = wantGrad
    ? Tensor.empty(gpu, [B, S, V], "f32", "lm_dlogits")
    : Tensor.empty(gpu, [1], "f32", "lm_dlogits_unused");
  enc.dispatch({
    kernel: COUNT,
    bindings: [labels, valid],
    params: [B, S, V],
    workgroups: grid1d(gpu, B, WG),
  });
  enc.dispatch({
    kernel: TOK,
    constants: { STABLEMAX: opts.lossType === "stablemax_cross_entropy" },
    bindings: [logits, labels, valid, tok, preds, dlogits],
    params: [B, S, V, wantGrad ? 1 : 0, f32(opts.gradScale)],
    workgroups: grid1d(gpu, B * S, WG),
  });
  enc.dispatch({
    kernel: ROWS,
    bindings: [tok, valid, loss, correct, seqCorrect],
    params: [B, S],
    workgroups: grid1d(gpu, B, WG),
  });
  enc.releaseAfterSubmit(tok);
  if (!wantGrad) enc.releaseAfterSubmit(dlogits);
  return {
    loss,
    dlogits: wantGrad ? dlogits : undefined,
    preds,
    correct,
    valid,
    seqCorrect,
  };
}

/**
 * Binary cross-entropy with logits per element, numerically stable (torch
 * `F.binary_cross_entropy_with_logits(..., reduction="none")`; ACTLossHead sums it):
 * `loss[i] = max(x,0) - x·t + log(1 + exp(-|x|))`, `dlogits[i] = gradScale·(sigmoid(x) - t)`.
 *
 * @param enc The encoder to record into.
 * @param logits Logits // [B]
 * @param targets Targets in [0, 1] // [B]
 * @param gradScale Multiplies the gradient (e.g. 0.5 / global_batch_size).
 * @returns New pooled `loss` and `dlogits` // [B]
 * @throws {RangeError} naming the op and shapes when the sizes differ.
 *
 * @example Q-halt loss
 * ```ts ignore
 * const { loss, dlogits } = bceWithLogits(enc, q_halt_logits, seqCorrect, 0.5 / batch);
 * ```
 */
export function bceWithLogits(
  enc: Encoder,
  logits: Tensor,
  targets: Tensor,
  gradScale: number,
): { loss: Tensor; dlogits: Tensor } {
  if (logits.size !== targets.size) {
    throw new RangeError(
      `bceWithLogits: logits ${logits.label} [${logits.shape}] and targets ${targets.label} ` +
        `[${targets.shape}] differ in size`,
    );
  }
  const n = logits.size;
  const loss = Tensor.empty(enc.gpu, logits.shape, "f32", "bce_loss");
  const dlogits = Tensor.empty(enc.gpu, logits.shape, "f32", "bce_dlogits");
  enc.dispatch({
    kernel: BCE,
    bindings: [logits, targets, loss, dlogits],
    params: [n, f32(gradScale)],
    workgroups: grid1d(enc.gpu, n, WG),
  });
  return { loss, dlogits };
}
