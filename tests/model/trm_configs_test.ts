// The GPU TRM (createModel, Trainer) against the float64 reference tests/ref/trm.ts beyond the
// golden fixture: attention + RoPE, learned and no positions, mlp_t, puzzle prefixes of 16, 3
// and 1 slots and puzzle_emb_len 0 (the ceil rule, a zero-padded second slot), no puzzle
// embedding, H/L cycles 3/2, 2/2, 1/3, 2/1, exploration, EMA and freeze_weights, over several
// consecutive training steps with halting (q_halt > 0) and refill. The comparisons themselves
// are tests/model/_gpu_vs_ref.ts (shared with the HRM suite).
import type { HrmArch } from "../../lib/model/dims.ts";
import { trmArchRef } from "../ref/trm.ts";
import { type Case, registerGpuVsRef } from "./_gpu_vs_ref.ts";

/** A small TRM (2 layers); every case below overrides what it is about. */
function arch(over: Partial<HrmArch>): HrmArch {
  return trmArchRef({
    vocab_size: 6,
    seq_len: 9,
    num_puzzle_identifiers: 8,
    hidden_size: 16,
    num_heads: 2,
    expansion: 4,
    L_layers: 2,
    H_cycles: 2,
    L_cycles: 2,
    puzzle_emb_ndim: 0,
    puzzle_emb_len: 0,
    pos_encodings: "rope",
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    halt_max_steps: 3,
    halt_exploration_prob: 0,
    ...over,
  });
}

const CASES: Case[] = [
  {
    name: "mlp_t, no positions, prefix 16 (puzzle emb = D), stablemax, 3/2, EMA 0.5",
    arch: arch({
      mlp_t: true,
      pos_encodings: "none",
      puzzle_emb_ndim: 16,
      puzzle_emb_len: 16,
      H_cycles: 3,
    }),
    lossType: "stablemax_cross_entropy",
    ids: [[3, 1, 3, 0, 3], [1, 1, 4, 2, 0], [5, 0, 5, 5, 1], [2, 2, 0, 1, 4]],
    seed: 41,
    mixedRefill: true,
    train: { emaRate: 0.5 },
    restartFromGpu: true,
  },
  {
    name: "attention + rope, puzzle_emb_len 0 (ceil rule: D+8 in 2 slots), stablemax, 2/2",
    arch: arch({ puzzle_emb_ndim: 24 }),
    lossType: "stablemax_cross_entropy",
    ids: [[2, 4, 2, 2], [0, 4, 1, 4], [3, 3, 0, 2], [1, 2, 2, 0]],
    seed: 41,
    mixedRefill: true,
  },
  {
    name: "learned positions, prefix 3 (puzzle emb = D), stablemax, 1/3, freeze_weights",
    arch: arch({
      pos_encodings: "learned",
      puzzle_emb_ndim: 16,
      puzzle_emb_len: 3,
      H_cycles: 1,
      L_cycles: 3,
    }),
    lossType: "stablemax_cross_entropy",
    ids: [[1, 6, 1, 0], [6, 6, 2, 3], [0, 1, 3, 3]],
    seed: 41,
    mixedRefill: true,
    train: { freezeWeights: true },
  },
  {
    name: "attention + rope, no puzzle emb, D 32, 4 heads, 2/1, EMA 0.9",
    arch: arch({ hidden_size: 32, num_heads: 4, L_cycles: 1, seq_len: 16 }),
    lossType: "stablemax_cross_entropy",
    ids: [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    seed: 31,
    mixedRefill: true,
    train: { emaRate: 0.9 },
  },
  {
    name: "mlp_t + learned, prefix 1, softmax, 2/2, exploration prob 1 (min_steps 2)",
    arch: arch({
      mlp_t: true,
      pos_encodings: "learned",
      puzzle_emb_ndim: 16,
      puzzle_emb_len: 1,
      halt_max_steps: 2,
      halt_exploration_prob: 1,
    }),
    lossType: "softmax_cross_entropy",
    ids: [[1, 2, 1, 0], [4, 4, 4, 3], [2, 1, 0, 5]],
    seed: 25,
    mixedRefill: false,
  },
];

// Tolerances, f32 on the GPU vs f64 (max error / max |ref| unless 'Abs'): HRM's
// (tests/model/hrm_configs_test.ts). Measured on Mesa lavapipe: forward z 8.5e-6, logits 6.6e-6,
// q 4.5e-6; after a step z 9.6e-6, grads 1.2e-5 (through all L_cycles + 1 calls), Adam 1.7e-5,
// metrics 9.2e-7, params 7.1e-7 abs, EMA shadow 3.6e-7 abs, puzzle table 6.5e-8 abs.
registerGpuVsRef("trm", CASES, {
  fwd: 3e-5,
  z: 1e-4,
  grad: 2e-4,
  adam: 2e-4,
  metrics: 1e-5,
  paramAbs: 2.5e-6,
  puzzleAbs: 2e-7,
}, CASES[2]);
