/**
 * SwiGLU activation with the reference's split (models/layers.py `SwiGLU`): `gu [N, 2F] =
 * x · W_guᵀ` holds gate in its first half and up in its second; `h = silu(gate) ⊙ up`. The
 * projections around it are matmuls; this is only the elementwise middle.
 *
 * @module
 */
import fwdSrc from "../../kernels/swiglu.wgsl" with { type: "text" };
import bwdSrc from "../../kernels/swiglu_bwd.wgsl" with { type: "text" };
import type { Encoder } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 64;

/** Workgroups of the 2-D grid: 4 columns per invocation in x, rows in y folded into z. */
function grid(gpu: Encoder["gpu"], N: number, F: number): [number, number, number] {
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  const z = Math.ceil(N / limit);
  return [Math.ceil(F / 4 / WG), Math.ceil(N / z), z];
}
const FWD = { source: fwdSrc, file: "swiglu", entry: "swiglu_fwd" };
const BWD = { source: bwdSrc, file: "swiglu_bwd", entry: "swiglu_bwd" };

function halves(op: string, gu: Tensor): [number, number] {
  const C = gu.shape[gu.shape.length - 1];
  if (gu.shape.length < 1 || !(C >= 2) || C % 2 !== 0) {
    throw new RangeError(`${op}: ${gu.label} [${gu.shape}] needs an even last dimension 2F`);
  }
  return [gu.size / C, C / 2];
}

/**
 * Forward: `h[n, f] = silu(gu[n, f]) · gu[n, F + f]`.
 *
 * @param enc The encoder to record into.
 * @param gu Gate and up projections `[..., 2F]` (gate first).
 * @returns `h [..., F]`, a new pooled tensor.
 * @throws {RangeError} when the last dimension is odd.
 *
 * @example The MLP's middle
 * ```ts ignore
 * const h = swigluForward(enc, gu); // gu [N, 2F] -> h [N, F]
 * ```
 */
export function swigluForward(enc: Encoder, gu: Tensor): Tensor {
  const [N, F] = halves("swigluForward", gu);
  const h = Tensor.empty(enc.gpu, [...gu.shape.slice(0, -1), F], "f32", "swiglu.h"); // [N, F]
  enc.dispatch({
    kernel: FWD,
    constants: { WG },
    bindings: [gu, h],
    params: [N, F],
    workgroups: grid(enc.gpu, N, F),
  });
  return h;
}

/**
 * Backward: `dgate = dh·up·σ(g)(1 + g(1 − σ(g)))`, `dup = dh·silu(g)`, packed like gu.
 *
 * @param enc The encoder to record into.
 * @param dh Gradient of the output `[..., F]`.
 * @param gu The forward's input `[..., 2F]`.
 * @returns `dgu` with gu's shape, a new pooled tensor.
 * @throws {RangeError} naming the shapes when dh does not match gu.
 *
 * @example Back through the activation
 * ```ts ignore
 * const dgu = swigluBackward(enc, dh, gu);
 * ```
 */
export function swigluBackward(enc: Encoder, dh: Tensor, gu: Tensor): Tensor {
  const [N, F] = halves("swigluBackward", gu);
  if (dh.size !== N * F || dh.shape[dh.shape.length - 1] !== F) {
    throw new RangeError(
      `swigluBackward: dh [${dh.shape}] does not match gu [${gu.shape}] (want [${N}, ${F}])`,
    );
  }
  const dgu = Tensor.empty(enc.gpu, gu.shape, "f32", "swiglu.dgu"); // [N, 2F]
  enc.dispatch({
    kernel: BWD,
    constants: { WG },
    bindings: [dh, gu, dgu],
    params: [N, F],
    workgroups: grid(enc.gpu, N, F),
  });
  return dgu;
}
