/**
 * One transformer block, post-norm with weightless RMSNorm (HRM's
 * HierarchicalReasoningModel_ACTV1Block, TRM's TinyRecursiveReasoningModel_ACTV1Block):
 *
 *   h1 = rms(h0 + o_proj(attn(rope(qkv_proj(h0)))))      (or TRM's mlp_t mixer, nn/seq_mlp.ts)
 *   h2 = rms(h1 + down_proj(silu(gate) * up)),  [gate | up] = gate_up_proj(h1)
 *
 * `blockForward` keeps what `blockBackward` needs when asked to; without it every intermediate is
 * released as soon as it is used (the no-grad cycles of HRM's 1-step gradient). Each residual add
 * runs inside the norm after it (`rmsnormForward`'s residual), and each residual gradient sum
 * inside the matmul that produces the other summand (`linearBackward`'s dxInto).
 *
 * @module
 */
import type { Encoder } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";
import { linearBackward, linearForward } from "../ops/matmul.ts";
import { narrowSaved, widenSaved } from "../ops/cast.ts";
import { rmsnormBackward, rmsnormForward } from "../ops/rmsnorm.ts";
import type { RopeTables } from "../ops/rope.ts";
import { attentionBackward, attentionForward } from "../ops/attention.ts";
import { swigluBackward, swigluForward } from "../ops/swiglu.ts";
import { seqMlpBackward, seqMlpForward, type SeqMlpSaved, type SeqMlpWeights } from "./seq_mlp.ts";

/**
 * An activation after its last forward reader has been recorded: kept for the backward (in f16
 * under float16 mixed precision, `narrowSaved`) with `save`, else released at once, so the no-grad
 * calls (which run while the saved calls' activations are held) hold few temporaries.
 */
function afterForward(
  enc: Encoder,
  t: Tensor,
  c: BlockContext,
  save: boolean,
): Tensor | undefined {
  if (save) return narrowSaved(enc, t, c.half);
  t.release();
  return undefined;
}

/** `t` viewed as a matrix of `cols` columns (linear layers take 2-D inputs). */
function rows(t: Tensor, cols: number): Tensor {
  return t.shape.length === 2 ? t : t.reshape([t.size / cols, cols]);
}

/** A block's weights (views into the flat parameter buffer): attention or mlp_t, then the MLP. */
export interface BlockWeights {
  /** `[3·NH·HD, D]` (attention blocks) */
  qkv?: Tensor;
  /** `[D, NH·HD]` (attention blocks) */
  o?: Tensor;
  /** TRM's sequence-axis SwiGLU in place of attention (mlp_t blocks). */
  mlp_t?: SeqMlpWeights;
  /** `[2F, D]` */
  gate_up: Tensor;
  /** `[D, F]` */
  down: Tensor;
}

/** Sizes and tables shared by every block. */
export interface BlockContext {
  /** Batch rows in this call. */
  B: number;
  /** Positions. */
  T: number;
  /** Hidden size. */
  D: number;
  /** Heads. */
  NH: number;
  /** Head dimension. */
  HD: number;
  /** RMSNorm epsilon. */
  eps: number;
  /** RoPE tables, or undefined for learned/no positions. */
  rope: RopeTables | undefined;
  /**
   * float16 mixed precision (arch.forward_dtype float16): every matmul operand is rounded to f16
   * on load (the weights come as f16 views), sums stay f32; norms, softmax and the residual
   * stream f32 in the forward; the activations saved for the backward (qkv, attn, SwiGLU's input
   * and output, the norms' outputs h1/h2 and block inputs) are stored in f16, statistics (rstd,
   * log-sum-exp) in f32, and SwiGLU's input gradient is handed to its matmuls in f16.
   */
  half?: boolean;
}

/** What the attention sub-layer's backward needs. */
export interface AttentionSaved {
  /**
   * qkv_proj's output, q and k rotated by RoPE (by the attention forward). `[B, T, 3·NH·HD]`
   * (f16 under float16 mixed precision, as `attn`)
   */
  qkv: Tensor;
  /** Attention output before o_proj. `[B, T, NH·HD]` */
  attn: Tensor;
  /** Log-sum-exp per query. `[B, NH, T]` */
  lse: Tensor;
  /** `[B·T]` */
  rstd1: Tensor;
}

/** What the backward pass needs; `h0` belongs to the caller. */
export interface BlockSaved {
  /** Block input. `[B·T, D]` (f16 under float16 mixed precision: nn/reasoning_module.ts) */
  h0: Tensor;
  /** The token mixer's activations (attention, or mlp_t). */
  mix: { attention: AttentionSaved } | { mlp_t: SeqMlpSaved };
  /** After the first norm. `[B·T, D]` (f16 under float16 mixed precision) */
  h1: Tensor;
  /** `[B·T, 2F]` (f16 under float16 mixed precision, as `act`) */
  gu: Tensor;
  /** silu(gate)·up. `[B·T, F]` */
  act: Tensor;
  /** Block output. `[B·T, D]` (f16 under float16 mixed precision, except a module's output) */
  h2: Tensor;
  /** `[B·T]` */
  rstd2: Tensor;
}

/**
 * Runs one block on `h0` (`[B·T, D]`). With `save`, returns the activations for
 * {@linkcode blockBackward}; otherwise only the output (all else released).
 */
export function blockForward(
  enc: Encoder,
  w: BlockWeights,
  h0: Tensor,
  c: BlockContext,
  save: boolean,
): { y: Tensor; saved?: BlockSaved } {
  let h1: Tensor, mix: BlockSaved["mix"] | undefined;
  if (w.mlp_t) {
    const r = seqMlpForward(enc, w.mlp_t, h0, c.B, c.eps, save, c.half);
    h1 = r.h1;
    if (r.saved) mix = { mlp_t: r.saved };
  } else {
    const r = attentionLayerForward(enc, w, h0, c, save);
    h1 = r.h1;
    if (r.saved) mix = { attention: r.saved };
  }
  const r16 = { round16: c.half };
  // float16 stores gu and act in f16: the backward reads gu elementwise and act only in a matmul
  // that rounds it to f16 anyway.
  const dtype = c.half ? "f16" : "f32";
  const gu = linearForward(enc, rows(h1, c.D), w.gate_up, undefined, { ...r16, dtype });
  const act = swigluForward(enc, gu, dtype);
  const guSaved = afterForward(enc, gu, c, save);
  const m = linearForward(enc, act, w.down, undefined, r16);
  const actSaved = afterForward(enc, act, c, save);
  const { y: h2, rstd: rstd2 } = rmsnormForward(enc, h1, c.eps, { residual: m });
  m.release();
  const h1Saved = afterForward(enc, h1, c, save);
  if (save) {
    return {
      y: h2,
      saved: { h0, mix: mix!, h1: h1Saved!, gu: guSaved!, act: actSaved!, h2, rstd2 },
    };
  }
  rstd2.release();
  return { y: h2 };
}

/** `h1 = rms(h0 + o_proj(attn(rope(qkv_proj(h0)))))`, HRM's token mixer. */
function attentionLayerForward(
  enc: Encoder,
  w: BlockWeights,
  h0: Tensor,
  c: BlockContext,
  save: boolean,
): { h1: Tensor; saved?: AttentionSaved } {
  const N = c.B * c.T;
  const r16 = { round16: c.half };
  const qkv = linearForward(enc, rows(h0, c.D), w.qkv!, undefined, r16)
    .reshape([c.B, c.T, 3 * c.NH * c.HD]);
  const a = attentionForward(enc, qkv, c.NH, c.HD, { rope: c.rope, save });
  if (a.saved !== qkv) qkv.release();
  const { out: attn, lse } = a;
  // float16 keeps qkv and attn in f16: the backward widens them one block at a time.
  const qkvSaved = save ? narrowSaved(enc, a.saved!, c.half) : undefined;
  const o = linearForward(enc, attn.reshape([N, c.NH * c.HD]), w.o!, undefined, r16);
  const attnSaved = afterForward(enc, attn, c, save);
  const { y: h1, rstd: rstd1 } = rmsnormForward(enc, h0, c.eps, { residual: o });
  o.release();
  if (save) return { h1, saved: { qkv: qkvSaved!, attn: attnSaved!, lse, rstd1 } };
  for (const t of [lse, rstd1]) t.release();
  return { h1 };
}

/** Backward of {@linkcode attentionLayerForward}: d(loss)/d(h0) from d(loss)/d(h1). */
function attentionLayerBackward(
  enc: Encoder,
  w: BlockWeights,
  dw: BlockWeights,
  dh1: Tensor,
  h0: Tensor,
  h1: Tensor,
  s: AttentionSaved,
  c: BlockContext,
): Tensor {
  const N = c.B * c.T;
  const dr1 = rmsnormBackward(enc, dh1, h1, s.rstd1);
  const r16 = { round16: c.half };
  const attn = s.attn.reshape([N, c.NH * c.HD]);
  const dattn = linearBackward(enc, rows(dr1, c.D), attn, w.o!, dw.o!, r16)!;
  // Under float16 the f32 copies replace the saved f16 qkv and attn (released as they are made).
  const qkv = widenSaved(enc, s.qkv), attnOut = widenSaved(enc, s.attn);
  const dqkv = attentionBackward(
    enc,
    dattn.reshape([c.B, c.T, c.NH * c.HD]),
    qkv,
    attnOut,
    s.lse,
    c.NH,
    c.HD,
    { rope: c.rope },
  );
  for (const t of [dattn, qkv, attnOut, s.lse]) t.release();
  // d(h0) = residual gradient dr1 + qkv_proj's, summed by the matmul into dr1.
  const dx = linearBackward(
    enc,
    dqkv.reshape([N, 3 * c.NH * c.HD]),
    rows(h0, c.D),
    w.qkv!,
    dw.qkv!,
    { ...r16, dxInto: dr1 },
  )!;
  dqkv.release();
  s.rstd1.release();
  return dx;
}

/**
 * Backward of {@linkcode blockForward}: accumulates weight gradients into `dw` and returns
 * d(loss)/d(h0). Releases the saved activations except `h0` and `h2` (owned by neighbours).
 */
export function blockBackward(
  enc: Encoder,
  w: BlockWeights,
  dw: BlockWeights,
  dh2: Tensor,
  s: BlockSaved,
  c: BlockContext,
): Tensor {
  const dr2 = rmsnormBackward(enc, dh2, s.h2, s.rstd2);
  const r16 = { round16: c.half };
  const dact = linearBackward(enc, rows(dr2, c.D), s.act, w.down, dw.down, r16)!;
  const dgu = swigluBackward(enc, dact, s.gu, c.half ? "f16" : "f32");
  dact.release();
  // d(h1) = residual gradient dr2 + gate_up_proj's, summed by the matmul into dr2.
  const dh1Total = linearBackward(enc, dgu, rows(s.h1, c.D), w.gate_up, dw.gate_up, {
    ...r16,
    dxInto: dr2,
  })!;
  dgu.release();
  const dx = "mlp_t" in s.mix
    ? seqMlpBackward(enc, w.mlp_t!, dw.mlp_t!, dh1Total, s.mix.mlp_t, c.half)
    : attentionLayerBackward(enc, w, dw, dh1Total, s.h0, s.h1, s.mix.attention, c);
  dh1Total.release();
  for (const t of [s.h1, s.gu, s.act, s.rstd2]) t.release();
  return dx;
}
