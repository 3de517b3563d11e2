/**
 * The Tiny Recursive Model (TinyRecursiveReasoningModel_ACTV1_Inner, Jolicoeur-Martineau 2025):
 * ONE network, `inner.L_level` (L_layers blocks), does both updates. Its states are the paper's
 * y (the answer, kept in z_H) and z (the latent, kept in z_L). One segment, x the input embedding:
 *   H_cycles − 1 cycles without gradient of {L_cycles × z ← net(z + y + x);  y ← net(y + z)}
 *   then one cycle WITH gradient through every one of its L_cycles + 1 calls
 *   logits = lm_head(y[:, P:]),  (q_halt, q_continue) = q_head(y[:, 0])
 * The same weights get gradient from each call of the last cycle (summed), and so do the
 * embeddings and heads. With `mlp_t` the blocks mix tokens with a SwiGLU across the sequence axis
 * instead of attention (nn/seq_mlp.ts). The puzzle prefix has `puzzle_emb_len` slots (0: the
 * ceil rule). Halting in training with `no_ACT_continue` (the default): q_halt > 0, no target Q
 * and no second forward; without it, HRM's rule. Everything else is the shared
 * {@linkcode ReasoningModel}.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import type { HrmArch } from "./dims.ts";
import { ReasoningModel } from "./model.ts";

/** TRM: weights on the GPU and the forward/backward of one segment. */
export class Trm extends ReasoningModel {
  /** Allocates the weights (zero-filled; load or initialise them next). */
  constructor(gpu: Gpu, arch: HrmArch) {
    super(gpu, { ...arch, kind: "trm" }, {
      kind: "trm",
      levels: [["L", arch.L_layers]],
      hLevel: "L",
      gradLCalls: arch.L_cycles,
      noActContinue: arch.no_ACT_continue ?? true,
      stateNames: { z_H: "y", z_L: "z" },
      referenceClass: "TinyRecursiveReasoningModel_ACTV1",
    });
  }
}
