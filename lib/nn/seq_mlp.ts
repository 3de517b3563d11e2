/**
 * TRM's mlp_t token mixer (TinyRecursiveReasoningModel_ACTV1Block with `mlp_t`): instead of
 * attention, a SwiGLU across the SEQUENCE axis, post-normed over that axis too:
 *
 *   hᵀ = transpose(h0)                    [B, D, T]
 *   hᵀ = rms(hᵀ + down_t(silu(gate) * up)),  [gate | up] = gate_up_t(hᵀ)   (rows of length T)
 *   h1 = transpose(hᵀ)                    [B, T, D]
 *
 * The SwiGLU's hidden size is the full length T = seq_len + puzzle_emb_len, its width Ft =
 * ceil_to_256(round(expansion·T·2/3)). Built from the transpose, linear, SwiGLU and RMSNorm ops.
 *
 * @module
 */
import type { Encoder } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";
import { linearBackward, linearForward } from "../ops/matmul.ts";
import { rmsnormBackward, rmsnormForward } from "../ops/rmsnorm.ts";
import { swigluBackward, swigluForward } from "../ops/swiglu.ts";
import { transpose } from "../ops/transpose.ts";

/** The mlp_t weights. */
export interface SeqMlpWeights {
  /** `[2Ft, T]` (gate rows first, then up) */
  gate_up: Tensor;
  /** `[T, Ft]` */
  down: Tensor;
}

/** What {@linkcode seqMlpBackward} needs. */
export interface SeqMlpSaved {
  /** The input, transposed. `[B, D, T]` */
  hT: Tensor;
  /** `[B·D, 2Ft]` */
  gu: Tensor;
  /** silu(gate)·up. `[B·D, Ft]` */
  act: Tensor;
  /** The normed output before transposing back. `[B, D, T]` */
  yT: Tensor;
  /** `[B·D]` */
  rstd: Tensor;
}

/**
 * Forward of the mlp_t sub-layer on `h0` (`[B, T, D]` or `[B·T, D]`). Returns `h1` with h0's
 * shape; with `save`, the activations for backward (otherwise they are released). `round16`:
 * float16 mixed precision (matmul operands rounded to f16 on load).
 */
export function seqMlpForward(
  enc: Encoder,
  w: SeqMlpWeights,
  h0: Tensor,
  B: number,
  eps: number,
  save: boolean,
  round16 = false,
): { h1: Tensor; saved?: SeqMlpSaved } {
  const D = h0.shape[h0.shape.length - 1], T = h0.size / (B * D);
  const hT = transpose(enc, h0.reshape([B, T, D]));
  const rows = hT.reshape([B * D, T]);
  // float16 stores gu and act in f16, as nn/block.ts's MLP does.
  const dtype = round16 ? "f16" : "f32";
  const gu = linearForward(enc, rows, w.gate_up, undefined, { round16, dtype });
  const act = swigluForward(enc, gu, dtype);
  const m = linearForward(enc, act, w.down, undefined, { round16 });
  const { y, rstd } = rmsnormForward(enc, rows, eps, { residual: m });
  m.release();
  const yT = y.reshape([B, D, T]);
  const h1 = transpose(enc, yT).reshape(h0.shape);
  if (save) return { h1, saved: { hT, gu, act, yT, rstd } };
  for (const t of [hT, gu, act, yT, rstd]) t.release();
  return { h1 };
}

/**
 * Backward of {@linkcode seqMlpForward}: accumulates into `dw` and returns d(loss)/d(h0) with
 * `dh1`'s shape. Releases the saved activations. `round16` as in the forward.
 */
export function seqMlpBackward(
  enc: Encoder,
  w: SeqMlpWeights,
  dw: SeqMlpWeights,
  dh1: Tensor,
  s: SeqMlpSaved,
  round16 = false,
): Tensor {
  const [B, D, T] = s.yT.shape;
  const dyT = transpose(enc, dh1.reshape([B, T, D]));
  const dr = rmsnormBackward(enc, dyT.reshape([B * D, T]), s.yT.reshape([B * D, T]), s.rstd);
  dyT.release();
  const dact = linearBackward(enc, dr, s.act, w.down, dw.down, { round16 })!;
  const dgu = swigluBackward(enc, dact, s.gu, round16 ? "f16" : "f32");
  dact.release();
  // d(hT) = residual gradient dr + gate_up_t's, summed by the matmul into dr.
  const dhT = linearBackward(enc, dgu, s.hT.reshape([B * D, T]), w.gate_up, dw.gate_up, {
    round16,
    dxInto: dr,
  })!;
  dgu.release();
  const dh0 = transpose(enc, dhT.reshape([B, D, T])).reshape(dh1.shape);
  dhT.release();
  for (const t of [s.hT, s.gu, s.act, s.yT, s.rstd]) t.release();
  return dh0;
}
