/**
 * WGSL has no `#include`, so kernels that share code are composed here from named pieces (files in
 * kernels/) when the pipeline is built: each shared piece exists once, and the composed kernel's
 * `file` (the pipeline cache key and the label errors quote) names every piece it contains.
 *
 * @module
 */
import rowReduceSrc from "../../kernels/row_reduce.wgsl" with { type: "text" };
import type { Kernel } from "./pipelines.ts";

/** A named piece of WGSL source. */
export interface WgslPart {
  /** Short name, part of the composed kernel's key. */
  name: string;
  /** The source text. */
  source: string;
}

/**
 * Row geometry and a cooperative row sum for kernels that reduce rows of `[N, D]` with TPR threads
 * per row (`override WG`, `TPR`; `row_index`, `row_sum`): kernels/row_reduce.wgsl.
 */
export const ROW_REDUCE: WgslPart = { name: "row_reduce", source: rowReduceSrc };

/**
 * Joins `parts` (in order; `enable` directives must come first) with the main source into one
 * kernel whose `file` is `main+part+...`, so each composition compiles and caches separately.
 *
 * @param main The kernel's own file (name and source).
 * @param entry The entry point.
 * @param parts Shared pieces the main source uses, prepended.
 * @returns A {@linkcode Kernel} for `Encoder.dispatch`.
 *
 * @example A row-reducing kernel
 * ```ts ignore
 * const FWD = composeKernel({ name: "rmsnorm", source }, "rmsnorm_fwd", [ROW_REDUCE]);
 * ```
 */
export function composeKernel(main: WgslPart, entry: string, parts: readonly WgslPart[]): Kernel {
  return {
    file: [main.name, ...parts.map((p) => p.name)].join("+"),
    source: [...parts.map((p) => p.source), main.source].join("\n"),
    entry,
  };
}

/** The float element types kernels can be specialised for. */
export type FloatType = "f32" | "f16";

/**
 * `alias NAME = type;` for each entry (sorted by name), preceded by `enable f16;` when any is
 * f16 (the directive must open the module, so this part goes first in a composition).
 *
 * @param types Alias name → element type, e.g. `{ TA: "f16", TB: "f16", TC: "f32" }`.
 * @returns A part named like `TA=f16,TB=f16,TC=f32`.
 *
 * @example
 * ```ts
 * import { typeAliases } from "./wgsl.ts";
 * const part = typeAliases({ SRC: "f32", DST: "f16" });
 * if (!part.source.startsWith("enable f16;")) throw new Error();
 * ```
 */
export function typeAliases(types: Record<string, FloatType>): WgslPart {
  const names = Object.keys(types).sort();
  const f16 = names.some((n) => types[n] === "f16");
  return {
    name: names.map((n) => `${n}=${types[n]}`).join(","),
    source: (f16 ? "enable f16;\n" : "") + names.map((n) => `alias ${n} = ${types[n]};`).join("\n"),
  };
}
