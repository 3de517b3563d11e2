/**
 * Reductions: per-row sums and means of `[R, C]` tensors and the sum of a whole tensor (losses,
 * metrics). Short rows use one invocation per row; longer rows one workgroup per row with a tree
 * in workgroup memory. `sumAll` sums fixed-size pieces, then the partial sums, until one value
 * is left. Each binding stays within the device's storage-binding limit (rows are chunked).
 *
 * @module
 */
import src from "../../kernels/reduce.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";
import { bindRange } from "./matmul_plan.ts";

const GROUP = { file: "reduce", source: src, entry: "reduce_rows" };
const SERIAL = { file: "reduce", source: src, entry: "reduce_rows_serial" };
/** Elements per partial sum in {@linkcode sumAll} (fewer when bindings are smaller). */
const PIECE = 4096;
const SERIAL_WG = 64;

/** Which row kernel to use: one invocation per row, or one workgroup of `wg` per row. */
export type ReduceKernel = { serial: true } | { serial: false; wg: 64 | 256 };

/** Options of the row reductions (tests force each kernel; callers leave it out). */
export interface ReduceOptions {
  /** Kernel choice (default: serial up to 64 columns, else a workgroup of 64 or 256). */
  kernel?: ReduceKernel;
  /** Largest storage binding in bytes (default: the device limit). */
  maxBindingBytes?: number;
}

function pick(cols: number, k?: ReduceKernel): ReduceKernel {
  if (k) return k;
  if (cols <= 64) return { serial: true };
  return { serial: false, wg: cols > 4096 ? 256 : 64 };
}

/**
 * Records `out[outOff + r] = scale * Σ x[r*cols ..< min((r+1)*cols, n)]` for `r < rows`,
 * in chunks of rows whose bindings fit.
 */
function reduceRows(
  enc: Encoder,
  x: Tensor,
  rows: number,
  cols: number,
  n: number,
  scale: number,
  out: Tensor,
  opts: ReduceOptions,
): void {
  const gpu = enc.gpu;
  const k = pick(cols, opts.kernel);
  const limit = Math.floor(
    ((opts.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize) -
      gpu.limits.minStorageBufferOffsetAlignment) / 4,
  );
  const perChunk = Math.floor(limit / Math.max(1, cols));
  if (perChunk < 1) {
    throw new RangeError(`reduce: rows of ${cols} elements exceed one binding (${limit} elements)`);
  }
  for (let r0 = 0; r0 < rows; r0 += perChunk) {
    const rc = Math.min(perChunk, rows - r0);
    const first = r0 * cols, count = Math.min(rc * cols, n - first);
    const xs = bindRange(gpu, x, first, count), os = bindRange(gpu, out, r0, rc);
    enc.dispatch({
      kernel: k.serial ? SERIAL : GROUP,
      constants: { WG: k.serial ? SERIAL_WG : k.wg },
      bindings: [xs.view, os.view],
      params: [rc, cols, count, xs.off, os.off, f32(scale)],
      workgroups: k.serial ? grid1d(gpu, rc, SERIAL_WG) : grid1d(gpu, rc, 1),
    });
  }
}

function rowShape(op: string, x: Tensor, out?: Tensor): { R: number; C: number; shape: number[] } {
  if (x.dtype !== "f32") throw new RangeError(`${op}: ${x.label} is ${x.dtype}, not f32`);
  const C = x.shape.length ? x.shape[x.shape.length - 1] : 1;
  const shape = x.shape.length >= 2 ? x.shape.slice(0, -1) : [1];
  const R = shape.reduce((a, b) => a * b, 1);
  if (out && out.size !== R) {
    throw new RangeError(
      `${op}: out ${out.label} [${out.shape.join(", ")}] should hold ${R} values for x [${
        x.shape.join(", ")
      }]`,
    );
  }
  return { R, C, shape };
}

/**
 * Sum of each row: `out[r] = Σ_c x[r, c]`.
 *
 * @param enc The encoder.
 * @param x `[R, C]` (leading dimensions of a higher-rank tensor count as rows).
 * @param out Optional result with R elements.
 * @param opts Kernel and binding overrides (tests).
 * @returns `[R]` (`x.shape` without its last dimension): `out`, or a new pooled tensor.
 * @throws {RangeError} naming `sumRows` when `out` has the wrong size or `x` is not f32.
 *
 * @example
 * ```ts ignore
 * const s = sumRows(enc, upload(gpu, [1, 2, 3, 4, 5, 6], [2, 3])); // [6, 15]
 * ```
 */
export function sumRows(enc: Encoder, x: Tensor, out?: Tensor, opts: ReduceOptions = {}): Tensor {
  const { R, C, shape } = rowShape("sumRows", x, out);
  const y = out ?? Tensor.empty(enc.gpu, shape, "f32", "sum_rows");
  if (R > 0) reduceRows(enc, x, R, C, R * C, 1, y, opts);
  return y;
}

/**
 * Mean of each row: `out[r] = Σ_c x[r, c] / C`.
 *
 * @param enc The encoder.
 * @param x `[R, C]`.
 * @param out Optional result with R elements.
 * @param opts Kernel and binding overrides (tests).
 * @returns `[R]`: `out`, or a new pooled tensor.
 * @throws {RangeError} naming `meanRows` when `out` has the wrong size or `x` is not f32.
 *
 * @example
 * ```ts ignore
 * const m = meanRows(enc, upload(gpu, [1, 2, 3, 4, 5, 6], [2, 3])); // [2, 5]
 * ```
 */
export function meanRows(enc: Encoder, x: Tensor, out?: Tensor, opts: ReduceOptions = {}): Tensor {
  const { R, C, shape } = rowShape("meanRows", x, out);
  const y = out ?? Tensor.empty(enc.gpu, shape, "f32", "mean_rows");
  if (R > 0) reduceRows(enc, x, R, C, R * C, 1 / C, y, opts);
  return y;
}

/**
 * Sum of every element: pieces of 4096 elements, then their partial sums, down to one value.
 *
 * @param enc The encoder.
 * @param x Any f32 tensor.
 * @param out Optional `[1]` result.
 * @param opts Binding override (tests).
 * @returns `[1]`: `out`, or a new pooled tensor.
 * @throws {RangeError} naming `sumAll` when `out` is not one element or `x` is not f32.
 *
 * @example
 * ```ts ignore
 * const total = sumAll(enc, upload(gpu, [1, 2, 3, 4], [2, 2])); // [10]
 * ```
 */
export function sumAll(
  enc: Encoder,
  x: Tensor,
  out?: Tensor,
  opts: Pick<ReduceOptions, "maxBindingBytes"> = {},
): Tensor {
  if (x.dtype !== "f32") throw new RangeError(`sumAll: ${x.label} is ${x.dtype}, not f32`);
  if (out && out.size !== 1) {
    throw new RangeError(`sumAll: out ${out.label} [${out.shape.join(", ")}] should be [1]`);
  }
  const y = out ?? Tensor.empty(enc.gpu, [1], "f32", "sum_all");
  const kernel: ReduceKernel = { serial: false, wg: 256 };
  const gpu = enc.gpu;
  const limit = (opts.maxBindingBytes ?? gpu.limits.maxStorageBufferBindingSize) -
    gpu.limits.minStorageBufferOffsetAlignment;
  const piece = Math.min(PIECE, Math.floor(limit / 4));
  let cur = x, n = x.size;
  if (n === 0) {
    reduceRows(enc, x, 1, 1, 0, 1, y, { ...opts, kernel });
    return y;
  }
  while (n > piece) {
    const pieces = Math.ceil(n / piece);
    const partial = Tensor.empty(enc.gpu, [pieces], "f32", "sum_all_partial");
    reduceRows(enc, cur, pieces, piece, n, 1, partial, { ...opts, kernel });
    if (cur !== x) enc.releaseAfterSubmit(cur);
    cur = partial;
    n = pieces;
  }
  reduceRows(enc, cur, 1, n, n, 1, y, { ...opts, kernel });
  if (cur !== x) enc.releaseAfterSubmit(cur);
  return y;
}
