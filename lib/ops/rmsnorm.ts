/**
 * Weightless RMSNorm, HRM's post-norm (models/layers.py `rms_norm`, computed in f32):
 * `y = x · rsqrt(mean(x²) + eps)` per row. The forward saves `rstd` per row; the backward works
 * from the saved output `y` (the block's next hidden state, which the model keeps anyway) rather
 * than from `x`: `dx = rstd · (dy − y · mean(dy · y))`.
 *
 * @module
 */
import fwdSrc from "../../kernels/rmsnorm.wgsl" with { type: "text" };
import bwdSrc from "../../kernels/rmsnorm_bwd.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import type { Gpu } from "../gpu/device.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const FWD = { source: fwdSrc, file: "rmsnorm", entry: "rmsnorm_fwd" };
const BWD = { source: bwdSrc, file: "rmsnorm_bwd", entry: "rmsnorm_bwd" };

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

/**
 * Forward: `y = x · rstd`, `rstd = 1/sqrt(mean(x²) + eps)` over the last dimension.
 *
 * @param enc The encoder to record into.
 * @param x Input `[..., D]` (any leading shape; rows are flattened to N).
 * @param eps Added to the mean square (HRM: 1e-5).
 * @param variant Kernel geometry (default {@linkcode defaultRmsnormVariant}).
 * @returns `y` with x's shape and `rstd [N]`, new pooled tensors the caller releases.
 * @throws {RangeError} when x is empty or the variant is invalid.
 *
 * @example Normalising rows
 * ```ts ignore
 * const { y, rstd } = rmsnormForward(enc, x, 1e-5); // x [B*T, D]
 * ```
 */
export function rmsnormForward(
  enc: Encoder,
  x: Tensor,
  eps: number,
  variant: RmsnormVariant = defaultRmsnormVariant(enc.gpu),
): { y: Tensor; rstd: Tensor } {
  checkVariant(variant);
  const [N, D] = rowsOf("rmsnormForward", x);
  const y = Tensor.empty(enc.gpu, x.shape, "f32", "rmsnorm.y"); // [N, D]
  const rstd = Tensor.empty(enc.gpu, [N], "f32", "rmsnorm.rstd"); // [N]
  enc.dispatch({
    kernel: FWD,
    constants: { WG: variant.wg, TPR: variant.tpr },
    bindings: [x, y, rstd],
    params: [N, D, f32(eps)],
    workgroups: grid1d(enc.gpu, N, variant.wg / variant.tpr),
  });
  return { y, rstd };
}

/**
 * Backward from the saved output: `dx = rstd · (dy − y · mean(dy · y))` per row.
 *
 * @param enc The encoder to record into.
 * @param dy Gradient of the output, y's shape.
 * @param y The forward output.
 * @param rstd The forward's `rstd [N]`.
 * @param variant Kernel geometry (default {@linkcode defaultRmsnormVariant}).
 * @returns `dx` with y's shape, a new pooled tensor.
 * @throws {RangeError} naming the shapes when dy, y and rstd disagree.
 *
 * @example Gradient through the norm
 * ```ts ignore
 * const dx = rmsnormBackward(enc, dy, y, rstd);
 * ```
 */
export function rmsnormBackward(
  enc: Encoder,
  dy: Tensor,
  y: Tensor,
  rstd: Tensor,
  variant: RmsnormVariant = defaultRmsnormVariant(enc.gpu),
): Tensor {
  checkVariant(variant);
  const [N, D] = rowsOf("rmsnormBackward", y);
  if (dy.size !== y.size || dy.shape[dy.shape.length - 1] !== D || rstd.size !== N) {
    throw new RangeError(
      `rmsnormBackward: dy [${dy.shape}], y [${y.shape}] and rstd [${rstd.shape}] disagree ` +
        `(want dy = y = [${N}, ${D}], rstd = [${N}])`,
    );
  }
  const dx = Tensor.empty(enc.gpu, y.shape, "f32", "rmsnorm.dx"); // [N, D]
  enc.dispatch({
    kernel: BWD,
    constants: { WG: variant.wg, TPR: variant.tpr },
    bindings: [dy, y, rstd, dx],
    params: [N, D],
    workgroups: grid1d(enc.gpu, N, variant.wg / variant.tpr),
  });
  return dx;
}
