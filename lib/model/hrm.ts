/**
 * The Hierarchical Reasoning Model (HierarchicalReasoningModel_ACTV1_Inner): two reasoning
 * modules, H_level and L_level, and the 1-step gradient. One segment from carry (z_H, z_L) and
 * input embedding x:
 *   no grad:   H_cycles·L_cycles − 1 updates z_L ← L(z_L + z_H + x), and H_cycles − 1 updates
 *              z_H ← H(z_H + z_L), interleaved (L…L H L…L H … L…L)
 *   with grad: one z_L ← L(z_L + z_H + x), then one z_H ← H(z_H + z_L)
 *   logits = lm_head(z_H[:, P:]),  (q_halt, q_continue) = q_head(z_H[:, 0])
 * Gradients reach the weights of that last L and H call, the embeddings and the heads only.
 * Halting in training: q_halt > q_continue, with a bootstrapped Q-continue target.
 * Everything else is the shared {@linkcode ReasoningModel}.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import type { HrmArch } from "./dims.ts";
import { ReasoningModel } from "./model.ts";

export type { BatchTensors, InnerCarry, InnerSaved, SegmentOutputs } from "./model.ts";

/** HRM: weights on the GPU and the forward/backward of one segment. */
export class Hrm extends ReasoningModel {
  /** Allocates the weights (zero-filled; load or initialise them next). */
  constructor(gpu: Gpu, arch: HrmArch) {
    super(gpu, arch, {
      kind: "hrm",
      levels: [["H", arch.H_layers], ["L", arch.L_layers]],
      hLevel: "H",
      gradLCalls: 1,
      noActContinue: false,
      stateNames: { z_H: "z_H", z_L: "z_L" },
      referenceClass: "HierarchicalReasoningModel_ACTV1",
    });
  }
}
