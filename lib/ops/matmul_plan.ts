/**
 * Cutting a matmul into chunks that fit the device: every storage binding must stay within
 * `maxStorageBufferBindingSize` (128 MiB on Mesa, while one HRM activation `[B·T, 3072]` is
 * ~760 MB), workgroup counts within 65535 per dimension, and textures within their extent. Chunks
 * cover batch entries, rows (m), columns (n) and k; later k chunks accumulate with beta = 1.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import { elementBytes, Tensor } from "../gpu/tensor.ts";

/** A strided matmul: `C[z, m, n] = alpha * Σ_k A[z, m, k] B[z, k, n] + beta * C[z, m, n]`. */
export interface MatmulProblem {
  /** Batch entries. */
  Bt: number;
  /** Rows of the result. */
  M: number;
  /** Columns of the result. */
  N: number;
  /** Inner dimension. */
  K: number;
  /** Left operand; `A[z, m, k] = a[z*bsA + m*sAm + k*sAk]` (elements from `a`'s start). */
  a: Tensor;
  /** Stride of m in `a`. */
  sAm: number;
  /** Stride of k in `a`. */
  sAk: number;
  /** Stride of the batch in `a` (0: shared). */
  bsA: number;
  /** Right operand; `B[z, k, n] = b[z*bsB + k*sBk + n*sBn]`. */
  b: Tensor;
  /** Stride of k in `b`. */
  sBk: number;
  /** Stride of n in `b`. */
  sBn: number;
  /** Stride of the batch in `b` (0: shared). */
  bsB: number;
  /** Result; `C[z, m, n] = c[z*bsC + m*ldc + n]`. */
  c: Tensor;
  /** Row stride of `c`. */
  ldc: number;
  /** Batch stride of `c`. */
  bsC: number;
  /** Scale of the product. */
  alpha: number;
  /** Scale of the old result. */
  beta: number;
  /** `a` is stored `[K, M]`. */
  transA: boolean;
  /** `b` is stored `[N, K]`. */
  transB: boolean;
}

/** Chunk extents: batch entries, rows, columns and k per chunk. */
export interface Chunk {
  /** Batch entries. */
  bc: number;
  /** Rows. */
  mc: number;
  /** Columns. */
  nc: number;
  /** Inner extent. */
  kc: number;
}

/** A dimension a constraint wants smaller. */
export type Dim = "b" | "m" | "n" | "k";

/** Chunks of m, n and k are multiples of this (a multiple of every kernel's tile). */
const GRAIN = 128;

/** A binding of part of a tensor: the bound view and the element offset inside it. */
export interface Bound {
  /** View starting at an aligned byte offset. */
  view: Tensor;
  /** Offset of the first wanted element inside `view`. */
  off: number;
}

function span(c: Chunk, bs: number, s1: number, n1: number, s2: number, n2: number): number {
  if (c.bc === 0 || n1 === 0 || n2 === 0) return 0;
  return (c.bc - 1) * bs + (n1 - 1) * s1 + (n2 - 1) * s2 + 1;
}

/** Elements each operand's binding spans for a chunk of extents `c`. */
export function spanSizes(p: MatmulProblem, c: Chunk): { a: number; b: number; c: number } {
  return {
    a: span(c, p.bsA, p.sAm, c.mc, p.sAk, c.kc),
    b: span(c, p.bsB, p.sBk, c.kc, p.sBn, c.nc),
    c: span(c, p.bsC, p.ldc, c.mc, 1, c.nc),
  };
}

function halve(n: number): number {
  if (n <= GRAIN) return Math.ceil(n / 2);
  return Math.ceil(n / 2 / GRAIN) * GRAIN;
}

/**
 * The largest chunk (halving one dimension at a time) whose bindings fit `limitBytes` and that
 * satisfies `extra` (which names a dimension to shrink, or undefined when content).
 *
 * @throws {RangeError} when even a single element per dimension does not fit.
 */
export function planChunks(
  p: MatmulProblem,
  limitBytes: number,
  gpu: Gpu,
  extra: (c: Chunk) => Dim | undefined = () => undefined,
): Chunk {
  // A binding starts at an aligned offset below its first element: leave room for that slack.
  const limit = Math.floor((limitBytes - gpu.limits.minStorageBufferOffsetAlignment) / 4);
  const c: Chunk = { bc: p.Bt, mc: p.M, nc: p.N, kc: p.K };
  for (;;) {
    const s = spanSizes(p, c);
    let dim: Dim | undefined;
    if (s.a > limit) dim = c.bc > 1 ? "b" : pick(c, "m", p.sAm, "k", p.sAk);
    else if (s.b > limit) dim = c.bc > 1 ? "b" : pick(c, "k", p.sBk, "n", p.sBn);
    else if (s.c > limit) dim = c.bc > 1 ? "b" : pick(c, "m", p.ldc, "n", 1);
    else dim = extra(c);
    if (dim === undefined) return c;
    const key = `${dim}c` as keyof Chunk;
    if (c[key] <= 1) {
      throw new RangeError(
        `matmul: cannot fit [${p.Bt}, ${p.M}, ${p.N}, K=${p.K}] into bindings of ${limitBytes} bytes`,
      );
    }
    c[key] = dim === "b" ? Math.ceil(c[key] / 2) : halve(c[key]);
  }
}

// Shrink the dimension with the larger stride (it dominates the span) unless it is already 1.
function pick(c: Chunk, d1: Dim, s1: number, d2: Dim, s2: number): Dim {
  const n1 = c[`${d1}c` as keyof Chunk], n2 = c[`${d2}c` as keyof Chunk];
  if (n1 > 1 && (s1 >= s2 || n2 <= 1)) return d1;
  return d2;
}

/** Origin of a chunk: first batch entry, row, column and k. */
export interface Origin {
  /** First batch entry. */
  z0: number;
  /** First row. */
  m0: number;
  /** First column. */
  n0: number;
  /** First k. */
  k0: number;
}

/**
 * Calls `fn` for every chunk (k innermost) with its extents, origin and the beta to use: the
 * caller's beta for the first k chunk, 1 for the rest (they accumulate).
 */
export function forEachChunk(
  p: MatmulProblem,
  chunk: Chunk,
  fn: (c: Chunk, o: Origin, beta: number) => void,
): void {
  const kSteps = Math.max(1, Math.ceil(p.K / Math.max(1, chunk.kc)));
  for (let z0 = 0; z0 < p.Bt; z0 += chunk.bc) {
    for (let m0 = 0; m0 < p.M; m0 += chunk.mc) {
      for (let n0 = 0; n0 < p.N; n0 += chunk.nc) {
        for (let s = 0; s < kSteps; s++) {
          const k0 = s * chunk.kc;
          const c: Chunk = {
            bc: Math.min(chunk.bc, p.Bt - z0),
            mc: Math.min(chunk.mc, p.M - m0),
            nc: Math.min(chunk.nc, p.N - n0),
            kc: Math.min(chunk.kc, p.K - k0),
          };
          fn(c, { z0, m0, n0, k0 }, s === 0 ? p.beta : 1);
        }
      }
    }
  }
}

/**
 * A binding of `count` elements of `t` starting `start` elements in, as a view at an offset that
 * satisfies `minStorageBufferOffsetAlignment`.
 */
export function bindRange(gpu: Gpu, t: Tensor, start: number, count: number): Bound {
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  const eb = elementBytes(t.dtype);
  const byte = t.offset + start * eb;
  const aligned = byte - (byte % align);
  const off = (byte - aligned) / eb;
  const view = new Tensor(gpu, t.buffer, [off + Math.max(1, count)], t.dtype, {
    offset: aligned,
    label: t.label,
  });
  return { view, off };
}

/** Aligned bindings of a chunk's part of each operand. */
export function chunkBindings(
  gpu: Gpu,
  p: MatmulProblem,
  c: Chunk,
  o: Origin,
): { a: Bound; b: Bound; c: Bound } {
  const s = spanSizes(p, c);
  return {
    a: bindRange(gpu, p.a, o.z0 * p.bsA + o.m0 * p.sAm + o.k0 * p.sAk, s.a),
    b: bindRange(gpu, p.b, o.z0 * p.bsB + o.k0 * p.sBk + o.n0 * p.sBn, s.b),
    c: bindRange(gpu, p.c, o.z0 * p.bsC + o.m0 * p.ldc + o.n0, s.c),
  };
}
