/**
 * Float64 CPU reference of TRM (SamsungSAILMontreal/TinyRecursiveModels
 * models/recursive_reasoning/trm.py, models/losses.py, pretrain.py, models/ema.py,
 * models/sparse_embedding.py), for GPU-vs-float64 tests. It is the reference shared with HRM
 * (tests/ref/model.ts, tests/ref/train.ts) on an arch with `kind: "trm"`:
 *
 * - Weights: {@linkcode trmArchRef} completes an arch; `randomRefModel(arch, seed, qBias)`,
 *   `refStateDict(model)` (F32 tensors under the reference's state-dict names, e.g.
 *   `inner.L_level.layers.0.mlp_t.gate_up_proj.weight`), `refModelFromStateDict`,
 *   `cloneRefModel`, `refParamShapes` (the trainable parameters, in state-dict order).
 * - Forward: `inputEmbeddingsRef(model, batch)` (puzzle prefix of P slots, P = puzzle_emb_len
 *   or, when 0, ceil(puzzle_emb_ndim / D); ·√D; positions none/rope/learned);
 *   {@linkcode refTrmSegment} (H_cycles − 1 no-grad cycles of {L_cycles × z_L ← net(z_L, z_H +
 *   x); z_H ← net(z_H, z_L)}, then one cycle saved for backward, then the heads);
 *   `noGradCyclesRef` / `lastCallsRef` are its two halves.
 * - Backward: `segmentBackwardRef(model, seg, batch, dlogits, dq_halt, dq_continue)` through all
 *   L_cycles + 1 calls of the last cycle, each adding to the one network's gradient.
 * - ACT and training: `initialCarryRef`, `evalSegmentRef` (eval: halting only at
 *   halt_max_steps), {@linkcode newTrmTrainState} (with EMA and freeze_weights),
 *   {@linkcode refTrmTrainStep} (reset/refill of halted rows, halting on q_halt > 0 with
 *   exploration `minSteps`, loss = lm + 0.5·q_halt BCE, backward of total / B, AdamATan2,
 *   SignSGD on the batch's puzzle rows, EMA shadow ← (1 − rate)·param + rate·shadow over the
 *   trainable parameters only), `segmentLossRef` for finite differences.
 *
 * Checked against the golden fixture ../shared/golden/trm-a and finite differences in
 * tests/model/trm_ref_test.ts.
 *
 * @module
 */
import type { HrmArch } from "../../lib/model/dims.ts";
import type { LossType } from "../../lib/ops/losses.ts";
import { type RefBatch, type RefModel, type RefSegment, segmentRef } from "./model.ts";
import {
  newTrainStateRef,
  type RefHyper,
  type RefStep,
  type RefTrainOptions,
  type RefTrainState,
  trainStepRef,
} from "./train.ts";

export {
  cloneRefModel,
  inputEmbeddingsRef,
  lastCallsRef,
  noGradCyclesRef,
  randomRefModel,
  type RefBatch,
  refDims,
  type RefModel,
  refModelFromStateDict,
  refParamShapes,
  type RefSegment,
  refStateDict,
  segmentBackwardRef,
} from "./model.ts";
export {
  evalSegmentRef,
  initialCarryRef,
  type RefCarry,
  type RefHyper,
  type RefStep,
  type RefTrainState,
  segmentLossRef,
} from "./train.ts";

/**
 * A TRM arch: `kind` "trm", `no_ACT_continue` true, `mlp_t` false and `puzzle_emb_len` 16 unless
 * given (arch/trm.yaml), H_layers 0 (unused).
 */
export function trmArchRef(
  a: Omit<HrmArch, "kind" | "H_layers"> & { H_layers?: number },
): HrmArch {
  return {
    mlp_t: false,
    puzzle_emb_len: 16,
    no_ACT_continue: true,
    H_layers: 0,
    ...a,
    kind: "trm",
  };
}

function assertTrm(m: RefModel): void {
  if (m.arch.kind !== "trm") throw new Error("not a TRM arch (use trmArchRef)");
}

/** One TRM segment from carry (z_H = y, z_L = z) and input embedding x. */
export function refTrmSegment(
  m: RefModel,
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
): RefSegment {
  assertTrm(m);
  return segmentRef(m, z_H, z_L, x);
}

/** A fresh TRM training state on `B` rows, with EMA (`emaRate`) and `freezeWeights` if given. */
export function newTrmTrainState(
  model: RefModel,
  B: number,
  lossType: LossType,
  opts: RefTrainOptions = {},
): RefTrainState {
  assertTrm(model);
  return newTrainStateRef(model, B, lossType, opts);
}

/** One TRM training step (see the module doc); `minSteps` per row, 0 = no exploration. */
export function refTrmTrainStep(
  s: RefTrainState,
  batch: RefBatch,
  h: RefHyper,
  minSteps: ArrayLike<number>,
): RefStep {
  assertTrm(s.model);
  return trainStepRef(s, batch, h, minSteps);
}
