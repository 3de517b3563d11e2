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
