/**
 * Losses of HRM's ACTLossHead (models/losses.py) in one pass: the LM loss (stablemax or softmax
 * cross-entropy per sequence) with its argmax metrics and logits gradient, and the binary
 * cross-entropy with logits of the Q heads with theirs.
 *
 * Measured against float64 (tests/ops/losses_test.ts: V 6..12, S ≤ 200, logits up to ±30) the
 * per-row loss and the gradient are within 8.6e-7 of their largest element; the golden hrm-a
 * lm_loss matches to 5e-8.
 *
 * @module
 */
import src from "../../kernels/losses.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 64;
const KERNEL = { file: "losses", source: src, entry: "act_loss" };

/** The reference's `loss.loss_type` values (config/arch/hrm_v1.yaml). */
export type LossType = "stablemax_cross_entropy" | "softmax_cross_entropy";

/** The per-row results of {@linkcode actLoss}, in the order of the rows of its `rows` tensor. */
export const LOSS_ROWS = [
  "lm_loss",
  "correct",
  "valid",
  "seq_correct",
  "q_halt_loss",
  "q_continue_loss",
] as const;

/** What {@linkcode actLoss} reads. */
export interface ActLossInputs {
  /** f32 logits // [B, S, V] */
  logits: Tensor;
  /** i32 labels, -100 = ignore // [B, S] */
  labels: Tensor;
  /** The Q-halt logits (their BCE target is the row's seq_correct) // [B] */
  q_halt_logits: Tensor;
  /** The Q-continue logits // [B] */
  q_continue_logits: Tensor;
  /** HRM's Q-continue target; without one there is no Q-continue loss (TRM, evaluation) // [B] */
  target?: Tensor;
}

/** Options of {@linkcode actLoss}. */
export interface ActLossOptions {
  /** Which cross-entropy. */
  lossType: LossType;
  /** Multiplies the LM loss gradient (e.g. 1 / global_batch_size); the Q losses get half. */
  gradScale: number;
  /** Compute `dlogits` and `dq` (default true); false for evaluation. */
  wantGrad?: boolean;
}

/** What {@linkcode actLoss} returns; every tensor is new and pooled (the caller releases). */
export interface ActLossResult {
  /**
   * Per-row results, one row each in {@linkcode LOSS_ROWS} order: the per-sequence mean CE over
   * valid labels (unscaled), valid tokens predicted right and valid labels (f32 counts),
   * seq_correct (1 where every valid label is predicted, also when there is none), and the
   * unscaled BCE of Q-halt and of Q-continue (0 without a target) // [6, B]
   */
  rows: Tensor;
  /** `gradScale · d(Σ_b lm_loss[b]) / dlogits`; absent with `wantGrad: false` // [B, S, V] */
  dlogits?: Tensor;
  /**
   * `0.5·gradScale · d(Σ_b q_halt_loss[b] + q_continue_loss[b]) / d(q_halt, q_continue)`,
   * interleaved like the Q head's output; absent with `wantGrad: false` // [B, 2]
   */
  dq?: Tensor;
  /** argmax over V (first maximum wins), i32 // [B, S] */
  preds: Tensor;
}

/**
 * ACTLossHead's losses, metrics and gradients over logits `[B, S, V]`, labels `[B, S]` and the Q
 * logits `[B]`, in one dispatch (a workgroup per row):
 *
 * - `lm_loss[b] = Σ_t CE(logits[b,t], labels[b,t]) / max(1, valid[b])` (ignored labels add 0);
 * - `dlogits = gradScale · d(Σ_b lm_loss[b]) / dlogits` (zero rows for ignored labels);
 * - `preds[b,t] = argmax_v logits[b,t,v]` over all V (PAD included), first maximum wins, as
 *   `torch.argmax`;
 * - `correct[b]`, `valid[b]`, `seq_correct[b] = correct[b] == valid[b]`, as ACTLossHead's
 *   `is_correct`, `loss_counts` and `seq_is_correct`;
 * - `q_halt_loss[b] = BCE(q_halt[b], seq_correct[b])`, `q_continue_loss[b] = BCE(q_continue[b],
 *   target[b])` (BCE with logits, numerically stable), and `dq = 0.5·gradScale·(sigmoid(q) − t)`.
 *
 * The reference computes stablemax CE in float64; here everything is f32, arranged so that
 * nothing cancels: the non-target mass `rest = Σ_{j≠y} s_j` is summed on its own, the CE is
 * `log1p(rest / s_y)` while the target dominates, and the target's gradient is
 * `-s'(x_y)·rest / (Σs·s_y)`. A label is valid iff `0 <= label < V`: the reference ignores -100,
 * and any other out-of-range label would fail its `torch.gather`; here it is ignored too. NaN
 * logits are not handled specially (torch.argmax would pick a NaN).
 *
 * @param enc The encoder to record into.
 * @param x Logits, labels, Q logits and the optional Q-continue target.
 * @param opts Loss type, gradient scale and whether to compute gradients.
 * @returns New pooled tensors (see {@linkcode ActLossResult}).
 * @throws {RangeError} naming the op and shapes when logits are not 3-D f32, labels do not
 * match `[B, S]` or are not i32, or a Q tensor does not have B elements.
 *
 * @example Training step loss
 * ```ts ignore
 * const r = actLoss(enc, { logits, labels, q_halt_logits, q_continue_logits }, {
 *   lossType: "stablemax_cross_entropy",
 *   gradScale: 1 / globalBatchSize,
 * });
 * ```
 */
export function actLoss(enc: Encoder, x: ActLossInputs, opts: ActLossOptions): ActLossResult {
  const { logits, labels } = x;
  if (logits.shape.length !== 3) {
    throw new RangeError(`actLoss: logits ${logits.label} [${logits.shape}] must be [B, S, V]`);
  }
  const [B, S, V] = logits.shape;
  if (labels.shape.length !== 2 || labels.shape[0] !== B || labels.shape[1] !== S) {
    throw new RangeError(
      `actLoss: labels ${labels.label} [${labels.shape}] do not match logits [${logits.shape}] ` +
        `([B, S] for [B, S, V])`,
    );
  }
  if (logits.dtype !== "f32") {
    throw new RangeError(`actLoss: logits ${logits.label} [${logits.shape}] must be f32`);
  }
  if (labels.dtype !== "i32") {
    throw new RangeError(`actLoss: labels ${labels.label} [${labels.shape}] must be i32`);
  }
  if (V < 1) throw new RangeError(`actLoss: logits [${logits.shape}] have no classes`);
  for (const q of [x.q_halt_logits, x.q_continue_logits, x.target]) {
    if (q && (q.size !== B || q.dtype !== "f32")) {
      throw new RangeError(
        `actLoss: ${q.label} [${q.shape}] should be ${B} f32 values, one per row of logits ` +
          `[${logits.shape}]`,
      );
    }
  }
  const wantGrad = opts.wantGrad ?? true;
  const gpu = enc.gpu;
  const rows = Tensor.empty(gpu, [LOSS_ROWS.length, B], "f32", "loss_rows");
  const preds = Tensor.empty(gpu, [B, S], "i32", "lm_preds");
  const dummy = () => Tensor.empty(gpu, [2], "f32", "act_loss_unused");
  const dlogits = wantGrad ? Tensor.empty(gpu, [B, S, V], "f32", "lm_dlogits") : dummy();
  const dq = wantGrad ? Tensor.empty(gpu, [B, 2], "f32", "dq") : dummy();
  const target = x.target ?? dummy();
  enc.dispatch({
    kernel: KERNEL,
    constants: { WG, STABLEMAX: opts.lossType === "stablemax_cross_entropy" },
    bindings: [
      logits,
      labels,
      x.q_halt_logits,
      x.q_continue_logits,
      target,
      dlogits,
      preds,
      rows,
      dq,
    ],
    params: [
      B,
      S,
      V,
      wantGrad ? 1 : 0,
      x.target ? 1 : 0,
      f32(opts.gradScale),
      f32(0.5 * opts.gradScale),
    ],
    workgroups: grid1d(gpu, B * WG, WG),
  });
  for (const t of wantGrad ? [] : [dlogits, dq]) enc.releaseAfterSubmit(t);
  if (!x.target) enc.releaseAfterSubmit(target);
  return wantGrad ? { rows, dlogits, dq, preds } : { rows, preds };
}
