/**
 * The one model interface HRM and TRM share: weights on the GPU, the input embedding, the
 * recurrence of one ACT segment as an explicit forward/backward pair over the engine's ops (no
 * tape: the graph is this file), the LM and Q heads, and the halting rule. The ACT carry, the
 * training step, evaluation, traces, checkpoints and pictures use only this class.
 *
 * Both references run the same schedule of module calls per segment, with x the input embedding:
 *   for h < H_cycles:  L_cycles × z_L ← L(z_L + z_H + x);  then z_H ← H(z_H + z_L)
 *   logits = lm_head(z_H[:, P:]),  (q_halt, q_continue) = q_head(z_H[:, 0])
 * They differ in a few facts each subclass states ({@linkcode RecurrenceSpec}): which network the
 * H update calls (HRM: H_level; TRM: the same L_level), how many trailing calls keep gradient
 * (HRM: the last L and H call, the "1-step gradient"; TRM: the whole last cycle, L_cycles + 1
 * calls), the halting rule, and what the states mean (TRM: z_H is the answer y, z_L the latent z).
 * The new carry is detached; gradients reach the weights of the calls with gradient (summed over
 * calls of the same network), the embeddings and the heads.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import { type Encoder, writeTensor } from "../gpu/encoder.ts";
import { Tensor } from "../gpu/tensor.ts";
import { addRows, addScaled, fill, scale } from "../ops/elementwise.ts";
import { embeddingBackward, embeddingForward } from "../ops/embedding.ts";
import { linearBackward, linearForward, matmul } from "../ops/matmul.ts";
import { type RopeTables, ropeTables } from "../ops/rope.ts";
import { copyRows } from "../ops/slice.ts";
import { qHeadBackward, qHeadForward } from "../ops/q_head.ts";
import { cast } from "../ops/cast.ts";
import { type ComputeDtype, computeDtype } from "../gpu/variants.ts";
import type { BlockContext, BlockWeights } from "../nn/block.ts";
import { levelBackward, levelForward, type LevelSaved } from "../nn/reasoning_module.ts";
import { haltDecision, type HrmArch, type HrmDims, hrmDims, type ModelKind } from "./dims.ts";
import { blockNames, BUFFER_NAMES, FlatParams, type Level, paramLayout } from "./params.ts";

/** The recurrent state carried between segments (detached). */
export interface InnerCarry {
  /** `[B, T, D]` (TRM: the answer y) */
  z_H: Tensor;
  /** `[B, T, D]` (TRM: the latent z) */
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

/** What {@linkcode ReasoningModel.innerBackward} needs from a forward with gradient. */
export interface InnerSaved {
  /** Sizes of this call. */
  ctx: BlockContext;
  /** The L calls with gradient, in order. */
  L: LevelSaved[];
  /** The last H update. */
  H: LevelSaved;
  /** The segment's final z_H, the heads' input: the carry's tensor, not owned. `[B, T, D]` */
  zH: Tensor;
  /** With puzzle slots (P > 0), the LM head's input z_H[:, P:], a copy. `[B·S, D]` */
  zs: Tensor | undefined;
  /** For the embedding gradients. */
  batch: BatchTensors;
}

/** What distinguishes one recurrence from the other (see the module doc). */
export interface RecurrenceSpec {
  /** `hrm` or `trm`. */
  kind: ModelKind;
  /** The reasoning modules and their block counts (state-dict order). */
  levels: readonly (readonly [Level, number])[];
  /** The network the H update calls. */
  hLevel: Level;
  /** L updates with gradient at the end of the segment (followed by the H update). */
  gradLCalls: number;
  /** Halt when q_halt > 0 with no Q-continue target (TRM); else q_halt > q_continue (HRM). */
  noActContinue: boolean;
  /** What to call z_H and z_L in traces, pictures and reports. */
  stateNames: { z_H: string; z_L: string };
  /** The reference class whose state-dict names the checkpoints use. */
  referenceClass: string;
}

/** The model: weights on the GPU and the forward/backward of one segment. */
export abstract class ReasoningModel {
  /** The device. */
  readonly gpu: Gpu;
  /** Architecture and dataset sizes. */
  readonly arch: HrmArch;
  /** Derived sizes. */
  readonly dims: HrmDims;
  /** The recurrence's defining facts. */
  readonly spec: RecurrenceSpec;
  /** Trainable weights (AdamATan2). */
  readonly params: FlatParams;
  /**
   * The float16 copy of the weights the matmuls read under float16 mixed precision (refreshed
   * from `params` at every segment); undefined in float32.
   */
  readonly half: FlatParams | undefined;
  /** The precision of the matmuls ({@linkcode computeDtype} of arch.forward_dtype). */
  readonly computeDtype: ComputeDtype;
  /** Why the compute dtype differs from arch.forward_dtype, if it does (for logs). */
  readonly dtypeNote: string | undefined;
  /** `[D]` */
  readonly H_init: Tensor;
  /** `[D]` */
  readonly L_init: Tensor;
  /** `[num_puzzle_identifiers, puzzle_emb_ndim]`, when puzzle_emb_ndim > 0 (SignSGD). */
  readonly puzzle_emb: Tensor | undefined;
  readonly #rope: RopeTables | undefined;
  readonly #ones: Tensor;

  /** Allocates the weights (zero-filled; load or initialise them next). */
  constructor(gpu: Gpu, arch: HrmArch, spec: RecurrenceSpec) {
    this.gpu = gpu;
    this.arch = arch;
    this.spec = spec;
    this.dims = hrmDims(arch);
    const align = gpu.limits.minStorageBufferOffsetAlignment / 4;
    const layout = paramLayout(arch, this.dims, align, spec.levels);
    this.params = new FlatParams(gpu, layout, "params");
    const cd = computeDtype(gpu, arch.forward_dtype);
    this.computeDtype = cd.dtype;
    this.dtypeNote = cd.note;
    this.half = cd.dtype === "float16"
      ? new FlatParams(gpu, layout, "params_f16", "f16")
      : undefined;
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

  /** `hrm` or `trm`. */
  get kind(): ModelKind {
    return this.spec.kind;
  }

  /**
   * The halting rule of training (and of adaptive inference): TRM halts when q_halt > 0, HRM
   * when q_halt > q_continue.
   */
  halts(q_halt: number, q_continue: number): boolean {
    return haltDecision(this.spec.noActContinue, q_halt, q_continue);
  }

  /** Block weights of a level, as views into `flat` (params or grads). */
  levelWeights(flat: FlatParams, level: Level): BlockWeights[] {
    const n = this.spec.levels.find(([l]) => l === level)?.[1] ?? 0;
    return Array.from({ length: n }, (_, i) => {
      const b = blockNames(level, i, this.arch.mlp_t);
      const mixer = b.t_gate_up && b.t_down
        ? { mlp_t: { gate_up: flat.get(b.t_gate_up), down: flat.get(b.t_down) } }
        : { qkv: flat.get(b.qkv!), o: flat.get(b.o!) };
      return { ...mixer, gate_up: flat.get(b.gate_up), down: flat.get(b.down) };
    });
  }

  /** Sizes for a call on `B` rows. */
  context(B: number): BlockContext {
    const d = this.dims;
    return {
      B,
      T: d.T,
      D: d.D,
      NH: d.NH,
      HD: d.HD,
      eps: this.arch.rms_norm_eps,
      rope: this.#rope,
      half: this.half !== undefined,
    };
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
   * `[B, T, D]` (_input_embeddings). The puzzle vector is zero-padded to P·D.
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
      const nd = this.arch.puzzle_emb_ndim;
      // Both embeddings write their rows straight into x; only a zero-padded puzzle vector
      // leaves anything to clear.
      if (nd < P * D) fill(enc, x, 0);
      embeddingForward(enc, batch.inputs.reshape([B * S]), Wtok, s, x, {
        rows: S,
        stride: T * D,
        start: P * D,
      });
      embeddingForward(enc, batch.puzzle_identifiers, this.puzzle_emb!, s, x, {
        rows: 1,
        stride: T * D,
        start: 0,
      });
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
    // float16: this segment's matmuls read an f16 copy of the current weights.
    if (this.half) cast(enc, this.params.flat, "f16", this.half.flat);
    const w = this.half ?? this.params;
    const Hw = this.levelWeights(w, this.spec.hLevel);
    const Lw = this.levelWeights(w, "L");
    const { H_cycles, L_cycles } = this.arch;
    // The call schedule, then the trailing calls that keep gradient.
    const calls: ("L" | "H")[] = [];
    for (let h = 0; h < H_cycles; h++) calls.push(...Array<"L">(L_cycles).fill("L"), "H");
    const firstGrad = grad ? calls.length - 1 - this.spec.gradLCalls : calls.length;
    let z_H = carry.z_H, z_L = carry.z_L;
    const Ls: LevelSaved[] = [];
    let Hs: LevelSaved | undefined;
    calls.forEach((call, i) => {
      const save = i >= firstGrad;
      if (call === "L") {
        const r = levelForward(enc, Lw, z_L, [z_H, x], c, save);
        // A saved call's output is the next saved call's state: innerBackward releases it.
        if (!(save && Ls.length > 0)) z_L.release();
        if (r.saved) Ls.push(r.saved);
        z_L = r.z;
      } else {
        const r = levelForward(enc, Hw, z_H, z_L, c, save);
        z_H.release();
        Hs = r.saved;
        z_H = r.z;
      }
    });
    carry.z_H = z_H;
    carry.z_L = z_L;
    const { out, zs } = this.#heads(enc, z_H);
    if (!grad) {
      zs?.release();
      return { out };
    }
    return { out, saved: { ctx: c, L: Ls, H: Hs!, zH: z_H, zs, batch } };
  }

  /** The LM head on z_H[:, P:] (copied out when P > 0) and the Q head on z_H[:, 0]. */
  #heads(enc: Encoder, z_H: Tensor): { out: SegmentOutputs; zs: Tensor | undefined } {
    const { S, P, T, D, V } = this.dims;
    const B = z_H.shape[0];
    let zs: Tensor | undefined;
    if (P > 0) {
      zs = Tensor.empty(this.gpu, [B * S, D], "f32", "lm_head_in");
      copyRows(
        enc,
        z_H,
        { stride: T * D, start: P * D },
        zs,
        { stride: S * D, start: 0 },
        B,
        S * D,
      );
    }
    const lmIn = zs ?? z_H.reshape([B * S, D]);
    const logits = linearForward(enc, lmIn, this.params.get("inner.lm_head.weight"));
    const q = qHeadForward(
      enc,
      z_H,
      this.params.get("inner.q_head.weight"),
      this.params.get("inner.q_head.bias"),
    );
    return { out: { logits: logits.reshape([B, S, V]), ...q }, zs };
  }

  /**
   * Backward of {@linkcode inner} given the loss gradients of its outputs (`dq` `[B, 2]`: of
   * q_halt and q_continue, interleaved like the Q head's output): accumulates into
   * `grads` (same layout as params) and returns d(loss)/d(puzzle slots) `[B, puzzle_emb_ndim]`
   * when the model has a puzzle embedding (for SignSGD). Releases everything saved.
   */
  innerBackward(
    enc: Encoder,
    s: InnerSaved,
    grads: FlatParams,
    dlogits: Tensor,
    dq: Tensor,
  ): Tensor | undefined {
    const { S, P, T, D } = this.dims;
    const B = s.ctx.B;
    // Heads: without puzzle slots the LM head's input gradient is all of dz_H.
    const dzs = linearBackward(
      enc,
      dlogits.reshape([B * S, this.dims.V]),
      s.zs ?? s.zH.reshape([B * S, D]),
      this.params.get("inner.lm_head.weight"),
      grads.get("inner.lm_head.weight"),
    )!;
    let dz_H: Tensor;
    if (P === 0) dz_H = dzs.reshape([B, T, D]);
    else {
      dz_H = Tensor.empty(this.gpu, [B, T, D], "f32", "dz_H");
      fill(enc, dz_H, 0);
      copyRows(
        enc,
        dzs,
        { stride: S * D, start: 0 },
        dz_H,
        { stride: T * D, start: P * D },
        B,
        S * D,
      );
      dzs.release();
      s.zs!.release();
    }
    qHeadBackward(
      enc,
      s.zH,
      this.params.get("inner.q_head.weight"),
      dq,
      dz_H,
      grads.get("inner.q_head.weight"),
      grads.get("inner.q_head.bias"),
    );
    const dx = this.#recurrenceBackward(enc, s, grads, dz_H);
    dz_H.release();
    return this.#embeddingBackward(enc, s.batch, grads, dx);
  }

  /**
   * Back through the calls with gradient: z_H ← H(z_H + z_L) passes its gradient to the last
   * z_L; each z_L ← L(z_L + z_H + x) passes d(input) to x (summed over calls) and to the z_L
   * before it. The states entering the first call with gradient are detached.
   */
  #recurrenceBackward(enc: Encoder, s: InnerSaved, grads: FlatParams, dz_H: Tensor): Tensor {
    const hl = this.spec.hLevel;
    // The f16 copy made by the forward of this segment (the weights have not changed since).
    const w = this.half ?? this.params;
    const Hw = this.levelWeights(w, hl), dHw = this.levelWeights(grads, hl);
    const Lw = this.levelWeights(w, "L"), dLw = this.levelWeights(grads, "L");
    let dz = levelBackward(enc, Hw, dHw, dz_H, s.H, s.ctx);
    let dx: Tensor | undefined;
    for (let i = s.L.length - 1; i >= 0; i--) {
      const dIn = levelBackward(enc, Lw, dLw, dz, s.L[i], s.ctx);
      if (dz !== dx) dz.release();
      // The output of call i was call i+1's state (the last one is the new carry).
      if (i < s.L.length - 1) s.L[i].blocks[s.L[i].blocks.length - 1].h2.release();
      if (dx) addScaled(enc, dx, dIn);
      else dx = dIn;
      dz = dIn;
    }
    if (dz !== dx) dz.release();
    return dx!;
  }

  /** Embedding gradients from d(loss)/dx; returns the puzzle-slot gradient (see innerBackward). */
  #embeddingBackward(
    enc: Encoder,
    batch: BatchTensors,
    grads: FlatParams,
    dx: Tensor,
  ): Tensor | undefined {
    const { S, P, T, D, embedScale } = this.dims;
    const B = batch.inputs.shape[0];
    const learned = this.arch.pos_encodings === "learned";
    const sEmb = learned ? 0.707106781 * embedScale : embedScale;
    if (learned) {
      matmul(enc, this.#onesRow(B), dx.reshape([B, T * D]), {
        out: grads.get("inner.embed_pos.embedding_weight").reshape([1, T * D]),
        alpha: sEmb,
        beta: 1,
      });
    }
    // The token rows are read from dx where they sit (after the P puzzle slots).
    embeddingBackward(
      enc,
      dx,
      batch.inputs.reshape([B * S]),
      grads.get("inner.embed_tokens.embedding_weight"),
      sEmb,
      { rows: S, stride: T * D, start: P * D },
    );
    let dpuz: Tensor | undefined;
    if (P > 0) {
      const nd = this.arch.puzzle_emb_ndim;
      dpuz = Tensor.empty(this.gpu, [B, nd], "f32", "d_puzzle_emb");
      copyRows(enc, dx, { stride: T * D, start: 0 }, dpuz, { stride: nd, start: 0 }, B, nd, {
        scale: sEmb,
      });
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
    this.half?.release();
    this.H_init.release();
    this.L_init.release();
    this.puzzle_emb?.release();
    this.#ones.release();
    this.#rope?.cs.release();
  }
}
