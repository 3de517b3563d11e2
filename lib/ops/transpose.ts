/**
 * Batched transpose of the last two axes (`x.transpose(1, 2)` of a `[B, R, C]` tensor): the
 * layout change around TRM's mlp_t sub-layer, which mixes along the sequence axis by running a
 * SwiGLU and an RMSNorm on `[B, D, T]` rows. The backward of a transpose is the transpose back.
 *
 * @module
 */
import src from "../../kernels/transpose.wgsl" with { type: "text" };
import type { Encoder } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 256;
const KERNEL = { source: src, file: "transpose", entry: "transpose" };

/**
 * `y[b, c, r] = x[b, r, c]`.
 *
 * @param enc The encoder to record into.
 * @param x Input `[B, R, C]`.
 * @param out Optional result `[B, C, R]`.
 * @returns `y [B, C, R]`: `out`, or a new pooled tensor.
 * @throws {RangeError} when x is not 3-D or `out` has another size.
 *
 * @example mlp_t's view of the hidden state
 * ```ts ignore
 * const hT = transpose(enc, h); // [B, T, D] -> [B, D, T]
 * ```
 */
export function transpose(enc: Encoder, x: Tensor, out?: Tensor): Tensor {
  if (x.shape.length !== 3) {
    throw new RangeError(`transpose: ${x.label} [${x.shape}] must be [B, R, C]`);
  }
  const [B, R, C] = x.shape;
  const y = out ?? Tensor.empty(enc.gpu, [B, C, R], "f32", "transpose");
  if (y.size !== x.size) {
    throw new RangeError(`transpose: out ${y.label} [${y.shape}] should be [${B}, ${C}, ${R}]`);
  }
  enc.dispatch({
    kernel: KERNEL,
    constants: { WG },
    bindings: [x, y],
    params: [B, R, C],
    workgroups: grid1d(enc.gpu, x.size, WG),
  });
  return y.shape.length === 3 ? y : y.reshape([B, C, R]);
}
