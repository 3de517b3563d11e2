/**
 * The Q head of HRM and TRM: `(q_halt, q_continue) = q_head(z_H[:, 0])`, an nn.Linear(hidden, 2)
 * with bias on each row's first position (one dispatch), and its backward (two). Two outputs per
 * row are far too narrow for a matmul: the slice of position 0, the matmul, the bias pass and the
 * split into two logits tensors took five dispatches forward and four backward. Float32
 * throughout (the halting logits stay f32 under float16 mixed precision).
 *
 * @module
 */
import src from "../../kernels/q_head.wgsl" with { type: "text" };
import type { Encoder } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import { Tensor } from "../gpu/tensor.ts";

const WG = 64;
const kernel = (entry: string) => ({ file: "q_head", source: src, entry });

function check(op: string, z: Tensor, w: Tensor, bias: Tensor): [number, number, number] {
  const [B, T, D] = z.shape;
  if (z.shape.length !== 3 || w.size !== 2 * D || bias.size !== 2) {
    throw new RangeError(
      `${op}: z ${z.label} [${z.shape}] must be [B, T, D] with weight ${w.label} [${w.shape}] ` +
        `[2, D] and bias ${bias.label} [${bias.shape}] [2]`,
    );
  }
  return [B, T, D];
}

/**
 * `q_halt[b] = bias[0] + W[0]·z[b, 0]`, `q_continue[b] = bias[1] + W[1]·z[b, 0]`.
 *
 * @param enc The encoder to record into.
 * @param z The state whose first position the head reads // [B, T, D]
 * @param w The weight // [2, D]
 * @param bias The bias // [2]
 * @returns New pooled `q_halt_logits` and `q_continue_logits` // [B]
 * @throws {RangeError} naming the op and shapes when they do not fit.
 *
 * @example
 * ```ts ignore
 * const { q_halt_logits, q_continue_logits } = qHeadForward(enc, z_H, w, bias);
 * ```
 */
export function qHeadForward(
  enc: Encoder,
  z: Tensor,
  w: Tensor,
  bias: Tensor,
): { q_halt_logits: Tensor; q_continue_logits: Tensor } {
  const [B, T, D] = check("qHeadForward", z, w, bias);
  const q_halt_logits = Tensor.empty(enc.gpu, [B], "f32", "q_halt_logits");
  const q_continue_logits = Tensor.empty(enc.gpu, [B], "f32", "q_continue_logits");
  enc.dispatch({
    kernel: kernel("q_head_fwd"),
    constants: { WG },
    bindings: [z, w, bias, q_halt_logits, q_continue_logits],
    params: [B, T * D, D],
    workgroups: grid1d(enc.gpu, 2 * B, WG),
  });
  return { q_halt_logits, q_continue_logits };
}

/**
 * Backward of {@linkcode qHeadForward}, accumulating: `dz[:, 0] += dq·W`, `dW += dqᵀ·z[:, 0]`,
 * `dbias += Σ_b dq[b]`.
 *
 * @param enc The encoder to record into.
 * @param z The forward's input // [B, T, D]
 * @param w The weight // [2, D]
 * @param dq d(loss)/d(q_halt, q_continue), interleaved // [B, 2]
 * @param dz Gradient of z, added to at position 0 // [B, T, D]
 * @param dw Weight gradient, added to // [2, D]
 * @param dbias Bias gradient, added to // [2]
 * @throws {RangeError} naming the op and shapes when they do not fit.
 */
export function qHeadBackward(
  enc: Encoder,
  z: Tensor,
  w: Tensor,
  dq: Tensor,
  dz: Tensor,
  dw: Tensor,
  dbias: Tensor,
): void {
  const [B, T, D] = check("qHeadBackward", z, w, dbias);
  if (dq.size !== 2 * B || dz.size !== z.size || dw.size !== w.size) {
    throw new RangeError(
      `qHeadBackward: dq ${dq.label} [${dq.shape}], dz [${dz.shape}] or dW [${dw.shape}] do ` +
        `not fit z [${z.shape}] and W [${w.shape}]`,
    );
  }
  enc.dispatch({
    kernel: kernel("q_head_bwd_x"),
    constants: { WG },
    bindings: [w, dq, dz],
    params: [B, T * D, D],
    workgroups: grid1d(enc.gpu, B * D, WG),
  });
  enc.dispatch({
    kernel: kernel("q_head_bwd_w"),
    constants: { WG },
    bindings: [z, dq, dw, dbias],
    params: [B, T * D, D],
    workgroups: grid1d(enc.gpu, 2 * D + 2, WG),
  });
}
