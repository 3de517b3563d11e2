/**
 * Float64 CPU reference of HRM (models/hrm/hrm_act_v1.py, models/losses.py, pretrain.py
 * train_batch, models/sparse_embedding.py): the weights and one ACT segment with all its cycles
 * and the 1-step gradient (tests/ref/model.ts), and the ACT bookkeeping, losses, Q target,
 * AdamATan2 and SignSGD (tests/ref/train.ts). HRM is the shared reference with `arch.kind`
 * absent or "hrm"; TRM's entry points are in tests/ref/trm.ts.
 *
 * It composes the per-op float64 references (attention, RoPE, RMSNorm, SwiGLU, embedding, losses,
 * optimizers in tests/ref/), each checked against finite differences by its own tests; it is
 * checked against the golden PyTorch fixture and against finite differences of whole segments
 * in tests/model/hrm_ref_test.ts.
 *
 * @module
 */
export {
  cloneRefModel,
  inputEmbeddingsRef,
  lastCallsRef,
  noGradCyclesRef,
  randomRefModel,
  type RefBatch,
  type RefDims,
  refDims,
  type RefModel,
  refModelFromStateDict,
  refParamShapes,
  type RefSegment,
  refStateDict,
  segmentBackwardRef,
  segmentRef,
  zeroGrads,
} from "./model.ts";
export {
  evalSegmentRef,
  initialCarryRef,
  newTrainStateRef,
  type RefCarry,
  type RefHyper,
  type RefStep,
  type RefTrainState,
  segmentLossRef,
  trainStepRef,
} from "./train.ts";
