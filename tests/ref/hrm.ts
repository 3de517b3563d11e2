/**
 * Float64 CPU reference of HRM (models/hrm/hrm_act_v1.py, models/losses.py, pretrain.py
 * train_batch, models/sparse_embedding.py): the input embedding, one ACT segment with all its
 * cycles and the 1-step gradient, the heads, the ACT bookkeeping (carry reset, refill, halting,
 * exploration given as per-row `min_steps`, the Q target from a second no-grad segment), the
 * losses, a hand-written backward (llm.c style: each layer's backward under its forward, chained in
 * reverse), AdamATan2 over every parameter and SignSGD on the puzzle-embedding rows of the batch.
 *
 * It composes the per-op float64 references (attention, RoPE, RMSNorm, SwiGLU, embedding, losses,
 * optimizers in tests/ref/), each checked against finite differences by its own tests; this file
 * is checked against the golden PyTorch fixture and against finite differences of whole segments
 * in tests/model/hrm_ref_test.ts. It knows nothing of lib/model: names and shapes are the
 * reference's state-dict keys.
 *
 * @module
 */
import type { HrmArch } from "../../lib/model/dims.ts";
import type { LossType } from "../../lib/ops/losses.ts";
import { type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { Rng } from "../../datasets/rng.ts";
import { attentionBackwardRef, attentionRef } from "./attention.ts";
import { ropeRef, ropeTablesRef } from "./rope.ts";
import { rmsnormBackwardRef, rmsnormRef } from "./rmsnorm.ts";
import { swigluBackwardRef, swigluRef } from "./swiglu.ts";
import { embeddingBackwardRef, embeddingRef } from "./embedding.ts";
import { bceRef, lmLossRef } from "./losses.ts";
import { adamAtan2Ref, signSgdRef } from "./optim.ts";

/** Shapes derived as the reference does. */
export interface RefDims {
  /** Vocabulary. */
  V: number;
  /** Sequence length. */
  S: number;
  /** Puzzle slots, ceil(puzzle_emb_ndim / D). */
  P: number;
  /** P + S. */
  T: number;
  /** Hidden size. */
  D: number;
  /** Heads. */
  NH: number;
  /** Head dimension. */
  HD: number;
  /** SwiGLU width. */
  F: number;
}

/** The reference's sizes (Python round() is half-to-even; ceil to a multiple of 256). */
export function refDims(a: HrmArch): RefDims {
  const D = a.hidden_size, x = a.expansion * D * 2 / 3, f = Math.floor(x);
  const r = x - f > 0.5 || (x - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const P = a.puzzle_emb_ndim > 0 ? Math.ceil(a.puzzle_emb_ndim / D) : 0;
  return {
    V: a.vocab_size,
    S: a.seq_len,
    P,
    T: a.seq_len + P,
    D,
    NH: a.num_heads,
    HD: D / a.num_heads,
    F: Math.ceil(r / 256) * 256,
  };
}

/** The trainable parameters (AdamATan2) as `[state-dict name, shape]`. */
export function refParamShapes(a: HrmArch): [string, number[]][] {
  const { V, T, D, F } = refDims(a);
  const out: [string, number[]][] = [["inner.embed_tokens.embedding_weight", [V, D]]];
  if (a.pos_encodings === "learned") out.push(["inner.embed_pos.embedding_weight", [T, D]]);
  out.push(["inner.lm_head.weight", [V, D]], ["inner.q_head.weight", [2, D]]);
  out.push(["inner.q_head.bias", [2]]);
  for (const [lv, n] of [["H", a.H_layers], ["L", a.L_layers]] as const) {
    for (let i = 0; i < n; i++) {
      const p = `inner.${lv}_level.layers.${i}`;
      out.push([`${p}.self_attn.qkv_proj.weight`, [3 * D, D]], [`${p}.self_attn.o_proj.weight`, [
        D,
        D,
      ]]);
      out.push([`${p}.mlp.gate_up_proj.weight`, [2 * F, D]], [`${p}.mlp.down_proj.weight`, [D, F]]);
    }
  }
  return out;
}

/** Weights and buffers in float64. */
export interface RefModel {
  /** Architecture. */
  arch: HrmArch;
  /** Trainable parameters by state-dict name. */
  params: Map<string, Float64Array>;
  /** `[D]` */
  H_init: Float64Array;
  /** `[D]` */
  L_init: Float64Array;
  /** `[num_puzzle_identifiers, puzzle_emb_ndim]` when puzzle_emb_ndim > 0. */
  puzzle_emb: Float64Array | undefined;
}

/**
 * Random weights, every value exactly representable in f32 (so a GPU copy starts identical):
 * uniform with std 1/sqrt(fan_in) for linears, 1/sqrt(D) for embeddings, q_head and the puzzle
 * table (the reference zero-inits the last two; random values exercise them), 1 for H/L_init.
 */
export function randomRefModel(
  a: HrmArch,
  seed: number,
  qBias: [number, number] = [0, 0],
): RefModel {
  const rng = new Rng(seed);
  const u = (n: number, std: number) =>
    Float64Array.from({ length: n }, () => Math.fround((rng.float() * 2 - 1) * std * Math.sqrt(3)));
  const params = new Map<string, Float64Array>();
  for (const [name, shape] of refParamShapes(a)) {
    const n = shape.reduce((x, y) => x * y, 1);
    params.set(
      name,
      name.endsWith("bias")
        ? Float64Array.from(qBias, Math.fround)
        : u(n, 1 / Math.sqrt(shape.at(-1)!)),
    );
  }
  const D = a.hidden_size;
  return {
    arch: a,
    params,
    H_init: u(D, 1),
    L_init: u(D, 1),
    puzzle_emb: a.puzzle_emb_ndim > 0
      ? u(a.num_puzzle_identifiers * a.puzzle_emb_ndim, 1 / Math.sqrt(D))
      : undefined,
  };
}

/** A state dict (F32) for loading into the GPU model. */
export function refStateDict(m: RefModel): Map<string, StTensor> {
  const out = new Map<string, StTensor>();
  const put = (k: string, shape: number[], d: Float64Array) =>
    out.set(k, { dtype: "F32", shape, data: Float32Array.from(d) });
  for (const [name, shape] of refParamShapes(m.arch)) put(name, shape, m.params.get(name)!);
  put("inner.H_init", [m.arch.hidden_size], m.H_init);
  put("inner.L_init", [m.arch.hidden_size], m.L_init);
  if (m.puzzle_emb) {
    put(
      "inner.puzzle_emb.weights",
      [m.arch.num_puzzle_identifiers, m.arch.puzzle_emb_ndim],
      m.puzzle_emb,
    );
  }
  return out;
}

/** Weights from a state dict (reference names, any wrapper prefix already stripped). */
export function refModelFromStateDict(a: HrmArch, t: ReadonlyMap<string, StTensor>): RefModel {
  const get = (k: string) => {
    const v = t.get(k);
    if (!v) throw new Error(`state dict has no ${k}`);
    return Float64Array.from(toFloat32(v));
  };
  return {
    arch: a,
    params: new Map(refParamShapes(a).map(([k]) => [k, get(k)])),
    H_init: get("inner.H_init"),
    L_init: get("inner.L_init"),
    puzzle_emb: a.puzzle_emb_ndim > 0 ? get("inner.puzzle_emb.weights") : undefined,
  };
}

/** A deep copy (weights and buffers). */
export function cloneRefModel(m: RefModel): RefModel {
  return {
    arch: m.arch,
    params: new Map([...m.params].map(([k, v]) => [k, v.slice()])),
    H_init: m.H_init.slice(),
    L_init: m.L_init.slice(),
    puzzle_emb: m.puzzle_emb?.slice(),
  };
}

// ---- linear: y = x Wᵀ ----

/** `y [N, M] = x [N, K] · W [M, K]ᵀ` */
function linear(x: Float64Array, W: Float64Array, N: number, K: number, M: number): Float64Array {
  const y = new Float64Array(N * M);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[n * K + k] * W[m * K + k];
      y[n * M + m] = s;
    }
  }
  return y;
}

/** `dW += dyᵀ x`; returns `dx = dy W`. */
function linearBack(
  dy: Float64Array,
  x: Float64Array,
  W: Float64Array,
  dW: Float64Array,
  N: number,
  K: number,
  M: number,
): Float64Array {
  const dx = new Float64Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = dy[n * M + m];
      if (g === 0) continue;
      for (let k = 0; k < K; k++) {
        dW[m * K + k] += g * x[n * K + k];
        dx[n * K + k] += g * W[m * K + k];
      }
    }
  }
  return dx;
}

function addArrays(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

// ---- block ----

/** Activations one block keeps for backward. */
interface BlockSaved {
  h0: Float64Array;
  qkv: Float64Array;
  attn: Float64Array;
  r1: Float64Array;
  h1: Float64Array;
  gu: Float64Array;
  act: Float64Array;
  r2: Float64Array;
}

type Grads = Map<string, Float64Array>;

/** Sizes and tables of one call. */
interface Ctx {
  m: RefModel;
  d: RefDims;
  B: number;
  rope: { cos: Float64Array; sin: Float64Array } | undefined;
}

function context(m: RefModel, B: number): Ctx {
  const d = refDims(m.arch);
  const rope = m.arch.pos_encodings === "rope"
    ? ropeTablesRef(d.T, d.HD, m.arch.rope_theta)
    : undefined;
  return { m, d, B, rope };
}

/** h1 = rms(h0 + o(attn(rope(qkv(h0))))); h2 = rms(h1 + down(silu(gate)·up)). */
function blockForward(c: Ctx, p: string, h0: Float64Array): { y: Float64Array; s: BlockSaved } {
  const { B, d } = c, N = B * d.T, w = (k: string) => c.m.params.get(`${p}.${k}`)!;
  const eps = c.m.arch.rms_norm_eps;
  let qkv = linear(h0, w("self_attn.qkv_proj.weight"), N, d.D, 3 * d.D);
  if (c.rope) qkv = ropeRef(qkv, B, d.T, d.NH, d.HD, c.rope.cos, c.rope.sin);
  const attn = attentionRef(qkv, B, d.T, d.NH, d.HD).out;
  const r1 = addArrays(h0, linear(attn, w("self_attn.o_proj.weight"), N, d.D, d.D));
  const h1 = rmsnormRef(r1, N, d.D, eps).y;
  const gu = linear(h1, w("mlp.gate_up_proj.weight"), N, d.D, 2 * d.F);
  const act = swigluRef(gu, N, d.F);
  const r2 = addArrays(h1, linear(act, w("mlp.down_proj.weight"), N, d.F, d.D));
  return { y: rmsnormRef(r2, N, d.D, eps).y, s: { h0, qkv, attn, r1, h1, gu, act, r2 } };
}

/** Backward of {@linkcode blockForward}: accumulates weight grads, returns d h0. */
function blockBackward(c: Ctx, p: string, g: Grads, dh2: Float64Array, s: BlockSaved) {
  const { B, d } = c, N = B * d.T, eps = c.m.arch.rms_norm_eps;
  const back = (dy: Float64Array, x: Float64Array, k: string, K: number, M: number) =>
    linearBack(dy, x, c.m.params.get(`${p}.${k}`)!, g.get(`${p}.${k}`)!, N, K, M);
  const dr2 = rmsnormBackwardRef(dh2, s.r2, N, d.D, eps);
  const dact = back(dr2, s.act, "mlp.down_proj.weight", d.F, d.D);
  const dgu = swigluBackwardRef(dact, s.gu, N, d.F);
  const dh1 = back(dgu, s.h1, "mlp.gate_up_proj.weight", d.D, 2 * d.F);
  const dr1 = rmsnormBackwardRef(addArrays(dh1, dr2), s.r1, N, d.D, eps);
  const dattn = back(dr1, s.attn, "self_attn.o_proj.weight", d.D, d.D);
  let dqkv = attentionBackwardRef(dattn, s.qkv, B, d.T, d.NH, d.HD);
  if (c.rope) dqkv = ropeRef(dqkv, B, d.T, d.NH, d.HD, c.rope.cos, c.rope.sin, true);
  return addArrays(back(dqkv, s.h0, "self_attn.qkv_proj.weight", d.D, 3 * d.D), dr1);
}

/** A reasoning module: blocks(z + injection). */
function level(c: Ctx, lv: "H" | "L", z: Float64Array, inj: Float64Array) {
  const n = lv === "H" ? c.m.arch.H_layers : c.m.arch.L_layers;
  let h = addArrays(z, inj);
  const saved: BlockSaved[] = [];
  for (let i = 0; i < n; i++) {
    const r = blockForward(c, `inner.${lv}_level.layers.${i}`, h);
    saved.push(r.s);
    h = r.y;
  }
  return { z: h, saved };
}

/** Backward of {@linkcode level}: d(z + injection). */
function levelBackward(c: Ctx, lv: "H" | "L", g: Grads, dz: Float64Array, saved: BlockSaved[]) {
  let d = dz;
  for (let i = saved.length - 1; i >= 0; i--) {
    d = blockBackward(c, `inner.${lv}_level.layers.${i}`, g, d, saved[i]);
  }
  return d;
}

// ---- input embedding, segment, heads ----

/** The examples of a batch. */
export interface RefBatch {
  /** `[B, S]` */
  inputs: Int32Array;
  /** `[B, S]`, −100 = ignore */
  labels: Int32Array;
  /** `[B]` */
  puzzle_identifiers: Int32Array;
}

/** Multiplier of the input embedding: √D, times 1/√2 with learned positions. */
function embScale(a: HrmArch): number {
  return Math.sqrt(a.hidden_size) * (a.pos_encodings === "learned" ? 0.707106781 : 1);
}

/** x = √D·[puzzle slots zero-padded | W_tok[inputs]] (·0.707 and + pos when learned) `[B, T, D]` */
export function inputEmbeddingsRef(m: RefModel, b: RefBatch): Float64Array {
  const a = m.arch, { V, S, P, T, D } = refDims(a), B = b.puzzle_identifiers.length;
  const x = new Float64Array(B * T * D), nd = a.puzzle_emb_ndim;
  const tok = embeddingRef(b.inputs, m.params.get("inner.embed_tokens.embedding_weight")!, V, D, 1);
  const puz = P > 0
    ? embeddingRef(b.puzzle_identifiers, m.puzzle_emb!, a.num_puzzle_identifiers, nd, 1)
    : undefined;
  const pos = m.params.get("inner.embed_pos.embedding_weight");
  const sc = embScale(a);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < T * D; i++) {
      const e = i < P * D ? (i < nd ? puz![r * nd + i] : 0) : tok[r * S * D + i - P * D];
      x[r * T * D + i] = sc * (e + (pos ? pos[i] : 0));
    }
  }
  return x;
}

/** Outputs of one segment. */
export interface RefSegment {
  /** New carry (detached). `[B, T, D]` */
  z_H: Float64Array;
  /** `[B, T, D]` */
  z_L: Float64Array;
  /** `[B, S, V]` */
  logits: Float64Array;
  /** `[B]` */
  q_halt: Float64Array;
  /** `[B]` */
  q_continue: Float64Array;
  /** For {@linkcode segmentBackwardRef}. */
  saved: { B: number; L: BlockSaved[]; H: BlockSaved[]; zs: Float64Array; z0: Float64Array };
}

/**
 * The no-grad part of a segment: every L update but the last and every H update but the last,
 * in the reference's order. Returns the states the two gradient-carrying calls start from.
 */
export function noGradCyclesRef(
  m: RefModel,
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
) {
  const c = context(m, x.length / (refDims(m.arch).T * m.arch.hidden_size));
  const { H_cycles, L_cycles } = m.arch;
  for (let h = 0; h < H_cycles; h++) {
    for (let l = 0; l < L_cycles; l++) {
      if (h < H_cycles - 1 || l < L_cycles - 1) z_L = level(c, "L", z_L, addArrays(z_H, x)).z;
    }
    if (h < H_cycles - 1) z_H = level(c, "H", z_H, z_L).z;
  }
  return { z_H, z_L };
}

/** The 1-step-gradient calls z_L ← L(z_L + z_H + x), z_H ← H(z_H + z_L), then the heads. */
export function lastCallsRef(
  m: RefModel,
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
): RefSegment {
  const { S, P, T, D, V } = refDims(m.arch), B = x.length / (T * D), c = context(m, B);
  const L = level(c, "L", z_L, addArrays(z_H, x));
  const H = level(c, "H", z_H, L.z);
  const zs = new Float64Array(B * S * D), z0 = new Float64Array(B * D);
  for (let r = 0; r < B; r++) {
    zs.set(H.z.subarray(r * T * D + P * D, (r + 1) * T * D), r * S * D);
    z0.set(H.z.subarray(r * T * D, r * T * D + D), r * D);
  }
  const logits = linear(zs, m.params.get("inner.lm_head.weight")!, B * S, D, V);
  const q = linear(z0, m.params.get("inner.q_head.weight")!, B, D, 2);
  const bias = m.params.get("inner.q_head.bias")!;
  return {
    z_H: H.z,
    z_L: L.z,
    logits,
    q_halt: Float64Array.from({ length: B }, (_, r) => q[2 * r] + bias[0]),
    q_continue: Float64Array.from({ length: B }, (_, r) => q[2 * r + 1] + bias[1]),
    saved: { B, L: L.saved, H: H.saved, zs, z0 },
  };
}

/** One whole segment from carry (z_H, z_L) and input embedding x. */
export function segmentRef(
  m: RefModel,
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
): RefSegment {
  const s = noGradCyclesRef(m, z_H, z_L, x);
  return lastCallsRef(m, s.z_H, s.z_L, x);
}

/** Zero gradients for every trainable parameter. */
export function zeroGrads(m: RefModel): Grads {
  return new Map([...m.params].map(([k, v]) => [k, new Float64Array(v.length)]));
}

/**
 * Backward of a segment given d(loss)/d(logits, q_halt, q_continue): the weight gradients and
 * d(loss)/d(puzzle-embedding rows) `[B, puzzle_emb_ndim]` (one row per batch row, not summed).
 */
export function segmentBackwardRef(
  m: RefModel,
  seg: RefSegment,
  batch: RefBatch,
  dlogits: ArrayLike<number>,
  dq_halt: ArrayLike<number>,
  dq_continue: ArrayLike<number>,
): { grads: Grads; dpuz: Float64Array | undefined } {
  const a = m.arch, { S, P, T, D, V } = refDims(a), { B, zs, z0 } = seg.saved;
  const c = context(m, B), g = zeroGrads(m), dq = new Float64Array(2 * B);
  const back = (dy: Float64Array, x: Float64Array, k: string, N: number, M: number) =>
    linearBack(dy, x, m.params.get(k)!, g.get(k)!, N, D, M);
  const dbias = g.get("inner.q_head.bias")!;
  for (let r = 0; r < B; r++) {
    dq[2 * r] = dq_halt[r];
    dq[2 * r + 1] = dq_continue[r];
    dbias[0] += dq_halt[r];
    dbias[1] += dq_continue[r];
  }
  const dzs = back(Float64Array.from(dlogits), zs, "inner.lm_head.weight", B * S, V);
  const dz0 = back(dq, z0, "inner.q_head.weight", B, 2);
  const dzH = new Float64Array(B * T * D);
  for (let r = 0; r < B; r++) {
    dzH.set(dzs.subarray(r * S * D, (r + 1) * S * D), r * T * D + P * D);
    for (let i = 0; i < D; i++) dzH[r * T * D + i] += dz0[r * D + i];
  }
  // z_H ← H(z_H + z_L): z_H's input is no-grad, so the gradient goes on to z_L only; likewise
  // z_L ← L(z_L + z_H + x) passes it to x only.
  const dzL = levelBackward(c, "H", g, dzH, seg.saved.H);
  const dx = levelBackward(c, "L", g, dzL, seg.saved.L);
  const sc = embScale(a);
  const pos = g.get("inner.embed_pos.embedding_weight");
  if (pos) { for (let i = 0; i < B * T * D; i++) pos[i % (T * D)] += sc * dx[i]; }
  const dtok = new Float64Array(B * S * D);
  for (let r = 0; r < B; r++) dtok.set(dx.subarray(r * T * D + P * D, (r + 1) * T * D), r * S * D);
  const dW = embeddingBackwardRef(dtok, batch.inputs, V, D, sc);
  const tokG = g.get("inner.embed_tokens.embedding_weight")!;
  for (let i = 0; i < dW.length; i++) tokG[i] += dW[i];
  let dpuz: Float64Array | undefined;
  if (P > 0) {
    const nd = a.puzzle_emb_ndim;
    dpuz = new Float64Array(B * nd);
    for (let r = 0; r < B; r++) {
      for (let i = 0; i < nd; i++) dpuz[r * nd + i] = sc * dx[r * T * D + i];
    }
  }
  return { grads: g, dpuz };
}

// ---- ACT and the training step ----

/** The ACT carry. */
export interface RefCarry {
  /** `[B, T, D]` */
  z_H: Float64Array;
  /** `[B, T, D]` */
  z_L: Float64Array;
  /** `[B]` */
  steps: Int32Array;
  /** `[B]` 0/1 */
  halted: Int32Array;
  /** The examples being worked on. */
  data: RefBatch;
}

/** The initial carry: every row halted, so the first segment takes the whole batch. */
export function initialCarryRef(m: RefModel, B: number): RefCarry {
  const { S, T, D } = refDims(m.arch);
  return {
    z_H: new Float64Array(B * T * D),
    z_L: new Float64Array(B * T * D),
    steps: new Int32Array(B),
    halted: new Int32Array(B).fill(1),
    data: {
      inputs: new Int32Array(B * S),
      labels: new Int32Array(B * S),
      puzzle_identifiers: new Int32Array(B),
    },
  };
}

/** Halted rows restart from H_init/L_init with steps 0 on the incoming example (reset_carry). */
function actBegin(m: RefModel, c: RefCarry, batch: RefBatch): void {
  const { S, T, D } = refDims(m.arch), B = c.steps.length;
  // Copies, so what a previous step returned is not overwritten.
  c.z_H = c.z_H.slice();
  c.z_L = c.z_L.slice();
  c.data = {
    inputs: c.data.inputs.slice(),
    labels: c.data.labels.slice(),
    puzzle_identifiers: c.data.puzzle_identifiers.slice(),
  };
  for (let r = 0; r < B; r++) {
    if (!c.halted[r]) continue;
    for (let i = 0; i < T * D; i++) {
      c.z_H[r * T * D + i] = m.H_init[i % D];
      c.z_L[r * T * D + i] = m.L_init[i % D];
    }
    c.steps[r] = 0;
    c.data.inputs.set(batch.inputs.subarray(r * S, (r + 1) * S), r * S);
    c.data.labels.set(batch.labels.subarray(r * S, (r + 1) * S), r * S);
    c.data.puzzle_identifiers[r] = batch.puzzle_identifiers[r];
  }
}

/** One evaluation segment (halting only at halt_max_steps); updates the carry. */
export function evalSegmentRef(
  m: RefModel,
  c: RefCarry,
  batch: RefBatch,
): RefSegment & { x: Float64Array } {
  actBegin(m, c, batch);
  const x = inputEmbeddingsRef(m, c.data);
  const seg = segmentRef(m, c.z_H, c.z_L, x);
  c.z_H = seg.z_H;
  c.z_L = seg.z_L;
  for (let r = 0; r < c.steps.length; r++) {
    c.steps[r]++;
    c.halted[r] = c.steps[r] >= m.arch.halt_max_steps ? 1 : 0;
  }
  return { ...seg, x };
}

/** Optimizer settings of one step (the lr already scheduled). */
export interface RefHyper {
  /** AdamATan2 lr. */
  lr: number;
  /** SignSGD lr. */
  puzzle_emb_lr: number;
  /** AdamATan2 decoupled weight decay. */
  weight_decay: number;
  /** SignSGD decoupled weight decay. */
  puzzle_emb_weight_decay: number;
  /** β1. */
  beta1: number;
  /** β2. */
  beta2: number;
}

/** Everything a training run carries besides the weights. */
export interface RefTrainState {
  /** Weights, updated in place. */
  model: RefModel;
  /** The ACT carry. */
  carry: RefCarry;
  /** AdamATan2 moments by name. */
  adam_m: Map<string, Float64Array>;
  /** Second moments. */
  adam_v: Map<string, Float64Array>;
  /** Optimizer steps taken. */
  step: number;
  /** loss.loss_type. */
  lossType: LossType;
}

/** A fresh training state on `B` rows. */
export function newTrainStateRef(model: RefModel, B: number, lossType: LossType): RefTrainState {
  return {
    model,
    carry: initialCarryRef(model, B),
    adam_m: zeroGrads(model),
    adam_v: zeroGrads(model),
    step: 0,
    lossType,
  };
}

/** What one training step computed. */
export interface RefStep {
  /** Input embeddings of the current data. `[B, T, D]` */
  x: Float64Array;
  /** The segment with gradient. */
  seg: RefSegment;
  /** `[B]` */
  target_q_continue: Float64Array | undefined;
  /** `[B]` 0/1 */
  seq_is_correct: Float64Array;
  /** Per-row lm loss (per-sequence mean), BCE q_halt and q_continue. `[B]` */
  lm_loss: Float64Array;
  /** `[B]` */
  q_halt_loss: Float64Array;
  /** `[B]` (zeros when halt_max_steps = 1) */
  q_continue_loss: Float64Array;
  /** Σ lm + 0.5·(Σ q_halt + Σ q_continue), unscaled. */
  total_loss: number;
  /** count, accuracy, exact_accuracy, q_halt_accuracy, steps, lm_loss, q_halt_loss, q_continue_loss (sums). */
  metrics: number[];
  /** Gradients of total_loss / B. */
  grads: Grads;
  /** d(total/B)/d(puzzle rows) per batch row. `[B, puzzle_emb_ndim]` */
  dpuz: Float64Array | undefined;
}

/**
 * One training step (pretrain.py train_batch): ACT forward with gradient, halting with the given
 * exploration `minSteps` (0 = none), the Q target from a second no-grad segment, ACTLossHead's
 * losses, backward of total / B, AdamATan2 on every parameter, SignSGD on the batch's puzzle rows.
 */
export function trainStepRef(
  s: RefTrainState,
  batch: RefBatch,
  h: RefHyper,
  minSteps: ArrayLike<number>,
): RefStep {
  const m = s.model, a = m.arch, c = s.carry, B = c.steps.length, { S, V } = refDims(a);
  actBegin(m, c, batch);
  const x = inputEmbeddingsRef(m, c.data);
  const seg = segmentRef(m, c.z_H, c.z_L, x);
  c.z_H = seg.z_H;
  c.z_L = seg.z_L;
  const isLast = new Int32Array(B);
  for (let r = 0; r < B; r++) {
    c.steps[r]++;
    isLast[r] = c.steps[r] >= a.halt_max_steps ? 1 : 0;
    let halted = isLast[r] === 1;
    if (a.halt_max_steps > 1) {
      halted = (halted || seg.q_halt[r] > seg.q_continue[r]) && c.steps[r] >= minSteps[r];
    }
    c.halted[r] = halted ? 1 : 0;
  }
  let target: Float64Array | undefined;
  if (a.halt_max_steps > 1) {
    const next = segmentRef(m, c.z_H, c.z_L, x);
    target = Float64Array.from({ length: B }, (_, r) => {
      const v = isLast[r] ? next.q_halt[r] : Math.max(next.q_halt[r], next.q_continue[r]);
      return 1 / (1 + Math.exp(-v));
    });
  }
  const gs = 1 / B;
  const lm = lmLossRef(
    seg.logits,
    c.data.labels,
    B,
    S,
    V,
    s.lossType === "stablemax_cross_entropy",
    gs,
  );
  const qh = bceRef(seg.q_halt, lm.seqCorrect, 0.5 * gs);
  const qc = target
    ? bceRef(seg.q_continue, target, 0.5 * gs)
    : { loss: new Float64Array(B), dlogits: new Float64Array(B) };
  const sum = (v: ArrayLike<number>) => Array.from(v).reduce((p, q) => p + q, 0);
  const metrics = new Array(8).fill(0);
  for (let r = 0; r < B; r++) {
    if (c.halted[r] && lm.valid[r] > 0) {
      metrics[0] += 1;
      metrics[1] += lm.correct[r] / lm.valid[r];
      metrics[2] += lm.seqCorrect[r];
      metrics[3] += (seg.q_halt[r] >= 0 ? 1 : 0) === lm.seqCorrect[r] ? 1 : 0;
      metrics[4] += c.steps[r];
    }
  }
  metrics[5] = sum(lm.loss);
  metrics[6] = sum(qh.loss);
  metrics[7] = sum(qc.loss);
  const { grads, dpuz } = segmentBackwardRef(m, seg, c.data, lm.dlogits, qh.dlogits, qc.dlogits);
  s.step++;
  for (const [name, p] of m.params) {
    adamAtan2Ref({ p, m: s.adam_m.get(name)!, v: s.adam_v.get(name)! }, grads.get(name)!, {
      lr: h.lr,
      beta1: h.beta1,
      beta2: h.beta2,
      weightDecay: h.weight_decay,
      step: s.step,
    });
  }
  if (dpuz) {
    signSgdRef(
      m.puzzle_emb!,
      a.num_puzzle_identifiers,
      a.puzzle_emb_ndim,
      c.data.puzzle_identifiers,
      dpuz,
      {
        lr: h.puzzle_emb_lr,
        weightDecay: h.puzzle_emb_weight_decay,
      },
    );
  }
  return {
    x,
    seg,
    target_q_continue: target,
    seq_is_correct: lm.seqCorrect,
    lm_loss: lm.loss,
    q_halt_loss: qh.loss,
    q_continue_loss: qc.loss,
    total_loss: metrics[5] + 0.5 * (metrics[6] + metrics[7]),
    metrics,
    grads,
    dpuz,
  };
}

/**
 * The scaled training loss `(Σ lm + 0.5·(Σ q_halt + Σ q_continue)) / B` of a segment's outputs
 * with the no-grad targets held fixed, for finite-difference checks.
 */
export function segmentLossRef(
  m: RefModel,
  seg: RefSegment,
  labels: Int32Array,
  lossType: LossType,
  seqCorrect: ArrayLike<number>,
  target: ArrayLike<number> | undefined,
): number {
  const { S, V } = refDims(m.arch), B = seg.q_halt.length;
  const lm = lmLossRef(seg.logits, labels, B, S, V, lossType === "stablemax_cross_entropy", 1);
  const sum = (v: ArrayLike<number>) => Array.from(v).reduce((p, q) => p + q, 0);
  const qh = sum(bceRef(seg.q_halt, seqCorrect, 1).loss);
  const qc = target ? sum(bceRef(seg.q_continue, target, 1).loss) : 0;
  return (sum(lm.loss) + 0.5 * (qh + qc)) / B;
}
