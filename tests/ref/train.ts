/**
 * Float64 CPU reference of the ACT loop and the training step shared by HRM and TRM (the
 * ACTV1 wrappers' forward, models/losses.py ACTLossHead, pretrain.py train_batch,
 * models/sparse_embedding.py, TRM's models/ema.py): carry reset and refill of halted rows,
 * halting (HRM: q_halt > q_continue, with the Q-continue target from a second no-grad segment;
 * TRM's `no_ACT_continue`: q_halt > 0, no target, no second segment), exploration given as
 * per-row `min_steps`, the losses, backward of total / B, AdamATan2 over every parameter (none
 * with `freeze_weights`), SignSGD on the batch's puzzle rows, and the EMA shadow of the
 * trainable parameters. The segment itself is tests/ref/model.ts.
 *
 * @module
 */
import type { LossType } from "../../lib/ops/losses.ts";
import { bceRef, lmLossRef } from "./losses.ts";
import { adamAtan2Ref, emaRef, signSgdRef } from "./optim.ts";
import {
  type Grads,
  inputEmbeddingsRef,
  type RefBatch,
  refDims,
  type RefModel,
  type RefSegment,
  segmentBackwardRef,
  segmentRef,
  zeroGrads,
} from "./model.ts";

/** The ACT carry. */
export interface RefCarry {
  /** `[B, T, D]` */
  z_H: Float64Array;
  /** `[B, T, D]` */
  z_L: Float64Array;
  /** `[B]` */
  steps: Int32Array;
  /** `[B]` 0/1 */
  halted: Int32Array;
  /** The examples being worked on. */
  data: RefBatch;
}

/** The initial carry: every row halted, so the first segment takes the whole batch. */
export function initialCarryRef(m: RefModel, B: number): RefCarry {
  const { S, T, D } = refDims(m.arch);
  return {
    z_H: new Float64Array(B * T * D),
    z_L: new Float64Array(B * T * D),
    steps: new Int32Array(B),
    halted: new Int32Array(B).fill(1),
    data: {
      inputs: new Int32Array(B * S),
      labels: new Int32Array(B * S),
      puzzle_identifiers: new Int32Array(B),
    },
  };
}

/** Halted rows restart from H_init/L_init with steps 0 on the incoming example (reset_carry). */
function actBegin(m: RefModel, c: RefCarry, batch: RefBatch): void {
  const { S, T, D } = refDims(m.arch), B = c.steps.length;
  // Copies, so what a previous step returned is not overwritten.
  c.z_H = c.z_H.slice();
  c.z_L = c.z_L.slice();
  c.data = {
    inputs: c.data.inputs.slice(),
    labels: c.data.labels.slice(),
    puzzle_identifiers: c.data.puzzle_identifiers.slice(),
  };
  for (let r = 0; r < B; r++) {
    if (!c.halted[r]) continue;
    for (let i = 0; i < T * D; i++) {
      c.z_H[r * T * D + i] = m.H_init[i % D];
      c.z_L[r * T * D + i] = m.L_init[i % D];
    }
    c.steps[r] = 0;
    c.data.inputs.set(batch.inputs.subarray(r * S, (r + 1) * S), r * S);
    c.data.labels.set(batch.labels.subarray(r * S, (r + 1) * S), r * S);
    c.data.puzzle_identifiers[r] = batch.puzzle_identifiers[r];
  }
}

/** One evaluation segment (halting only at halt_max_steps); updates the carry. */
export function evalSegmentRef(
  m: RefModel,
  c: RefCarry,
  batch: RefBatch,
): RefSegment & { x: Float64Array } {
  actBegin(m, c, batch);
  const x = inputEmbeddingsRef(m, c.data);
  const seg = segmentRef(m, c.z_H, c.z_L, x);
  c.z_H = seg.z_H;
  c.z_L = seg.z_L;
  for (let r = 0; r < c.steps.length; r++) {
    c.steps[r]++;
    c.halted[r] = c.steps[r] >= m.arch.halt_max_steps ? 1 : 0;
  }
  return { ...seg, x };
}

/** Optimizer settings of one step (the lr already scheduled). */
export interface RefHyper {
  /** AdamATan2 lr. */
  lr: number;
  /** SignSGD lr. */
  puzzle_emb_lr: number;
  /** AdamATan2 decoupled weight decay. */
  weight_decay: number;
  /** SignSGD decoupled weight decay. */
  puzzle_emb_weight_decay: number;
  /** β1. */
  beta1: number;
  /** β2. */
  beta2: number;
}

/** TRM's training options (pretrain.py `ema`, `ema_rate`, `freeze_weights`). */
export interface RefTrainOptions {
  /** Keep an EMA shadow of the trainable parameters with this rate; undefined: none. */
  emaRate?: number;
  /** Only the puzzle embedding is trained (no AdamATan2); needs one (else ignored, as there). */
  freezeWeights?: boolean;
}

/** Everything a training run carries besides the weights. */
export interface RefTrainState {
  /** Weights, updated in place. */
  model: RefModel;
  /** The ACT carry. */
  carry: RefCarry;
  /** AdamATan2 moments by name. */
  adam_m: Map<string, Float64Array>;
  /** Second moments. */
  adam_v: Map<string, Float64Array>;
  /** Optimizer steps taken. */
  step: number;
  /** loss.loss_type. */
  lossType: LossType;
  /** EMA shadow by parameter name (a copy of the weights at the start), when enabled. */
  ema: Map<string, Float64Array> | undefined;
  /** EMA rate and freeze_weights. */
  opts: RefTrainOptions;
}

/** A fresh training state on `B` rows. */
export function newTrainStateRef(
  model: RefModel,
  B: number,
  lossType: LossType,
  opts: RefTrainOptions = {},
): RefTrainState {
  return {
    model,
    carry: initialCarryRef(model, B),
    adam_m: zeroGrads(model),
    adam_v: zeroGrads(model),
    step: 0,
    lossType,
    ema: opts.emaRate === undefined
      ? undefined
      : new Map([...model.params].map(([k, v]) => [k, v.slice()])),
    opts,
  };
}

/** What one training step computed. */
export interface RefStep {
  /** Input embeddings of the current data. `[B, T, D]` */
  x: Float64Array;
  /** The segment with gradient. */
  seg: RefSegment;
  /** `[B]` (HRM only; undefined with no_ACT_continue or halt_max_steps 1) */
  target_q_continue: Float64Array | undefined;
  /** `[B]` 0/1 */
  seq_is_correct: Float64Array;
  /** Per-row lm loss (per-sequence mean), BCE q_halt and q_continue. `[B]` */
  lm_loss: Float64Array;
  /** `[B]` */
  q_halt_loss: Float64Array;
  /** `[B]` (zeros without a target) */
  q_continue_loss: Float64Array;
  /** Σ lm + 0.5·(Σ q_halt + Σ q_continue), unscaled. */
  total_loss: number;
  /** count, accuracy, exact_accuracy, q_halt_accuracy, steps, lm_loss, q_halt_loss, q_continue_loss (sums). */
  metrics: number[];
  /** Gradients of total_loss / B. */
  grads: Grads;
  /** d(total/B)/d(puzzle rows) per batch row. `[B, puzzle_emb_ndim]` */
  dpuz: Float64Array | undefined;
}

/**
 * One training step (pretrain.py train_batch): ACT forward with gradient, halting with the given
 * exploration `minSteps` (0 = none), HRM's Q target from a second no-grad segment (not with
 * no_ACT_continue), ACTLossHead's losses, backward of total / B, AdamATan2 on every parameter
 * (unless freeze_weights), SignSGD on the batch's puzzle rows, then the EMA shadow.
 */
export function trainStepRef(
  s: RefTrainState,
  batch: RefBatch,
  h: RefHyper,
  minSteps: ArrayLike<number>,
): RefStep {
  const m = s.model, a = m.arch, c = s.carry, B = c.steps.length, { S, V } = refDims(a);
  actBegin(m, c, batch);
  const x = inputEmbeddingsRef(m, c.data);
  const seg = segmentRef(m, c.z_H, c.z_L, x);
  c.z_H = seg.z_H;
  c.z_L = seg.z_L;
  const isLast = new Int32Array(B);
  for (let r = 0; r < B; r++) {
    c.steps[r]++;
    isLast[r] = c.steps[r] >= a.halt_max_steps ? 1 : 0;
    let halted = isLast[r] === 1;
    if (a.halt_max_steps > 1) {
      const q = a.no_ACT_continue ? seg.q_halt[r] > 0 : seg.q_halt[r] > seg.q_continue[r];
      halted = (halted || q) && c.steps[r] >= minSteps[r];
    }
    c.halted[r] = halted ? 1 : 0;
  }
  let target: Float64Array | undefined;
  if (a.halt_max_steps > 1 && !a.no_ACT_continue) {
    const next = segmentRef(m, c.z_H, c.z_L, x);
    target = Float64Array.from({ length: B }, (_, r) => {
      const v = isLast[r] ? next.q_halt[r] : Math.max(next.q_halt[r], next.q_continue[r]);
      return 1 / (1 + Math.exp(-v));
    });
  }
  const gs = 1 / B;
  const lm = lmLossRef(
    seg.logits,
    c.data.labels,
    B,
    S,
    V,
    s.lossType === "stablemax_cross_entropy",
    gs,
  );
  const qh = bceRef(seg.q_halt, lm.seqCorrect, 0.5 * gs);
  const qc = target
    ? bceRef(seg.q_continue, target, 0.5 * gs)
    : { loss: new Float64Array(B), dlogits: new Float64Array(B) };
  const sum = (v: ArrayLike<number>) => Array.from(v).reduce((p, q) => p + q, 0);
  const metrics = new Array(8).fill(0);
  for (let r = 0; r < B; r++) {
    if (c.halted[r] && lm.valid[r] > 0) {
      metrics[0] += 1;
      metrics[1] += lm.correct[r] / lm.valid[r];
      metrics[2] += lm.seqCorrect[r];
      metrics[3] += (seg.q_halt[r] >= 0 ? 1 : 0) === lm.seqCorrect[r] ? 1 : 0;
      metrics[4] += c.steps[r];
    }
  }
  metrics[5] = sum(lm.loss);
  metrics[6] = sum(qh.loss);
  metrics[7] = sum(qc.loss);
  const { grads, dpuz } = segmentBackwardRef(m, seg, c.data, lm.dlogits, qh.dlogits, qc.dlogits);
  optimizerStepRef(s, grads, dpuz, c.data.puzzle_identifiers, h);
  return {
    x,
    seg,
    target_q_continue: target,
    seq_is_correct: lm.seqCorrect,
    lm_loss: lm.loss,
    q_halt_loss: qh.loss,
    q_continue_loss: qc.loss,
    total_loss: metrics[5] + 0.5 * (metrics[6] + metrics[7]),
    metrics,
    grads,
    dpuz,
  };
}

/**
 * The optimizers of one step, as pretrain.py builds them: SignSGD on the puzzle rows of the
 * batch, AdamATan2 on every parameter (skipped with freeze_weights when there is a puzzle
 * embedding), then `shadow ← (1 − ema_rate)·param + ema_rate·shadow` over the parameters.
 */
export function optimizerStepRef(
  s: RefTrainState,
  grads: Grads,
  dpuz: Float64Array | undefined,
  ids: Int32Array,
  h: RefHyper,
): void {
  const m = s.model, a = m.arch;
  s.step++;
  if (!(s.opts.freezeWeights && a.puzzle_emb_ndim > 0)) {
    for (const [name, p] of m.params) {
      adamAtan2Ref({ p, m: s.adam_m.get(name)!, v: s.adam_v.get(name)! }, grads.get(name)!, {
        lr: h.lr,
        beta1: h.beta1,
        beta2: h.beta2,
        weightDecay: h.weight_decay,
        step: s.step,
      });
    }
  }
  if (dpuz) {
    signSgdRef(m.puzzle_emb!, a.num_puzzle_identifiers, a.puzzle_emb_ndim, ids, dpuz, {
      lr: h.puzzle_emb_lr,
      weightDecay: h.puzzle_emb_weight_decay,
    });
  }
  if (s.ema) {
    for (const [name, p] of m.params) emaRef(s.ema.get(name)!, p, s.opts.emaRate!);
  }
}

/**
 * The scaled training loss `(Σ lm + 0.5·(Σ q_halt + Σ q_continue)) / B` of a segment's outputs
 * with the no-grad targets held fixed, for finite-difference checks (no q_continue term without
 * a target, as with no_ACT_continue).
 */
export function segmentLossRef(
  m: RefModel,
  seg: RefSegment,
  labels: Int32Array,
  lossType: LossType,
  seqCorrect: ArrayLike<number>,
  target: ArrayLike<number> | undefined,
): number {
  const { S, V } = refDims(m.arch), B = seg.q_halt.length;
  const lm = lmLossRef(seg.logits, labels, B, S, V, lossType === "stablemax_cross_entropy", 1);
  const sum = (v: ArrayLike<number>) => Array.from(v).reduce((p, q) => p + q, 0);
  const qh = sum(bceRef(seg.q_halt, seqCorrect, 1).loss);
  const qc = target ? sum(bceRef(seg.q_continue, target, 1).loss) : 0;
  return (sum(lm.loss) + 0.5 * (qh + qc)) / B;
}
