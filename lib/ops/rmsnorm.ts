/**
 * Weightless RMSNorm, HRM's post-norm (models/layers.py `rms_norm`, computed in f32), with the
 * residual add before it fused in: `y = v · rsqrt(mean(v²) + eps)` per row, `v = x + residual`
 * (or `v = x`). The forward saves `rstd` per row; the backward works from the saved output `y`
 * (the block's next hidden state, which the model keeps anyway) rather than from `v`:
 * `dv = rstd · (g − y · mean(g · y))`, where `g = dy (+ dy2)` adds a second incoming gradient
 * (the residual branch's) in the same pass. `dv` is the gradient of both `x` and `residual`.
 *
 * @module
 */
import fwdSrc from "../../kernels/rmsnorm.wgsl" with { type: "text" };
import bwdSrc from "../../kernels/rmsnorm_bwd.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import type { Gpu } from "../gpu/device.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";
import { composeKernel, ROW_REDUCE, typeAliases } from "../gpu/wgsl.ts";
import { floatType } from "./cast.ts";

const FWD = composeKernel({ name: "rmsnorm", source: fwdSrc }, "rmsnorm_fwd", [ROW_REDUCE]);

/** Kernel geometry: threads per workgroup and threads cooperating on one row. */
export interface RmsnormVariant {
  /** Threads per workgroup (a power of two). */
  wg: number;
  /** Threads per row: 1 = a thread per row, `wg` = a workgroup per row (a power of two ≤ wg). */
  tpr: number;
}

/**
 * The default geometry: a thread per row on software adapters (llvmpipe makes barriers and
 * workgroup memory slow), a warp-sized group per row elsewhere (coalesced loads).
 *
 * @param gpu The device.
 * @returns The variant {@linkcode rmsnormForward} uses when none is given.
 */
export function defaultRmsnormVariant(gpu: Gpu): RmsnormVariant {
  return gpu.isFallbackAdapter ? { wg: 64, tpr: 1 } : { wg: 128, tpr: 32 };
}

function checkVariant(v: RmsnormVariant): void {
  const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  if (!pow2(v.wg) || !pow2(v.tpr) || v.tpr > v.wg) {
    throw new RangeError(`rmsnorm: variant wg=${v.wg} tpr=${v.tpr} needs powers of two, tpr <= wg`);
  }
}

function rowsOf(op: string, t: Tensor): [number, number] {
  if (t.shape.length < 1 || t.size === 0) {
    throw new RangeError(`${op}: ${t.label} [${t.shape}] has no rows`);
  }
  const D = t.shape[t.shape.length - 1];
  return [t.size / D, D];
}

/** Options of {@linkcode rmsnormForward}. */
export interface RmsnormForwardOptions {
  /** Added to `x` before the norm (same shape): `y = rms(x + residual)` in one pass. */
  residual?: Tensor;
  /** Kernel geometry (default {@linkcode defaultRmsnormVariant}). */
  variant?: RmsnormVariant;
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size || a.shape[a.shape.length - 1] !== b.shape[b.shape.length - 1]) {
    throw new RangeError(`${op}: ${a.label} [${a.shape}] and ${b.label} [${b.shape}] differ`);
  }
}

/**
 * Forward: `y = v · rstd`, `rstd = 1/sqrt(mean(v²) + eps)` over the last dimension, where
 * `v = x + residual` when a residual is given (HRM's `rms(h + sublayer(h))`), else `v = x`.
 *
 * @param enc The encoder to record into.
 * @param x Input `[..., D]` (any leading shape; rows are flattened to N).
 * @param eps Added to the mean square (HRM: 1e-5).
 * @param opts The residual and the kernel geometry.
 * @returns `y` with x's shape and `rstd [N]`, new pooled tensors the caller releases.
 * @throws {RangeError} when x is empty, the residual's shape differs or the variant is invalid.
 *
 * @example Residual add and norm in one dispatch
 * ```ts ignore
 * const { y, rstd } = rmsnormForward(enc, h, 1e-5, { residual: o }); // rms(h + o), [B*T, D]
 * ```
 */
export function rmsnormForward(
  enc: Encoder,
  x: Tensor,
  eps: number,
  opts: RmsnormForwardOptions = {},
): { y: Tensor; rstd: Tensor } {
  const variant = opts.variant ?? defaultRmsnormVariant(enc.gpu);
  checkVariant(variant);
  const [N, D] = rowsOf("rmsnormForward", x);
  if (opts.residual) sameShape("rmsnormForward", x, opts.residual);
  const y = Tensor.empty(enc.gpu, x.shape, "f32", "rmsnorm.y"); // [N, D]
  const rstd = Tensor.empty(enc.gpu, [N], "f32", "rmsnorm.rstd"); // [N]
  enc.dispatch({
    kernel: FWD,
    constants: { WG: variant.wg, TPR: variant.tpr, RESIDUAL: opts.residual !== undefined },
    bindings: [x, opts.residual ?? x, y, rstd],
    params: [N, D, f32(eps)],
    workgroups: grid1d(enc.gpu, N, variant.wg / variant.tpr),
  });
  return { y, rstd };
}

/** Options of {@linkcode rmsnormBackward}. */
export interface RmsnormBackwardOptions {
  /** A second gradient of the output, added to `dy` in the same pass (the residual branch). */
  dy2?: Tensor;
  /** Kernel geometry (default {@linkcode defaultRmsnormVariant}). */
  variant?: RmsnormVariant;
}

/**
 * Backward from the saved output: `dv = rstd · (g − y · mean(g · y))` per row with
 * `g = dy + dy2` (or `dy`); `dv` is the gradient of `x` and of the residual alike.
 *
 * @param enc The encoder to record into.
 * @param dy Gradient of the output, y's shape.
 * @param y The forward output, f32 or f16 (float16 mixed precision's saved copy).
 * @param rstd The forward's `rstd [N]`.
 * @param opts A second incoming gradient and the kernel geometry.
 * @returns `dv` with y's shape, a new pooled tensor.
 * @throws {RangeError} naming the shapes when dy, dy2, y and rstd disagree, or y is f16 without
 *   shader-f16.
 *
 * @example Gradient through the norm, two incoming gradients
 * ```ts ignore
 * const dx = rmsnormBackward(enc, dh1, h1, rstd1, { dy2: dFromMlp });
 * ```
 */
export function rmsnormBackward(
  enc: Encoder,
  dy: Tensor,
  y: Tensor,
  rstd: Tensor,
  opts: RmsnormBackwardOptions = {},
): Tensor {
  const variant = opts.variant ?? defaultRmsnormVariant(enc.gpu);
  checkVariant(variant);
  const [N, D] = rowsOf("rmsnormBackward", y);
  if (dy.size !== y.size || dy.shape[dy.shape.length - 1] !== D || rstd.size !== N) {
    throw new RangeError(
      `rmsnormBackward: dy [${dy.shape}], y [${y.shape}] and rstd [${rstd.shape}] disagree ` +
        `(want dy = y = [${N}, ${D}], rstd = [${N}])`,
    );
  }
  if (opts.dy2) sameShape("rmsnormBackward", dy, opts.dy2);
  const TY = floatType(enc, "rmsnormBackward", y);
  const dx = Tensor.empty(enc.gpu, y.shape, "f32", "rmsnorm.dx"); // [N, D]
  enc.dispatch({
    kernel: composeKernel({ name: "rmsnorm_bwd", source: bwdSrc }, "rmsnorm_bwd", [
      typeAliases({ TY }),
      ROW_REDUCE,
    ]),
    constants: { WG: variant.wg, TPR: variant.tpr, EXTRA: opts.dy2 !== undefined },
    bindings: [dy, opts.dy2 ?? dy, y, rstd, dx],
    params: [N, D],
    workgroups: grid1d(enc.gpu, N, variant.wg / variant.tpr),
  });
  return dx;
}
