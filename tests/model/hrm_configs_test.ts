// The GPU HRM (createModel, Trainer) against the float64 reference tests/ref/hrm.ts on small
// random configurations the golden fixture does not cover: puzzle embeddings of D and D+8 (a
// zero-padded second slot) with duplicate ids and SignSGD, learned and no positions, softmax CE,
// H/L cycles 1/1, 1/3, 3/1, exploration, several consecutive training steps with halting and
// refill, and micro-batches. The comparisons themselves are tests/model/_gpu_vs_ref.ts.
import type { HrmArch } from "../../lib/model/dims.ts";
import { type Case, registerGpuVsRef } from "./_gpu_vs_ref.ts";

/** A small configuration; every case below overrides what it is about. */
function arch(over: Partial<HrmArch>): HrmArch {
  return {
    vocab_size: 6,
    seq_len: 9,
    num_puzzle_identifiers: 8,
    hidden_size: 16,
    num_heads: 2,
    expansion: 4,
    H_layers: 1,
    L_layers: 1,
    H_cycles: 2,
    L_cycles: 2,
    puzzle_emb_ndim: 0,
    pos_encodings: "rope",
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    halt_max_steps: 2,
    halt_exploration_prob: 0,
    ...over,
  };
}

const CASES: Case[] = [
  {
    name: "puzzle emb = D, rope, stablemax, 2/2, H_layers 2",
    arch: arch({ puzzle_emb_ndim: 16, H_layers: 2 }),
    lossType: "stablemax_cross_entropy",
    ids: [[3, 1, 3, 0, 3], [1, 1, 4, 2, 0], [5, 0, 5, 5, 1]],
    seed: 11,
    mixedRefill: true,
  },
  {
    name: "puzzle emb = D+8 (2nd slot zero-padded), learned, softmax, 1/3",
    arch: arch({ puzzle_emb_ndim: 24, pos_encodings: "learned", H_cycles: 1, L_cycles: 3 }),
    lossType: "softmax_cross_entropy",
    ids: [[2, 4, 2, 2], [0, 4, 1, 4], [3, 3, 0, 2]],
    seed: 17,
    mixedRefill: true,
  },
  {
    name: "no puzzle emb, no positions, stablemax, 3/1, D 32, 4 heads, halt_max_steps 3",
    arch: arch({
      hidden_size: 32,
      num_heads: 4,
      pos_encodings: "none",
      H_cycles: 3,
      L_cycles: 1,
      halt_max_steps: 3,
      seq_len: 16,
    }),
    lossType: "stablemax_cross_entropy",
    ids: [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]],
    seed: 12,
    mixedRefill: true,
  },
  {
    name: "cycles 1/1, rope, puzzle emb = D, softmax, exploration prob 1 (min_steps 2)",
    arch: arch({ puzzle_emb_ndim: 16, H_cycles: 1, L_cycles: 1, halt_exploration_prob: 1 }),
    lossType: "softmax_cross_entropy",
    ids: [[1, 2, 1, 0], [4, 4, 4, 3], [2, 1, 0, 5]],
    seed: 14,
    mixedRefill: false,
  },
];

// Forward, f32 vs f64 (max error / max |ref|): measured z 6.1e-6, logits 3.5e-6, q 3.7e-6 after
// two segments of up to 8 block calls with sums over K ≤ 256 (f32 ε = 6e-8); bound 5x that.
// Training, measured on Mesa lavapipe: z after a step 2.3e-5, grads 4.6e-5, Adam m/v 2.6e-5,
// metrics 7e-9 (losses are per-row sums in f32), params 5.3e-7 absolute (an atan2 step of lr =
// 1e-3 whose angle is off by ≤ 5e-4 where the gradient history is small), puzzle table 5.6e-8
// absolute (f32 rounding of W·(1 − lr·wd)). Bounds are 4–5x those; a wrong optimizer step would
// be ≥ lr·0.1.
// Micro-batches (gradients accumulated over row chunks before one optimizer step) must give the
// float64 reference's whole-batch step within the same tolerances: uneven chunks, SignSGD on
// duplicate ids whose rows fall in different chunks, halting and refill per chunk.
CASES.push(
  { ...CASES[0], name: `${CASES[0].name}, micro-batches of 2 (2+2+1)`, micro: 2 },
  { ...CASES[2], name: `${CASES[2].name}, micro-batches of 4 (4+2)`, micro: 4 },
);

registerGpuVsRef("hrm", CASES, {
  fwd: 3e-5,
  z: 1e-4,
  grad: 2e-4,
  adam: 2e-4,
  metrics: 1e-5,
  paramAbs: 2.5e-6,
  puzzleAbs: 2e-7,
}, CASES[1]); // learned positions and a puzzle embedding: every optional path
