/**
 * Strided block copies between batched tensors: `copyRows` is the single primitive behind
 * slicing a sequence range (`z_H[:, P:]` for the LM head, `z_H[:, 0]` for the Q head),
 * prepending the puzzle-embedding slots, and the backward of each (the same copy, reversed, with
 * accumulation).
 *
 * @module
 */
import src from "../../kernels/slice.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const KERNEL = { file: "slice", source: src, entry: "copy_rows" };
const WG = 256;

/** A block of `len` elements at `start` in each of `nb` batch rows of `stride` elements. */
export interface Block {
  /** Elements between consecutive batch rows. */
  stride: number;
  /** First element inside each batch row. */
  start: number;
}

/** Options of {@linkcode copyRows}. */
export interface CopyRowsOptions {
  /** Add into `dst` instead of overwriting (for gradients). @default false */
  accumulate?: boolean;
  /** Multiplies what is copied (e.g. an embedding's scale in its gradient). @default 1 */
  scale?: number;
}

/**
 * `dst[b*dst.stride + dst.start + i] (+)= scale · src[b*src.stride + src.start + i]` for b < nb,
 * i < len.
 *
 * @param opts `accumulate` adds into `dst` instead of overwriting; `scale` multiplies the copy.
 * @throws {RangeError} when a block runs past either tensor.
 */
export function copyRows(
  enc: Encoder,
  src: Tensor,
  srcBlock: Block,
  dst: Tensor,
  dstBlock: Block,
  nb: number,
  len: number,
  opts: CopyRowsOptions = {},
): void {
  const lastSrc = (nb - 1) * srcBlock.stride + srcBlock.start + len;
  const lastDst = (nb - 1) * dstBlock.stride + dstBlock.start + len;
  if (lastSrc > src.size || lastDst > dst.size) {
    throw new RangeError(
      `copyRows: ${nb}×${len} block runs past ${lastSrc > src.size ? src.label : dst.label}`,
    );
  }
  enc.dispatch({
    kernel: KERNEL,
    constants: { ACCUMULATE: opts.accumulate ?? false },
    bindings: [src, dst],
    params: [
      nb,
      len,
      srcBlock.stride,
      srcBlock.start,
      dstBlock.stride,
      dstBlock.start,
      f32(opts.scale ?? 1),
    ],
    workgroups: grid1d(enc.gpu, nb * len, WG),
  });
}

/**
 * Positions `[start, start + len)` of a `[B, T, D]` tensor as a new `[B, len, D]` tensor.
 */
export function sliceSeq(enc: Encoder, x: Tensor, start: number, len: number): Tensor {
  const [B, T, D] = x.shape;
  if (start + len > T) throw new RangeError(`sliceSeq: [${start}, ${start + len}) outside T=${T}`);
  const y = Tensor.empty(enc.gpu, [B, len, D], "f32", "slice_seq");
  copyRows(
    enc,
    x,
    { stride: T * D, start: start * D },
    y,
    { stride: len * D, start: 0 },
    B,
    len * D,
  );
  return y;
}

/** Backward of {@linkcode sliceSeq}: `dx[:, start:start+len] += dy`. */
export function sliceSeqBackward(enc: Encoder, dy: Tensor, dx: Tensor, start: number): void {
  const [B, T, D] = dx.shape;
  const len = dy.shape[1];
  copyRows(
    enc,
    dy,
    { stride: len * D, start: 0 },
    dx,
    { stride: T * D, start: start * D },
    B,
    len * D,
    { accumulate: true },
  );
}
