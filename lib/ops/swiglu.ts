/**
 * SwiGLU activation with the reference's split (models/layers.py `SwiGLU`): `gu [N, 2F] =
 * x · W_guᵀ` holds gate in its first half and up in its second; `h = silu(gate) ⊙ up`. The
 * projections around it are matmuls; this is only the elementwise middle. Under float16 mixed
 * precision `gu` and `h` may be stored in f16 (they are saved for the backward, which only reads
 * `gu` here and feeds `h` to a matmul); the arithmetic is f32 either way.
 *
 * @module
 */
import fwdSrc from "../../kernels/swiglu.wgsl" with { type: "text" };
import bwdSrc from "../../kernels/swiglu_bwd.wgsl" with { type: "text" };
import type { Encoder } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { composeKernel, type FloatType, typeAliases } from "../gpu/wgsl.ts";
import { cast, requireShaderF16 } from "./cast.ts";

const WG = 64;

/** Workgroups of the 2-D grid: 4 columns per invocation in x, rows in y folded into z. */
function grid(gpu: Encoder["gpu"], N: number, F: number): [number, number, number] {
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  const z = Math.ceil(N / limit);
  return [Math.ceil(F / 4 / WG), Math.ceil(N / z), z];
}

/** The element type of a float tensor (f32 or f16), checking the device can read f16. */
function floatType(enc: Encoder, op: string, t: Tensor): FloatType {
  if (t.dtype === "f16") {
    requireShaderF16(enc.gpu, op);
    return "f16";
  }
  if (t.dtype !== "f32") throw new RangeError(`${op}: ${t.label} is ${t.dtype}, not f32 or f16`);
  return "f32";
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
  const TG = floatType(enc, "swigluBackward", gu);
  const dgu = Tensor.empty(enc.gpu, gu.shape, "f32", "swiglu.dgu"); // [N, 2F]
  enc.dispatch({
    kernel: composeKernel({ name: "swiglu_bwd", source: bwdSrc }, "swiglu_bwd", [
      typeAliases({ TG }),
    ]),
    constants: { WG },
    bindings: [dh, gu, dgu],
    params: [N, F],
    workgroups: grid(enc.gpu, N, F),
  });
  return dgu;
}

/**
 * The MLP's middle under the run's precision, the one place that picks what SwiGLU stores: with
 * `half` (float16 mixed precision) `gu` is narrowed to f16 (the f32 matmul output is released)
 * and `h` made in f16, so the activations saved for the backward take half the bytes; the
 * matmul reading `h` rounds it to f16 anyway, so only `gu`'s rounding changes the numbers.
 *
 * @param enc The encoder to record into.
 * @param gu The gate/up projection `[..., 2F]` in f32 (taken over: released when narrowed).
 * @param half float16 mixed precision.
 * @returns `gu` (f16 under `half`) and `h = silu(gate)·up`, both the caller's to release.
 *
 * @example
 * ```ts ignore
 * const { gu, h } = swigluStored(enc, linearForward(enc, x, W_gu), half);
 * ```
 */
export function swigluStored(enc: Encoder, gu: Tensor, half = false): { gu: Tensor; h: Tensor } {
  if (!half) return { gu, h: swigluForward(enc, gu) };
  const gu16 = cast(enc, gu, "f16");
  gu.release();
  return { gu: gu16, h: swigluForward(enc, gu16, "f16") };
}
