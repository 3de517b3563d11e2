/**
 * Matrix products: `matmul` (NN/NT/TN, batched, alpha/beta) and nn.Linear without bias
 * (`linearForward`, `linearBackward`). One strided kernel family serves every layout; the variant
 * (texture inputs on software adapters, shared-memory tiles on real GPUs, plain register-blocked
 * buffers as the portable fallback) comes from {@linkcode matmulVariant}. Problems whose operands
 * exceed one storage binding (128 MiB on Mesa) or a texture's extent are cut into chunks of rows,
 * columns and k (later k chunks accumulate with beta = 1).
 *
 * @module
 */
import blockedSrc from "../../kernels/matmul.wgsl" with { type: "text" };
import naiveSrc from "../../kernels/matmul_naive.wgsl" with { type: "text" };
import tiledSrc from "../../kernels/matmul_tiled.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import type { Kernel } from "../gpu/pipelines.ts";
import { Tensor } from "../gpu/tensor.ts";
import { type MatmulVariant, matmulVariant } from "../gpu/variants.ts";
import {
  type Chunk,
  chunkBindings,
  forEachChunk,
  type MatmulProblem,
  planChunks,
} from "./matmul_plan.ts";
import { textureMatmul } from "./matmul_texture.ts";
import { requireShaderF16 } from "./cast.ts";
import { composeKernel, type FloatType, typeAliases } from "../gpu/wgsl.ts";

function floatType(t: Tensor): FloatType {
  return t.dtype === "f16" ? "f16" : "f32";
}

/** Options of {@linkcode matmul}. */
export interface MatmulOptions {
  /** Use aᵀ: `a` is stored `[K, M]`. @default false */
  transA?: boolean;
  /** Use bᵀ: `b` is stored `[N, K]`. @default false */
  transB?: boolean;
  /** Scale of the product. @default 1 */
  alpha?: number;
  /** Scale of the existing `out` (0 never reads it). @default 0 */
  beta?: number;
  /** Result tensor `[M, N]` or `[Bt, M, N]`; must not overlap `a` or `b`. */
  out?: Tensor;
  /** Kernel to use instead of the adapter's choice (tests and benchmarks; `naive` is the baseline). */
  variant?: MatmulVariant | "naive";
  /** Largest storage binding in bytes (default: the device limit; tests force chunking with it). */
  maxBindingBytes?: number;
  /**
   * Round every operand to float16 as it is loaded (sums stay f32): mixed precision's f16
   * operands without f16 copies. Needs shader-f16 (the texture variant rounds while packing its
   * textures).
   */
  round16?: boolean;
}

interface BufferKernel {
  kernel: Kernel;
  rowsPerGroup: number;
  colsPerGroup: number;
}

const BUFFER_KERNELS: Record<"buffer" | "tiled" | "naive", BufferKernel> = {
  buffer: {
    kernel: { file: "matmul", source: blockedSrc, entry: "matmul_blocked" },
    rowsPerGroup: 64,
    colsPerGroup: 128,
  },
  tiled: {
    kernel: { file: "matmul_tiled", source: tiledSrc, entry: "matmul_tiled" },
    rowsPerGroup: 128,
    colsPerGroup: 128,
  },
  naive: {
    kernel: { file: "matmul_naive", source: naiveSrc, entry: "matmul_naive" },
    rowsPerGroup: 16,
    colsPerGroup: 16,
  },
};

const fmt = (t: Tensor): string => `[${t.shape.join(", ")}]`;

/**
 * `out = alpha * op(a) · op(b) + beta * out` where op transposes when asked.
 *
 * `a` is `[M, K]` (transA: `[K, M]`), `b` is `[K, N]` (transB: `[N, K]`); either may carry a
 * leading batch dimension `[Bt, ...]` (a 2-D operand is then shared by every batch entry) and the
 * result is `[Bt, M, N]`.
 *
 * @param enc The encoder to record into.
 * @param a Left operand.
 * @param b Right operand.
 * @param opts Transposes, scales, an output tensor, and test/benchmark overrides.
 * @returns `opts.out`, or a new pooled tensor (the caller releases it).
 * @throws {RangeError} naming `matmul` and the shapes when ranks, inner dimensions, batch sizes
 *   or `out` disagree, or when `beta != 0` without `out`.
 *
 * @example Product of two small matrices
 * ```ts ignore
 * const enc = new Encoder(gpu);
 * const y = matmul(enc, upload(gpu, [1, 2, 3, 4], [2, 2]), upload(gpu, [1, 0, 0, 1], [2, 2]));
 * enc.submit();
 * assertEquals([...await readTensor(gpu, y)], [1, 2, 3, 4]);
 * ```
 */
export function matmul(enc: Encoder, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false, alpha = 1, beta = 0 } = opts;
  const p = describe(a, b, transA, transB);
  const shape = p.batched ? [p.Bt, p.M, p.N] : [p.M, p.N];
  if (opts.out) {
    const o = opts.out;
    if (o.shape.length !== shape.length || o.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(
        `matmul: out ${o.label} ${fmt(o)} should be [${shape.join(", ")}] for a ${fmt(a)}${
          transA ? "ᵀ" : ""
        } · b ${fmt(b)}${transB ? "ᵀ" : ""}`,
      );
    }
  } else if (beta !== 0) {
    throw new RangeError(`matmul: beta = ${beta} needs an out tensor to accumulate into`);
  }
  for (const t of [a, b, opts.out]) {
    if (t && t.dtype !== "f32" && t.dtype !== "f16") {
      throw new RangeError(`matmul: ${t.label} is ${t.dtype}, not f32 or f16`);
    }
  }
  const out = opts.out ?? Tensor.empty(enc.gpu, shape, "f32", "matmul");
  const f16 = a.dtype === "f16" || b.dtype === "f16" || out.dtype === "f16" ||
    (opts.round16 ?? false);
  if (f16) requireShaderF16(enc.gpu, "matmul");
  const prob: MatmulProblem = {
    ...p,
    a,
    b,
    c: out,
    ldc: p.N,
    bsC: p.M * p.N,
    alpha,
    beta,
    transA,
    transB,
  };
  if (p.M === 0 || p.N === 0 || p.Bt === 0) return out;
  const variant = opts.variant ?? matmulVariant(enc.gpu);
  const limit = opts.maxBindingBytes ?? enc.gpu.limits.maxStorageBufferBindingSize;
  // Textures hold one f32 matrix each, so batched products (attention-sized) use the buffer
  // kernel; f16 (or rounded) operands are widened into the f32 textures by the pack kernel, and
  // an f16 output is rounded from the f32 sum as it is stored. The naive kernel is f32 only.
  if (variant === "texture" && p.Bt === 1 && p.K > 0) {
    textureMatmul(enc, prob, limit, opts.round16 ?? false);
  } else {
    const which = variant === "texture" || (f16 && variant === "naive") ? "buffer" : variant;
    bufferMatmul(enc, prob, which, limit, opts.round16 ?? false);
  }
  return out;
}

function describe(a: Tensor, b: Tensor, transA: boolean, transB: boolean) {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || ra > 3 || rb < 2 || rb > 3) {
    throw new RangeError(`matmul: a ${fmt(a)} and b ${fmt(b)} must be 2-D or 3-D (batched)`);
  }
  const [ar, ac] = a.shape.slice(-2), [br, bc] = b.shape.slice(-2);
  const [M, Ka] = transA ? [ac, ar] : [ar, ac];
  const [Kb, N] = transB ? [bc, br] : [br, bc];
  if (Ka !== Kb) {
    throw new RangeError(
      `matmul: inner dimensions differ: a ${fmt(a)}${transA ? " (transposed)" : ""} has K=${Ka}, ` +
        `b ${fmt(b)}${transB ? " (transposed)" : ""} has K=${Kb}`,
    );
  }
  const Ba = ra === 3 ? a.shape[0] : 1, Bb = rb === 3 ? b.shape[0] : 1;
  if (ra === 3 && rb === 3 && Ba !== Bb) {
    throw new RangeError(`matmul: batch sizes differ: a ${fmt(a)} and b ${fmt(b)}`);
  }
  return {
    batched: ra === 3 || rb === 3,
    Bt: Math.max(Ba, Bb),
    M,
    N,
    K: Ka,
    // A[z, m, k] = a[z*bsA + m*sAm + k*sAk]; a 2-D operand is shared by every batch entry.
    sAm: transA ? 1 : Ka,
    sAk: transA ? M : 1,
    bsA: ra === 3 ? M * Ka : 0,
    sBk: transB ? 1 : N,
    sBn: transB ? Kb : 1,
    bsB: rb === 3 ? Kb * N : 0,
  };
}

function bufferMatmul(
  enc: Encoder,
  p: MatmulProblem,
  which: "buffer" | "tiled" | "naive",
  limitBytes: number,
  round16: boolean,
): void {
  const bk = BUFFER_KERNELS[which];
  const maxGroups = enc.gpu.limits.maxComputeWorkgroupsPerDimension;
  const chunk = planChunks(p, limitBytes, enc.gpu, (c: Chunk) => {
    if (c.bc > maxGroups) return "b";
    if (Math.ceil(c.mc / bk.rowsPerGroup) > maxGroups) return "m";
    if (Math.ceil(c.nc / bk.colsPerGroup) > maxGroups) return "n";
    return undefined;
  });
  const constants = which === "tiled" ? { TRANS_A: p.transA, TRANS_B: p.transB } : undefined;
  const types = {
    TA: floatType(p.a),
    TB: floatType(p.b),
    TC: floatType(p.c),
    TR: round16 ? "f16" as const : "f32" as const,
  };
  const kernel = which === "naive"
    ? bk.kernel
    : composeKernel({ name: bk.kernel.file, source: bk.kernel.source }, bk.kernel.entry, [
      typeAliases(types),
    ]);
  forEachChunk(p, chunk, (c, o, beta) => {
    const s = chunkBindings(enc.gpu, p, c, o);
    enc.dispatch({
      kernel,
      constants,
      bindings: [s.a.view, s.b.view, s.c.view],
      params: [
        ...[c.mc, c.nc, c.kc, 0],
        ...[s.a.off, p.sAm, p.sAk, p.bsA],
        ...[s.b.off, p.sBk, p.sBn, p.bsB],
        ...[s.c.off, p.ldc, p.bsC, 0],
        f32(p.alpha),
        f32(beta),
      ],
      workgroups: [Math.ceil(c.nc / bk.colsPerGroup), Math.ceil(c.mc / bk.rowsPerGroup), c.bc],
    });
  });
}

/**
 * `y = x · Wᵀ` (nn.Linear without bias, as CastedLinear in the reference's models/layers.py).
 *
 * @param enc The encoder.
 * @param x Input `[..., in]` (leading dimensions are flattened into rows N).
 * @param W Weight `[out, in]`.
 * @param out Optional result `[..., out]`.
 * @param opts `round16`: operands rounded to float16 on load (mixed precision); `dtype`: the
 *   element type of a new result (default f32; f16 rounds the f32 sums as they are stored).
 * @returns `y` `[..., out]`: `out`, or a new pooled tensor.
 * @throws {RangeError} naming `linearForward` and the shapes when `in` differs.
 *
 * @example
 * ```ts ignore
 * const y = linearForward(enc, x, W); // x [N, 512], W [1536, 512] -> y [N, 1536]
 * ```
 */
export function linearForward(
  enc: Encoder,
  x: Tensor,
  W: Tensor,
  out?: Tensor,
  opts: { round16?: boolean; dtype?: FloatType } = {},
): Tensor {
  const { rows, inF, outF } = linearShapes("linearForward", x, W);
  const yShape = [...x.shape.slice(0, -1), outF];
  const y = out ?? Tensor.empty(enc.gpu, yShape, opts.dtype ?? "f32", "linear");
  if (y.size !== rows * outF) {
    throw new RangeError(`linearForward: out ${fmt(y)} should be [${yShape.join(", ")}]`);
  }
  matmul(enc, x.reshape([rows, inF]), W, {
    transB: true,
    out: y.reshape([rows, outF]),
    round16: opts.round16,
  });
  return y;
}

/**
 * Backward of {@linkcode linearForward}: `dW += dyᵀ · x` (accumulates, so gradients of a weight
 * used several times add up) and `dx = dy · W`.
 *
 * @param enc The encoder.
 * @param dy Gradient of `y`, `[..., out]`.
 * @param x The forward input, `[..., in]`.
 * @param W The weight, `[out, in]`.
 * @param dW Weight gradient `[out, in]`, accumulated into.
 * @param opts `needDx: false` skips `dx` (first layer); `round16` rounds operands to float16 on
 *   load (mixed precision); `dxInto` adds `dx` into that tensor
 *   (x's shape) instead of allocating one: the residual branch's gradient sum, fused into the
 *   matmul (beta = 1) rather than a separate add.
 * @returns `dx` `[..., in]` (`dxInto`, or a new pooled tensor), or undefined when `needDx` is
 *   false.
 * @throws {RangeError} naming `linearBackward` and the shapes when they disagree.
 *
 * @example
 * ```ts ignore
 * const dx = linearBackward(enc, dy, x, W, dW); // dW += dyᵀx, dx = dy·W
 * ```
 */
export function linearBackward(
  enc: Encoder,
  dy: Tensor,
  x: Tensor,
  W: Tensor,
  dW: Tensor,
  opts: { needDx?: boolean; dxInto?: Tensor; round16?: boolean } = {},
): Tensor | undefined {
  const { rows, inF, outF } = linearShapes("linearBackward", x, W);
  if (dy.size !== rows * outF || dy.shape[dy.shape.length - 1] !== outF) {
    throw new RangeError(
      `linearBackward: dy ${fmt(dy)} should be [${[...x.shape.slice(0, -1), outF].join(", ")}] ` +
        `for x ${fmt(x)} and W ${fmt(W)}`,
    );
  }
  if (dW.shape.length !== 2 || dW.shape[0] !== outF || dW.shape[1] !== inF) {
    throw new RangeError(`linearBackward: dW ${fmt(dW)} should be W's shape ${fmt(W)}`);
  }
  const dy2 = dy.reshape([rows, outF]);
  matmul(enc, dy2, x.reshape([rows, inF]), {
    transA: true,
    beta: 1,
    out: dW,
    round16: opts.round16,
  });
  if (opts.needDx === false) return undefined;
  if (opts.dxInto && opts.dxInto.size !== x.size) {
    throw new RangeError(`linearBackward: dxInto ${fmt(opts.dxInto)} should be x's ${fmt(x)}`);
  }
  const dx = opts.dxInto ?? Tensor.empty(enc.gpu, x.shape, "f32", "linear_dx");
  matmul(enc, dy2, W, {
    out: dx.reshape([rows, inF]),
    beta: opts.dxInto ? 1 : 0,
    round16: opts.round16,
  });
  return dx;
}

function linearShapes(op: string, x: Tensor, W: Tensor) {
  if (W.shape.length !== 2 || x.shape.length < 1) {
    throw new RangeError(`${op}: W ${fmt(W)} must be [out, in] and x ${fmt(x)} [..., in]`);
  }
  const [outF, inF] = W.shape;
  if (x.shape[x.shape.length - 1] !== inF) {
    throw new RangeError(
      `${op}: x ${fmt(x)} and W ${fmt(W)} disagree on in (${
        x.shape[x.shape.length - 1]
      } vs ${inF})`,
    );
  }
  return { rows: x.size / inF, inF, outF };
}
