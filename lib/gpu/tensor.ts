/**
 * GPU-resident tensors: a storage buffer (from the pool, or a view into a flat parameter buffer)
 * plus shape and dtype. Integer tensors hold token ids widened to i32, since WGSL has no 8-bit
 * storage. `f16` tensors (2 bytes an element; kernels need the `shader-f16` feature) hold the
 * float16 copies of mixed precision.
 *
 * @module
 */
import type { Gpu } from "./device.ts";

/** Element types a tensor can hold (4 bytes wide, `f16` 2 bytes). */
export type DType = "f32" | "i32" | "u32" | "f16";

/** Bytes of one element of `dtype`. */
export function elementBytes(dtype: DType): number {
  return dtype === "f16" ? 2 : 4;
}

/** A shaped view of GPU memory. */
export class Tensor {
  /** The device this tensor lives on. */
  readonly gpu: Gpu;
  /** The buffer holding the data. */
  readonly buffer: GPUBuffer;
  /** Byte offset of element 0 inside {@linkcode buffer}. */
  readonly offset: number;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Debug label. */
  readonly label: string;
  #pooled: boolean;
  #released = false;

  /**
   * Prefer {@linkcode Tensor.empty} / {@linkcode Tensor.view}; this wraps an existing buffer.
   */
  constructor(
    gpu: Gpu,
    buffer: GPUBuffer,
    shape: readonly number[],
    dtype: DType,
    opts: { offset?: number; pooled?: boolean; label?: string } = {},
  ) {
    this.gpu = gpu;
    this.buffer = buffer;
    this.shape = shape;
    this.dtype = dtype;
    this.offset = opts.offset ?? 0;
    this.#pooled = opts.pooled ?? false;
    this.label = opts.label ?? buffer.label;
  }

  /** A new pooled tensor (contents undefined until written). */
  static empty(gpu: Gpu, shape: readonly number[], dtype: DType = "f32", label = "tensor"): Tensor {
    const n = numel(shape);
    const bytes = n * elementBytes(dtype);
    return new Tensor(gpu, gpu.pool.acquire(Math.max(4, bytes), label), shape, dtype, {
      pooled: true,
      label,
    });
  }

  /** A view of `shape` at element offset `elementOffset` into `base` (shares memory). */
  static view(
    base: Tensor,
    elementOffset: number,
    shape: readonly number[],
    label?: string,
  ): Tensor {
    const eb = elementBytes(base.dtype);
    if (base.offset + (elementOffset + numel(shape)) * eb > base.buffer.size) {
      throw new RangeError(`Tensor.view ${label ?? ""}: view past the end of ${base.label}`);
    }
    return new Tensor(base.gpu, base.buffer, shape, base.dtype, {
      offset: base.offset + elementOffset * eb,
      label: label ?? base.label,
    });
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** Size of the data in bytes. */
  get bytes(): number {
    return this.size * elementBytes(this.dtype);
  }

  /**
   * The same memory with another shape of equal size. The result owns the memory as this tensor
   * does: release one of the two, not both (the pool throws on a second release).
   */
  reshape(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.size) {
      throw new RangeError(`reshape ${this.label}: [${this.shape}] -> [${shape}] changes size`);
    }
    return new Tensor(this.gpu, this.buffer, shape, this.dtype, {
      offset: this.offset,
      label: this.label,
      pooled: this.#pooled,
    });
  }

  /**
   * A binding resource covering this tensor (an odd number of f16 elements is padded to the
   * 4-byte multiple WebGPU requires, inside the buffer).
   */
  binding(): GPUBufferBinding {
    const size = Math.max(4, Math.ceil(this.bytes / 4) * 4);
    return {
      buffer: this.buffer,
      offset: this.offset,
      size: Math.min(size, this.buffer.size - this.offset),
    };
  }

  /** Returns pooled memory to the pool; views and non-pooled tensors ignore it. */
  release(): void {
    if (!this.#pooled) return;
    if (this.#released) throw new Error(`Tensor ${this.label} released twice`);
    this.#released = true;
    this.gpu.pool.release(this.buffer);
  }
}

/** The number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
