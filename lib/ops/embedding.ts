/**
 * Token embedding: a scaled row gather (`scale * W[ids]`, HRM's `embed_scale * embed_tokens(x)`)
 * and its backward, a scatter-add of the output gradient into the table. WGSL has no float
 * atomics, so the backward gives every `dW` element a single writer: partial sums over chunks of
 * ids (each invocation scans its chunk for one `(v, d)`), then one fixed-order sum over chunks.
 * The result is bit-reproducible, and for the small vocabularies of HRM (6..12) the scan costs
 * about `V` reads of each id, which the chunking spreads over many invocations.
 *
 * @module
 */
import src from "../../kernels/embedding.wgsl" with { type: "text" };
import { type Encoder, f32 } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 256;
const FWD = { file: "embedding", source: src, entry: "embedding_fwd" };
const BWD_PARTIAL = { file: "embedding", source: src, entry: "embedding_bwd_partial" };
const BWD_REDUCE = { file: "embedding", source: src, entry: "embedding_bwd_reduce" };
/** Smallest chunk of ids one partial-sum invocation scans. */
const MIN_CHUNK = 64;
/** Cap on the partial-sum scratch (elements), so a large table does not blow up the scratch. */
const MAX_PARTIAL = 1 << 22;

function checkIds(op: string, ids: Tensor): void {
  if (ids.dtype !== "i32") {
    throw new RangeError(`${op}: ids ${ids.label} [${ids.shape}] must be i32, got ${ids.dtype}`);
  }
}

/**
 * Where the N rows of an embedding's output (or of its gradient) sit in a larger tensor: in blocks
 * of `rows` consecutive rows, block k starting at element `k·stride + start` (x's token rows are
 * S per batch row, T·D apart, after the P puzzle slots).
 */
export interface RowPlacement {
  /** Rows per block. */
  rows: number;
  /** Elements between consecutive blocks. */
  stride: number;
  /** Element of the first block's first row. */
  start: number;
}

/** Params of the placement (plain rows: one block of all N). */
function placement(N: number, D: number, at: RowPlacement | undefined): number[] {
  return at ? [at.rows, at.stride, at.start] : [Math.max(N, 1), N * D, 0];
}

/** The size a tensor needs to hold N rows of D at `at`. */
function placedSize(N: number, D: number, at: RowPlacement): number {
  const blocks = Math.ceil(N / at.rows);
  return N === 0 ? 0 : (blocks - 1) * at.stride + at.start + (N - (blocks - 1) * at.rows) * D;
}

function checkTable(op: string, W: Tensor): [number, number] {
  if (W.shape.length !== 2) {
    throw new RangeError(`${op}: table ${W.label} [${W.shape}] must be [V, D]`);
  }
  return [W.shape[0], W.shape[1]];
}

/**
 * Gathers rows of an embedding table: `y[n] = scale * W[ids[n]]`.
 *
 * An id outside `[0, V)` yields a zero row (the reference would raise; the GPU must not read out
 * of bounds).
 *
 * @param enc The encoder to record into.
 * @param ids Token ids, i32, any shape with N elements.
 * @param W The table // [V, D]
 * @param scale Multiplier (HRM: sqrt(hidden_size)).
 * @param out Optional output with N·D elements (or, with `at`, the tensor the rows are placed
 * in); allocated from the pool when omitted.
 * @param at Where the rows go in `out` (default: row n at n·D).
 * @returns `y` // [...ids.shape, D], or `out` as given
 * @throws {RangeError} naming the op and shapes when ids are not i32, W is not 2-D, or `out`
 * has the wrong size (or `at` without `out`, or placed rows past its end).
 *
 * @example Gather two rows
 * ```ts ignore
 * const y = embeddingForward(enc, ids, W, Math.sqrt(D)); // [B, S, D]
 * ```
 */
export function embeddingForward(
  enc: Encoder,
  ids: Tensor,
  W: Tensor,
  scale: number,
  out?: Tensor,
  at?: RowPlacement,
): Tensor {
  checkIds("embeddingForward", ids);
  const [V, D] = checkTable("embeddingForward", W);
  const N = ids.size;
  if (at && !out) throw new RangeError("embeddingForward: a placement needs an out tensor");
  const y = out ?? Tensor.empty(enc.gpu, [...ids.shape, D], "f32", "embedding");
  if (at ? placedSize(N, D, at) > y.size : y.size !== N * D) {
    throw new RangeError(
      `embeddingForward: out ${y.label} [${y.shape}] does not hold ids [${ids.shape}] × D=${D}` +
        (at ? ` placed at ${JSON.stringify(at)}` : ""),
    );
  }
  enc.dispatch({
    kernel: FWD,
    bindings: [ids, W, y],
    params: [N, D, V, 0, 0, 0, f32(scale), ...placement(N, D, at)],
    workgroups: grid1d(enc.gpu, N * D, WG),
  });
  return y;
}

/**
 * Accumulates the embedding gradient: `dW[v] += scale * Σ_{n : ids[n] = v} dy[n]`.
 *
 * Duplicate ids add up; ids outside `[0, V)` contribute nothing. Deterministic: each `dW`
 * element is summed in a fixed order (ids ascending within chunks, chunks ascending) by one
 * invocation, so repeated runs give identical bits.
 *
 * @param enc The encoder to record into.
 * @param dy Output gradient with N·D elements // [N, D] (or holding them at `at`)
 * @param ids Token ids, i32 // [N]
 * @param dW Table gradient, accumulated in place // [V, D]
 * @param scale The forward's multiplier.
 * @param at Where the rows of the gradient sit in `dy` (default: row n at n·D).
 * @throws {RangeError} naming the op and shapes on a dtype or size mismatch.
 *
 * @example Accumulate into a zeroed gradient
 * ```ts ignore
 * fill(enc, dW, 0);
 * embeddingBackward(enc, dy, ids, dW, Math.sqrt(D));
 * ```
 */
export function embeddingBackward(
  enc: Encoder,
  dy: Tensor,
  ids: Tensor,
  dW: Tensor,
  scale: number,
  at?: RowPlacement,
): void {
  checkIds("embeddingBackward", ids);
  const [V, D] = checkTable("embeddingBackward", dW);
  const N = ids.size;
  if (at ? placedSize(N, D, at) > dy.size : dy.size !== N * D) {
    throw new RangeError(
      `embeddingBackward: dy ${dy.label} [${dy.shape}] does not match ids [${ids.shape}] × ` +
        `D=${D} of dW [${dW.shape}]`,
    );
  }
  if (N === 0 || V * D === 0) return;
  const maxChunks = Math.max(1, Math.floor(MAX_PARTIAL / (V * D)));
  const chunks = Math.max(1, Math.min(Math.ceil(N / MIN_CHUNK), maxChunks));
  const chunk = Math.ceil(N / chunks);
  if (chunks === 1) {
    enc.dispatch({
      kernel: BWD_PARTIAL,
      bindings: [ids, dy, dW],
      params: [N, D, V, chunk, 1, 1, f32(scale), ...placement(N, D, at)],
      workgroups: grid1d(enc.gpu, V * D, WG),
    });
    return;
  }
  const part = Tensor.empty(enc.gpu, [chunks, V, D], "f32", "embedding_partial");
  enc.dispatch({
    kernel: BWD_PARTIAL,
    bindings: [ids, dy, part],
    params: [N, D, V, chunk, chunks, 0, f32(scale), ...placement(N, D, at)],
    workgroups: grid1d(enc.gpu, chunks * V * D, WG),
  });
  enc.dispatch({
    kernel: BWD_REDUCE,
    bindings: [ids, part, dW],
    params: [N, D, V, chunk, chunks, 0, f32(scale), ...placement(N, D, undefined)],
    workgroups: grid1d(enc.gpu, V * D, WG),
  });
  enc.releaseAfterSubmit(part);
}
