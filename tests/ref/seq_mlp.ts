/**
 * Float64 reference for TRM's mlp_t token mixer (TinyRecursiveReasoningModel_ACTV1Block with
 * mlp_t): `hᵀ = rms(hᵀ + SwiGLU_T(hᵀ))` on the transposed state, written directly on the
 * `[B, T, D]` layout (no transpose), so it checks the GPU's transpose bookkeeping too.
 *
 * @module
 */
import { rmsnormBackwardRef, rmsnormRef } from "./rmsnorm.ts";
import { swigluBackwardRef, swigluRef } from "./swiglu.ts";
import { linearBackwardRef, linearRef } from "./matmul.ts";

/** Sizes of one mlp_t call. */
export interface SeqMlpSizes {
  /** Batch rows. */
  B: number;
  /** Sequence length (the SwiGLU's hidden size). */
  T: number;
  /** Hidden size. */
  D: number;
  /** SwiGLU width. */
  Ft: number;
  /** RMSNorm epsilon. */
  eps: number;
}

/** `[B, T, D]` → `[B·D, T]` rows (the transposed view). */
function toRows(h: ArrayLike<number>, s: SeqMlpSizes): Float64Array {
  const { B, T, D } = s;
  const r = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) r[(b * D + d) * T + t] = h[(b * T + t) * D + d];
    }
  }
  return r;
}

/** `[B·D, T]` rows → `[B, T, D]`. */
function fromRows(r: ArrayLike<number>, s: SeqMlpSizes): Float64Array {
  const { B, T, D } = s;
  const h = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) h[(b * T + t) * D + d] = r[(b * D + d) * T + t];
    }
  }
  return h;
}

/** Forward: `h1 [B, T, D]` from `h0 [B, T, D]`, `Wgu [2Ft, T]`, `Wd [T, Ft]`. */
export function seqMlpRef(
  h0: ArrayLike<number>,
  Wgu: ArrayLike<number>,
  Wd: ArrayLike<number>,
  s: SeqMlpSizes,
): Float64Array {
  const N = s.B * s.D;
  const x = toRows(h0, s);
  const gu = linearRef(x, Wgu, N, s.T, 2 * s.Ft);
  const m = linearRef(swigluRef(gu, N, s.Ft), Wd, N, s.Ft, s.T);
  const r = x.map((v, i) => v + m[i]);
  return fromRows(rmsnormRef(r, N, s.T, s.eps).y, s);
}

/** Backward: d(h0) and the weight gradients from `dh1 [B, T, D]`. */
export function seqMlpBackwardRef(
  dh1: ArrayLike<number>,
  h0: ArrayLike<number>,
  Wgu: ArrayLike<number>,
  Wd: ArrayLike<number>,
  s: SeqMlpSizes,
): { dh0: Float64Array; dWgu: Float64Array; dWd: Float64Array } {
  const N = s.B * s.D;
  const x = toRows(h0, s);
  const gu = linearRef(x, Wgu, N, s.T, 2 * s.Ft);
  const act = swigluRef(gu, N, s.Ft);
  const m = linearRef(act, Wd, N, s.Ft, s.T);
  const r = x.map((v, i) => v + m[i]);
  const dr = rmsnormBackwardRef(toRows(dh1, s), r, N, s.T, s.eps);
  const down = linearBackwardRef(dr, act, Wd, N, s.Ft, s.T);
  const dgu = swigluBackwardRef(down.dx, gu, N, s.Ft);
  const up = linearBackwardRef(dgu, x, Wgu, N, s.T, 2 * s.Ft);
  const dx = up.dx.map((v, i) => v + dr[i]);
  return { dh0: fromRows(dx, s), dWgu: up.dW, dWd: down.dW };
}
