/**
 * The Hierarchical Reasoning Model's inner network (HierarchicalReasoningModel_ACTV1_Inner):
 * input embedding, the H/L recurrence with the 1-step gradient, and the LM and Q heads, written
 * as an explicit forward/backward pair over the engine's ops (no tape: the graph is this file).
 *
 * One segment from carry (z_H, z_L) and input embedding x:
 *   no grad:   H_cycles·L_cycles − 1 updates z_L ← L(z_L + z_H + x), and H_cycles − 1 updates
 *              z_H ← H(z_H + z_L), interleaved (L…L H L…L H … L…L)
 *   with grad: one z_L ← L(z_L + z_H + x), then one z_H ← H(z_H + z_L)
 *   logits = lm_head(z_H[:, P:]),  (q_halt, q_continue) = q_head(z_H[:, 0])
 * Gradients reach the weights of that last L and H call, the embeddings and the heads only.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import { type Encoder, writeTensor } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { add, addRows, fill, scale } from "../ops/elementwise.ts";
import { embeddingBackward, embeddingForward } from "../ops/embedding.ts";
import { linearBackward, linearForward, matmul } from "../ops/matmul.ts";
import { type RopeTables, ropeTables } from "../ops/rope.ts";
import { copyRows } from "../ops/slice.ts";
import type { BlockContext, BlockWeights } from "../nn/block.ts";
import { levelBackward, levelForward, type LevelSaved } from "../nn/reasoning_module.ts";
import { type HrmArch, type HrmDims, hrmDims } from "./dims.ts";
import { blockNames, BUFFER_NAMES, FlatParams, paramLayout } from "./params.ts";

/** The recurrent state carried between segments (detached). */
export interface InnerCarry {
  /** `[B, T, D]` */
  z_H: Tensor;
  /** `[B, T, D]` */
  z_L: Tensor;
}

/** The current examples, on the GPU. */
export interface BatchTensors {
  /** Token ids. `[B, S]` i32 */
  inputs: Tensor;
  /** Target ids, −100 = ignore. `[B, S]` i32 */
  labels: Tensor;
  /** `[B]` i32 */
  puzzle_identifiers: Tensor;
}

/** Outputs of one segment. */
export interface SegmentOutputs {
  /** `[B, S, V]` */
  logits: Tensor;
  /** `[B]` */
  q_halt_logits: Tensor;
  /** `[B]` */
  q_continue_logits: Tensor;
}

/** What {@linkcode Hrm.innerBackward} needs from a forward with gradient. */
export interface InnerSaved {
  /** Sizes of this call. */
  ctx: BlockContext;
  /** The last L call. */
  L: LevelSaved;
  /** The last H call. */
  H: LevelSaved;
  /** LM head input. `[B·S, D]` */
  zs: Tensor;
  /** Q head input. `[B, D]` */
  z0: Tensor;
  /** For the embedding gradients. */
  batch: BatchTensors;
}

/** The model: weights on the GPU and the forward/backward of one segment. */
export class Hrm {
  /** The device. */
  readonly gpu: Gpu;
  /** Architecture and dataset sizes. */
  readonly arch: HrmArch;
  /** Derived sizes. */
  readonly dims: HrmDims;
  /** Trainable weights (AdamATan2). */
  readonly params: FlatParams;
  /** `[D]` */
  readonly H_init: Tensor;
  /** `[D]` */
  readonly L_init: Tensor;
  /** `[num_puzzle_identifiers, puzzle_emb_ndim]`, when puzzle_emb_ndim > 0 (SignSGD). */
  readonly puzzle_emb: Tensor | undefined;
  readonly #rope: RopeTables | undefined;
  readonly #ones: Tensor;

  /** Allocates the weights (zero-filled; load or initialise them next). */
  constructor(gpu: Gpu, arch: HrmArch) {
    this.gpu = gpu;
    this.arch = arch;
    this.dims = hrmDims(arch);
    const align = gpu.limits.minStorageBufferOffsetAlignment / 4;
    this.params = new FlatParams(gpu, paramLayout(arch, this.dims, align), "params");
    this.H_init = Tensor.empty(gpu, [this.dims.D], "f32", BUFFER_NAMES.H_init);
    this.L_init = Tensor.empty(gpu, [this.dims.D], "f32", BUFFER_NAMES.L_init);
    this.puzzle_emb = arch.puzzle_emb_ndim > 0
      ? Tensor.empty(
        gpu,
        [arch.num_puzzle_identifiers, arch.puzzle_emb_ndim],
        "f32",
        BUFFER_NAMES.puzzle_emb,
      )
      : undefined;
    this.#rope = arch.pos_encodings === "rope"
      ? ropeTables(gpu, this.dims.T, this.dims.HD, arch.rope_theta)
      : undefined;
    this.#ones = Tensor.empty(gpu, [1, 4096], "f32", "ones");
    writeTensor(this.#ones, new Float32Array(4096).fill(1));
  }

  /** Block weights of a level, as views into `flat` (params or grads). */
  levelWeights(flat: FlatParams, level: "H" | "L"): BlockWeights[] {
    const n = level === "H" ? this.arch.H_layers : this.arch.L_layers;
    return Array.from({ length: n }, (_, i) => {
      const b = blockNames(level, i);
      return {
        qkv: flat.get(b.qkv),
        o: flat.get(b.o),
        gate_up: flat.get(b.gate_up),
        down: flat.get(b.down),
      };
    });
  }

  /** Sizes for a call on `B` rows. */
  context(B: number): BlockContext {
    const d = this.dims;
    return { B, T: d.T, D: d.D, NH: d.NH, HD: d.HD, eps: this.arch.rms_norm_eps, rope: this.#rope };
  }

  /** A carry of `B` rows (contents undefined until reset). */
  emptyCarry(B: number): InnerCarry {
    const { T, D } = this.dims;
    return {
      z_H: Tensor.empty(this.gpu, [B, T, D], "f32", "z_H"),
      z_L: Tensor.empty(this.gpu, [B, T, D], "f32", "z_L"),
    };
  }

  /**
   * The input embedding x = √D · [puzzle slots | token embeddings] (+ learned positions):
   * `[B, T, D]` (_input_embeddings).
   */
  inputEmbeddings(enc: Encoder, batch: BatchTensors): Tensor {
    const { S, P, T, D, embedScale } = this.dims;
    const B = batch.inputs.shape[0];
    const Wtok = this.params.get("inner.embed_tokens.embedding_weight");
    const learned = this.arch.pos_encodings === "learned";
    const s = learned ? 1 : embedScale;
    let x: Tensor;
    if (P === 0) {
      x = embeddingForward(enc, batch.inputs.reshape([B * S]), Wtok, s).reshape([B, T, D]);
    } else {
      x = Tensor.empty(this.gpu, [B, T, D], "f32", "input_embeddings");
      fill(enc, x, 0);
      const tok = embeddingForward(enc, batch.inputs.reshape([B * S]), Wtok, s);
      copyRows(enc, tok, { stride: S * D, start: 0 }, x, { stride: T * D, start: P * D }, B, S * D);
      tok.release();
      const nd = this.arch.puzzle_emb_ndim;
      const puz = embeddingForward(enc, batch.puzzle_identifiers, this.puzzle_emb!, s);
      copyRows(enc, puz, { stride: nd, start: 0 }, x, { stride: T * D, start: 0 }, B, nd);
      puz.release();
    }
    if (learned) {
      const pos = this.params.get("inner.embed_pos.embedding_weight");
      const withPos = addRows(enc, x.reshape([B, T * D]), pos.reshape([T * D]));
      x.release();
      x = scale(enc, withPos, 0.707106781 * embedScale).reshape([B, T, D]);
      withPos.release();
    }
    return x;
  }

  /**
   * One segment. Replaces `carry.z_H`/`carry.z_L` with the new (detached) states, releasing the
   * old ones. With `grad`, also returns what {@linkcode innerBackward} needs.
   */
  inner(
    enc: Encoder,
    carry: InnerCarry,
    x: Tensor,
    batch: BatchTensors,
    grad: boolean,
  ): { out: SegmentOutputs; saved?: InnerSaved } {
    const B = x.shape[0];
    const c = this.context(B);
    const Hw = this.levelWeights(this.params, "H"), Lw = this.levelWeights(this.params, "L");
    const { H_cycles, L_cycles } = this.arch;
    let z_H = carry.z_H, z_L = carry.z_L;
    const stepL = (save: boolean) => {
      const inj = add(enc, z_H, x);
      const r = levelForward(enc, Lw, z_L, inj, c, save);
      inj.release();
      z_L.release();
      z_L = r.z;
      return r.saved;
    };
    const stepH = (save: boolean) => {
      const r = levelForward(enc, Hw, z_H, z_L, c, save);
      z_H.release();
      z_H = r.z;
      return r.saved;
    };
    for (let h = 0; h < H_cycles; h++) {
      for (let l = 0; l < L_cycles; l++) {
        if (!(h === H_cycles - 1 && l === L_cycles - 1)) stepL(false);
      }
      if (h !== H_cycles - 1) stepH(false);
    }
    const Ls = stepL(grad);
    const Hs = stepH(grad);
    carry.z_H = z_H;
    carry.z_L = z_L;
    const { out, zs, z0 } = this.#heads(enc, z_H);
    if (!grad) {
      zs.release();
      z0.release();
      return { out };
    }
    return { out, saved: { ctx: c, L: Ls!, H: Hs!, zs, z0, batch } };
  }

  #heads(enc: Encoder, z_H: Tensor): { out: SegmentOutputs; zs: Tensor; z0: Tensor } {
    const { S, P, T, D, V } = this.dims;
    const B = z_H.shape[0];
    const zs = Tensor.empty(this.gpu, [B * S, D], "f32", "lm_head_in");
    copyRows(enc, z_H, { stride: T * D, start: P * D }, zs, { stride: S * D, start: 0 }, B, S * D);
    const logits = linearForward(enc, zs, this.params.get("inner.lm_head.weight"));
    const z0 = Tensor.empty(this.gpu, [B, D], "f32", "q_head_in");
    copyRows(enc, z_H, { stride: T * D, start: 0 }, z0, { stride: D, start: 0 }, B, D);
    const q = linearForward(enc, z0, this.params.get("inner.q_head.weight"));
    const qb = addRows(enc, q, this.params.get("inner.q_head.bias"));
    q.release();
    const q_halt_logits = Tensor.empty(this.gpu, [B], "f32", "q_halt_logits");
    const q_continue_logits = Tensor.empty(this.gpu, [B], "f32", "q_continue_logits");
    copyRows(enc, qb, { stride: 2, start: 0 }, q_halt_logits, { stride: 1, start: 0 }, B, 1);
    copyRows(enc, qb, { stride: 2, start: 1 }, q_continue_logits, { stride: 1, start: 0 }, B, 1);
    qb.release();
    return {
      out: { logits: logits.reshape([B, S, V]), q_halt_logits, q_continue_logits },
      zs,
      z0,
    };
  }

  /**
   * Backward of {@linkcode inner} given the loss gradients of its outputs: accumulates into
   * `grads` (same layout as params) and returns d(loss)/d(puzzle slots) `[B, puzzle_emb_ndim]`
   * when the model has a puzzle embedding (for SignSGD). Releases everything saved.
   */
  innerBackward(
    enc: Encoder,
    s: InnerSaved,
    grads: FlatParams,
    dlogits: Tensor,
    dq_halt: Tensor,
    dq_continue: Tensor,
  ): Tensor | undefined {
    const { S, P, T, D, embedScale } = this.dims;
    const B = s.ctx.B;
    // Heads.
    const dzs = linearBackward(
      enc,
      dlogits.reshape([B * S, this.dims.V]),
      s.zs,
      this.params.get("inner.lm_head.weight"),
      grads.get("inner.lm_head.weight"),
    )!;
    const dq = Tensor.empty(this.gpu, [B, 2], "f32", "dq");
    copyRows(enc, dq_halt, { stride: 1, start: 0 }, dq, { stride: 2, start: 0 }, B, 1);
    copyRows(enc, dq_continue, { stride: 1, start: 0 }, dq, { stride: 2, start: 1 }, B, 1);
    matmul(enc, this.#onesRow(B), dq, {
      out: grads.get("inner.q_head.bias").reshape([1, 2]),
      beta: 1,
    });
    const dz0 = linearBackward(
      enc,
      dq,
      s.z0,
      this.params.get("inner.q_head.weight"),
      grads.get("inner.q_head.weight"),
    )!;
    dq.release();
    const dz_H = Tensor.empty(this.gpu, [B, T, D], "f32", "dz_H");
    if (P > 0) fill(enc, dz_H, 0);
    copyRows(
      enc,
      dzs,
      { stride: S * D, start: 0 },
      dz_H,
      { stride: T * D, start: P * D },
      B,
      S * D,
    );
    copyRows(enc, dz0, { stride: D, start: 0 }, dz_H, { stride: T * D, start: 0 }, B, D, true);
    dzs.release();
    dz0.release();
    s.zs.release();
    s.z0.release();
    // H then L: z_H ← H(z_H + z_L) passes its gradient to z_L; z_L ← L(z_L + z_H + x) to x.
    const Hw = this.levelWeights(this.params, "H"), Lw = this.levelWeights(this.params, "L");
    const dHw = this.levelWeights(grads, "H"), dLw = this.levelWeights(grads, "L");
    const dz_L = levelBackward(enc, Hw, dHw, dz_H, s.H, s.ctx);
    dz_H.release();
    const dx = levelBackward(enc, Lw, dLw, dz_L, s.L, s.ctx);
    dz_L.release();
    // Input embedding.
    const learned = this.arch.pos_encodings === "learned";
    const sEmb = learned ? 0.707106781 * embedScale : embedScale;
    if (learned) {
      matmul(enc, this.#onesRow(B), dx.reshape([B, T * D]), {
        out: grads.get("inner.embed_pos.embedding_weight").reshape([1, T * D]),
        alpha: sEmb,
        beta: 1,
      });
    }
    let dtok = dx;
    if (P > 0) {
      dtok = Tensor.empty(this.gpu, [B * S, D], "f32", "d_tokens");
      copyRows(
        enc,
        dx,
        { stride: T * D, start: P * D },
        dtok,
        { stride: S * D, start: 0 },
        B,
        S * D,
      );
    }
    embeddingBackward(
      enc,
      dtok.reshape([B * S, D]),
      s.batch.inputs.reshape([B * S]),
      grads.get("inner.embed_tokens.embedding_weight"),
      sEmb,
    );
    let dpuz: Tensor | undefined;
    if (P > 0) {
      dtok.release();
      const nd = this.arch.puzzle_emb_ndim;
      dpuz = Tensor.empty(this.gpu, [B, nd], "f32", "d_puzzle_emb");
      copyRows(enc, dx, { stride: T * D, start: 0 }, dpuz, { stride: nd, start: 0 }, B, nd);
      const raw = dpuz;
      dpuz = scale(enc, raw, sEmb);
      raw.release();
    }
    dx.release();
    return dpuz;
  }

  #onesRow(B: number): Tensor {
    if (B > 4096) throw new RangeError(`batch of ${B} rows exceeds 4096`);
    return Tensor.view(this.#ones, 0, [1, B], "ones");
  }

  /** Releases every GPU buffer of the model. */
  release(): void {
    this.params.release();
    this.H_init.release();
    this.L_init.release();
    this.puzzle_emb?.release();
    this.#ones.release();
    if (this.#rope) {
      this.#rope.cos.release();
      this.#rope.sin.release();
    }
  }
}
