/**
 * SwiGLU activation with the reference's split (models/layers.py `SwiGLU`): `gu [N, 2F] =
 * x · W_guᵀ` holds gate in its first half and up in its second; `h = silu(gate) ⊙ up`. The
 * projections around it are matmuls; this is only the elementwise middle. Under float16 mixed
 * precision `gu`, `h` and `dgu` are stored in f16 (gu and h are saved for the backward, which
 * only reads `gu` here and feeds `h` and `dgu` to matmuls); the arithmetic is f32 either way.
 *
 * @module
 */
import fwdSrc from "../../kernels/swiglu.wgsl" with { type: "text" };
import bwdSrc from "../../kernels/swiglu_bwd.wgsl" with { type: "text" };
import type { Encoder } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { composeKernel, type FloatType, typeAliases } from "../gpu/wgsl.ts";
import { floatType, requireShaderF16 } from "./cast.ts";

const WG = 64;

/** Workgroups of the 2-D grid: 4 columns per invocation in x, rows in y folded into z. */
function grid(gpu: Encoder["gpu"], N: number, F: number): [number, number, number] {
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  const z = Math.ceil(N / limit);
  return [Math.ceil(F / 4 / WG), Math.ceil(N / z), z];
}

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
 * @param gu Gate and up projections `[..., 2F]` (gate first), f32 or f16.
 * @param dtype The result's element type (f16: mixed precision's saved activation).
 * @returns `h [..., F]`, a new pooled tensor.
 * @throws {RangeError} when the last dimension is odd, or f16 without shader-f16.
 *
 * @example The MLP's middle
 * ```ts ignore
 * const h = swigluForward(enc, gu); // gu [N, 2F] -> h [N, F]
 * ```
 */
export function swigluForward(enc: Encoder, gu: Tensor, dtype: FloatType = "f32"): Tensor {
  const [N, F] = halves("swigluForward", gu);
  const TG = floatType(enc, "swigluForward", gu);
  if (dtype === "f16") requireShaderF16(enc.gpu, "swigluForward");
  const h = Tensor.empty(enc.gpu, [...gu.shape.slice(0, -1), F], dtype, "swiglu.h"); // [N, F]
  enc.dispatch({
    kernel: composeKernel({ name: "swiglu", source: fwdSrc }, "swiglu_fwd", [
      typeAliases({ TG, TH: dtype }),
    ]),
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
 * @param gu The forward's input `[..., 2F]`, f32 or f16.
 * @param dtype `dgu`'s element type (f16 under float16 mixed precision: its only readers are
 *   the gate/up projection's backward matmuls, which round it to f16 as they load it anyway).
 * @returns `dgu` with gu's shape, a new pooled tensor.
 * @throws {RangeError} naming the shapes when dh does not match gu, or f16 without shader-f16.
 *
 * @example Back through the activation
 * ```ts ignore
 * const dgu = swigluBackward(enc, dh, gu);
 * ```
 */
export function swigluBackward(
  enc: Encoder,
  dh: Tensor,
  gu: Tensor,
  dtype: FloatType = "f32",
): Tensor {
  const [N, F] = halves("swigluBackward", gu);
  if (dh.size !== N * F || dh.shape[dh.shape.length - 1] !== F) {
    throw new RangeError(
      `swigluBackward: dh [${dh.shape}] does not match gu [${gu.shape}] (want [${N}, ${F}])`,
    );
  }
  const TG = floatType(enc, "swigluBackward", gu);
  if (dtype === "f16") requireShaderF16(enc.gpu, "swigluBackward");
  const dgu = Tensor.empty(enc.gpu, gu.shape, dtype, "swiglu.dgu"); // [N, 2F]
  enc.dispatch({
    kernel: composeKernel({ name: "swiglu_bwd", source: bwdSrc }, "swiglu_bwd", [
      typeAliases({ TG, TD: dtype }),
    ]),
    constants: { WG },
    bindings: [dh, gu, dgu],
    params: [N, F],
    workgroups: grid(enc.gpu, N, F),
  });
  return dgu;
}
