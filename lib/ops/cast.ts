/**
 * Casts between f32 and f16 tensors: the float16 copies that mixed precision feeds to the matmuls
 * (a copy of the flat weights per step, activations between layers). Needs the adapter feature
 * `shader-f16` ({@linkcode hasShaderF16}).
 *
 * @module
 */
import src from "../../kernels/cast.wgsl" with { type: "text" };
import type { Gpu } from "../gpu/device.ts";
import type { Encoder } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";
import { composeKernel, type FloatType, typeAliases } from "../gpu/wgsl.ts";

const WG = 256;

/** Whether the device has `shader-f16` (f16 storage and arithmetic in WGSL). */
export function hasShaderF16(gpu: Gpu): boolean {
  return gpu.features.has("shader-f16");
}

/**
 * Throws unless the device can run f16 kernels.
 *
 * @param gpu The device.
 * @param op The op asking, for the message.
 * @throws {RangeError} naming the op and the missing feature.
 */
export function requireShaderF16(gpu: Gpu, op: string): void {
  if (!hasShaderF16(gpu)) {
    throw new RangeError(
      `${op}: float16 needs the adapter feature shader-f16, which ${gpu.adapter.info.description} ` +
        `lacks (use arch.forward_dtype=float32)`,
    );
  }
}

/**
 * The element type of a float tensor a kernel reads or writes through a type alias (f32, or f16
 * after checking the device has shader-f16).
 *
 * @param enc The encoder the kernel is recorded into.
 * @param op The op asking, for messages.
 * @param t The tensor.
 * @returns Its {@linkcode FloatType}.
 * @throws {RangeError} when t is not f32/f16, or f16 without shader-f16.
 */
export function floatType(enc: Encoder, op: string, t: Tensor): FloatType {
  if (t.dtype === "f16") {
    requireShaderF16(enc.gpu, op);
    return "f16";
  }
  if (t.dtype !== "f32") throw new RangeError(`${op}: ${t.label} is ${t.dtype}, not f32 or f16`);
  return "f32";
}

/**
 * `out = dtype(x)`, elementwise, f32 ↔ f16 (f32 → f16 rounds to nearest even; beyond ±65504
 * gives ±inf).
 *
 * @param enc The encoder to record into.
 * @param x An f32 or f16 tensor.
 * @param dtype The result's type.
 * @param out Optional result of x's size and type `dtype` (e.g. a persistent f16 weight copy).
 * @returns `out`, or a new pooled tensor of x's shape.
 * @throws {RangeError} when the types are not f32/f16, sizes differ or the device lacks f16.
 *
 * @example A float16 copy of the weights
 * ```ts ignore
 * const w16 = cast(enc, params.flat, "f16");
 * ```
 */
export function cast(enc: Encoder, x: Tensor, dtype: FloatType, out?: Tensor): Tensor {
  if (x.dtype !== "f32" && x.dtype !== "f16") {
    throw new RangeError(`cast: ${x.label} is ${x.dtype}; only f32 and f16 cast`);
  }
  requireShaderF16(enc.gpu, "cast");
  const y = out ?? Tensor.empty(enc.gpu, x.shape, dtype, `${x.label}.${dtype}`);
  if (y.size !== x.size || y.dtype !== dtype) {
    throw new RangeError(
      `cast: out ${y.label} [${y.shape}] ${y.dtype} should be [${x.shape}] ${dtype}`,
    );
  }
  const kernel = composeKernel({ name: "cast", source: src }, "cast_elements", [
    typeAliases({ SRC: x.dtype, DST: dtype }),
  ]);
  enc.dispatch({
    kernel,
    constants: { WG },
    bindings: [x, y],
    params: [x.size],
    workgroups: grid1d(enc.gpu, x.size, WG),
  });
  return y;
}

/**
 * An activation saved for the backward under the run's precision: with `half` (float16 mixed
 * precision) an f16 copy replaces `t` (released), halving what the step keeps; otherwise `t`.
 *
 * @param enc The encoder to record into.
 * @param t An f32 tensor the caller hands over.
 * @param half float16 mixed precision.
 * @returns The tensor to keep (the caller's to release).
 *
 * @example
 * ```ts ignore
 * saved.qkv = narrowSaved(enc, qkv, half); // later: const wide = widenSaved(enc, saved.qkv)
 * ```
 */
export function narrowSaved(enc: Encoder, t: Tensor, half = false): Tensor {
  if (!half || t.dtype === "f16") return t;
  const t16 = cast(enc, t, "f16");
  t.release();
  return t16;
}

/**
 * A saved activation widened to f32 for kernels that read f32, taking it over: an f16 `t` is
 * copied to a new pooled f32 tensor and released at once (so the two never both count towards the
 * step's peak beyond this point); an f32 `t` is returned as it is. Release the result.
 *
 * @param enc The encoder to record into.
 * @param t A tensor from {@linkcode narrowSaved}, the caller's.
 * @returns An f32 tensor of t's shape, the caller's to release.
 *
 * @example
 * ```ts ignore
 * const qkv = widenSaved(enc, saved.qkv); // saved.qkv is gone; release qkv when done
 * ```
 */
export function widenSaved(enc: Encoder, t: Tensor): Tensor {
  if (t.dtype !== "f16") return t;
  const wide = cast(enc, t, "f32");
  t.release();
  return wide;
}
