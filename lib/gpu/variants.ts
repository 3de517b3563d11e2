/**
 * Picks kernel variants per adapter, once: what is fastest on Mesa's software adapters
 * (llvmpipe/lavapipe, where storage-buffer loads are scalarised and textures load fast) differs
 * from what is fastest on a real GPU (shared-memory tiling). Every variant computes the same
 * result and passes the same parity tests; this module only chooses.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import type { Gpu } from "./device.ts";

/** The matmul kernel families: texture inputs, storage buffers only, shared-memory tiles. */
export type MatmulVariant = "texture" | "buffer" | "tiled";

/** All matmul variants, in the order benchmarks and tests list them. */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ["texture", "buffer", "tiled"];

const picked = new WeakMap<Gpu, MatmulVariant>();

/** True for software adapters (Mesa llvmpipe/lavapipe, SwiftShader, WARP). */
export function isSoftwareAdapter(gpu: Gpu): boolean {
  return gpu.isFallbackAdapter ||
    /llvmpipe|lavapipe|softpipe|swiftshader|warp/i.test(gpu.adapter.info.description ?? "");
}

function envOverride(): string | undefined {
  try {
    return Deno.env.get("HRM_MATMUL") || undefined;
  } catch {
    // No env permission (e.g. a sandboxed library user): the adapter decides.
    return undefined;
  }
}

/**
 * The matmul variant for this device: `HRM_MATMUL` (texture | buffer | tiled) when set, else
 * `texture` on software adapters and `tiled` on real GPUs (decided once per device).
 *
 * @param gpu The device.
 * @returns The variant {@linkcode matmul} uses by default.
 * @throws {HrmError} when `HRM_MATMUL` names no variant.
 *
 * @example Default choice
 * ```ts ignore
 * import { requestGpu } from "./device.ts";
 * import { matmulVariant } from "./variants.ts";
 * const gpu = await requestGpu();
 * console.log(matmulVariant(gpu)); // "texture" on lavapipe, "tiled" on a discrete GPU
 * ```
 */
export function matmulVariant(gpu: Gpu): MatmulVariant {
  const env = envOverride();
  if (env !== undefined) return parseMatmulVariant(env);
  let v = picked.get(gpu);
  if (!v) {
    v = isSoftwareAdapter(gpu) ? "texture" : "tiled";
    picked.set(gpu, v);
  }
  return v;
}

/**
 * Checks a variant name (from `HRM_MATMUL` or a flag).
 *
 * @param name The name.
 * @returns The variant.
 * @throws {HrmError} naming the accepted values.
 *
 * @example
 * ```ts
 * import { parseMatmulVariant } from "./variants.ts";
 * if (parseMatmulVariant("buffer") !== "buffer") throw new Error();
 * ```
 */
export function parseMatmulVariant(name: string): MatmulVariant {
  if ((MATMUL_VARIANTS as readonly string[]).includes(name)) return name as MatmulVariant;
  throw new HrmError(
    undefined,
    `HRM_MATMUL=${name} names no matmul variant: expected ${MATMUL_VARIANTS.join(", ")}`,
  );
}

/** The reference's `arch.forward_dtype` values. */
export type ForwardDtypeName = "bfloat16" | "float16" | "float32";

/** The precision hrm computes a model's matmuls in. */
export type ComputeDtype = "float32" | "float16";

/**
 * What `arch.forward_dtype` runs as on this device. WebGPU has no bfloat16: `float16` runs the
 * float16 mixed-precision path (f16 matmul operands, f32 sums, f32 master weights, optimizer,
 * norms, softmax, losses and halting logits) wherever the adapter has `shader-f16`;
 * `bfloat16` (the reference's default) maps to that path on hardware adapters with
 * `shader-f16`, and to float32 on software adapters, where f16 is slower (its texture matmul
 * operands go through a rounding pack) and memory (the host's) is seldom the limit; `float32`
 * (and an absent dtype) is float32 everywhere.
 *
 * @param gpu The device.
 * @param forward The configured `arch.forward_dtype` (absent: float32).
 * @returns The dtype and, when it is not the configured one, a one-line note saying why.
 * @throws {HrmError} for `float16` on an adapter without `shader-f16`.
 *
 * @example
 * ```ts ignore
 * const { dtype, note } = computeDtype(gpu, "bfloat16"); // "float16" on a discrete GPU
 * ```
 */
export function computeDtype(
  gpu: Gpu,
  forward: ForwardDtypeName | undefined,
): { dtype: ComputeDtype; note?: string } {
  const f16 = gpu.features.has("shader-f16");
  if (forward === "float16") {
    if (!f16) {
      throw new HrmError(
        undefined,
        `arch.forward_dtype=float16 needs the adapter feature shader-f16, which ` +
          `${gpu.adapter.info.description || "this adapter"} lacks: use arch.forward_dtype=float32`,
      );
    }
    return { dtype: "float16" };
  }
  if (forward !== "bfloat16") return { dtype: "float32" };
  if (!f16) {
    return {
      dtype: "float32",
      note: "arch.forward_dtype bfloat16 runs as float32: WebGPU has no bfloat16 and this " +
        "adapter has no shader-f16",
    };
  }
  if (isSoftwareAdapter(gpu)) {
    return {
      dtype: "float32",
      note: "arch.forward_dtype bfloat16 runs as float32 on this software adapter (WebGPU has " +
        "no bfloat16; float16 would be slower here); arch.forward_dtype=float16 forces float16",
    };
  }
  return {
    dtype: "float16",
    note: "arch.forward_dtype bfloat16 runs as float16 mixed precision (WebGPU has no bfloat16)",
  };
}
