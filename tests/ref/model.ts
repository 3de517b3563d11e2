/**
 * Float64 CPU reference of the two recursive reasoning models' weights and one ACT segment:
 * HRM (sapientinc/HRM models/hrm/hrm_act_v1.py) and TRM (SamsungSAILMontreal/TinyRecursiveModels
 * models/recursive_reasoning/trm.py), which run the same schedule of module calls per segment,
 * with x the input embedding:
 *
 *   for h < H_cycles:  L_cycles × z_L ← L(z_L + z_H + x);  then z_H ← Hnet(z_H + z_L)
 *   logits = lm_head(z_H[:, P:]),  (q_halt, q_continue) = q_head(z_H[:, 0])
 *
 * and differ in three facts ({@linkcode refKind}): Hnet is H_level for HRM and the same L_level
 * for TRM; the calls with gradient are HRM's last L and H call (the 1-step gradient) and TRM's
 * whole last cycle (L_cycles + 1 calls, each adding to the same weights' gradient); blocks mix
 * tokens by attention, or (TRM `mlp_t`) by a SwiGLU across the sequence axis
 * (tests/ref/seq_mlp.ts).
 * TRM's puzzle prefix has `puzzle_emb_len` slots (0: ceil(puzzle_emb_ndim / D), HRM's rule).
 *
 * llm.c style: each layer's backward sits under its forward; the segment's backward walks the
 * calls with gradient in reverse. It knows nothing of lib/model: names and shapes are the
 * references' state-dict keys. The ACT loop, losses, optimizers and EMA are in tests/ref/train.ts.
 *
 * @module
 */
import type { HrmArch } from "../../lib/model/dims.ts";
import { type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { Rng } from "../../datasets/rng.ts";
import { attentionBackwardRef, attentionRef } from "./attention.ts";
import { ropeRef, ropeTablesRef } from "./rope.ts";
import { rmsnormBackwardRef, rmsnormRef } from "./rmsnorm.ts";
import { swigluBackwardRef, swigluRef } from "./swiglu.ts";
import { embeddingBackwardRef, embeddingRef } from "./embedding.ts";
import { linearAccumulateRef, linearRef } from "./matmul.ts";
import { seqMlpBackwardRef, seqMlpRef } from "./seq_mlp.ts";

/** Shapes derived as the references do. */
export interface RefDims {
  /** Vocabulary. */
  V: number;
  /** Sequence length. */
  S: number;
  /** Puzzle slots: puzzle_emb_len, or when 0 ceil(puzzle_emb_ndim / D). */
  P: number;
  /** P + S. */
  T: number;
  /** Hidden size. */
  D: number;
  /** Heads. */
  NH: number;
  /** Head dimension. */
  HD: number;
  /** SwiGLU width over D. */
  F: number;
  /** mlp_t's SwiGLU width over T (0 without mlp_t). */
  Ft: number;
}

/** ceil_to_256(round(expansion·h·2/3)), Python's round() being half-to-even. */
function swigluWidthRef(expansion: number, h: number): number {
  const x = expansion * h * 2 / 3, f = Math.floor(x);
  const r = x - f > 0.5 || (x - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.ceil(r / 256) * 256;
}

/** The references' sizes. */
export function refDims(a: HrmArch): RefDims {
  const D = a.hidden_size;
  const P = a.puzzle_emb_len ? a.puzzle_emb_len : Math.ceil(a.puzzle_emb_ndim / D);
  const T = a.seq_len + P;
  return {
    V: a.vocab_size,
    S: a.seq_len,
    P,
    T,
    D,
    NH: a.num_heads,
    HD: D / a.num_heads,
    F: swigluWidthRef(a.expansion, D),
    Ft: a.mlp_t ? swigluWidthRef(a.expansion, T) : 0,
  };
}

/** The facts HRM and TRM differ in (see the module doc). */
export interface RefKind {
  /** The reasoning modules and their block counts, in state-dict order. */
  levels: ["H" | "L", number][];
  /** The network of the z_H update. */
  hNet: "H" | "L";
  /** Trailing calls of the segment that carry gradient. */
  gradCalls: number;
}

/** HRM (`kind` absent or "hrm") or TRM (`kind` "trm"). */
export function refKind(a: HrmArch): RefKind {
  if (a.kind === "trm") {
    return { levels: [["L", a.L_layers]], hNet: "L", gradCalls: a.L_cycles + 1 };
  }
  return { levels: [["H", a.H_layers], ["L", a.L_layers]], hNet: "H", gradCalls: 2 };
}

/** The trainable parameters (AdamATan2) as `[state-dict name, shape]`. */
export function refParamShapes(a: HrmArch): [string, number[]][] {
  const { V, T, D, F, Ft } = refDims(a);
  const out: [string, number[]][] = [["inner.embed_tokens.embedding_weight", [V, D]]];
  if (a.pos_encodings === "learned") out.push(["inner.embed_pos.embedding_weight", [T, D]]);
  out.push(["inner.lm_head.weight", [V, D]], ["inner.q_head.weight", [2, D]]);
  out.push(["inner.q_head.bias", [2]]);
  for (const [lv, n] of refKind(a).levels) {
    for (let i = 0; i < n; i++) {
      const p = `inner.${lv}_level.layers.${i}`;
      if (a.mlp_t) {
        out.push([`${p}.mlp_t.gate_up_proj.weight`, [2 * Ft, T]]);
        out.push([`${p}.mlp_t.down_proj.weight`, [T, Ft]]);
      } else {
        out.push([`${p}.self_attn.qkv_proj.weight`, [3 * D, D]]);
        out.push([`${p}.self_attn.o_proj.weight`, [D, D]]);
      }
      out.push([`${p}.mlp.gate_up_proj.weight`, [2 * F, D]], [`${p}.mlp.down_proj.weight`, [D, F]]);
    }
  }
  return out;
}

/** Weights and buffers in float64. */
export interface RefModel {
  /** Architecture (`kind` "trm" for TRM). */
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
 * table (the references zero-init the last two; random values exercise them), 1 for H/L_init.
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

/** Gradients by parameter name. */
export type Grads = Map<string, Float64Array>;

/** Zero gradients for every trainable parameter. */
export function zeroGrads(m: RefModel): Grads {
  return new Map([...m.params].map(([k, v]) => [k, new Float64Array(v.length)]));
}

function addArrays(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

// ---- block ----

/** Activations one block keeps for backward. */
interface BlockSaved {
  h0: Float64Array;
  /** Attention: the packed (roped) qkv, the attention output and the residual sum (absent
   * with mlp_t, whose backward recomputes from h0). */
  att?: { qkv: Float64Array; attn: Float64Array; r1: Float64Array };
  h1: Float64Array;
  gu: Float64Array;
  act: Float64Array;
  r2: Float64Array;
}

/** Sizes and tables of one call. */
interface Ctx {
  m: RefModel;
  d: RefDims;
  B: number;
  rope: { cos: Float64Array; sin: Float64Array } | undefined;
}

function context(m: RefModel, B: number): Ctx {
  const d = refDims(m.arch);
  const rope = m.arch.pos_encodings === "rope" && !m.arch.mlp_t
    ? ropeTablesRef(d.T, d.HD, m.arch.rope_theta)
    : undefined;
  return { m, d, B, rope };
}

/** h1 = mix(h0) (attention or mlp_t, residual and norm included); h2 = rms(h1 + SwiGLU(h1)). */
function blockForward(c: Ctx, p: string, h0: Float64Array): { y: Float64Array; s: BlockSaved } {
  const { B, d } = c, N = B * d.T, w = (k: string) => c.m.params.get(`${p}.${k}`)!;
  const eps = c.m.arch.rms_norm_eps;
  const s = { h0 } as BlockSaved;
  if (c.m.arch.mlp_t) {
    const sizes = { B, T: d.T, D: d.D, Ft: d.Ft, eps };
    s.h1 = seqMlpRef(h0, w("mlp_t.gate_up_proj.weight"), w("mlp_t.down_proj.weight"), sizes);
  } else {
    let qkv = linearRef(h0, w("self_attn.qkv_proj.weight"), N, d.D, 3 * d.D);
    if (c.rope) qkv = ropeRef(qkv, B, d.T, d.NH, d.HD, c.rope.cos, c.rope.sin);
    const attn = attentionRef(qkv, B, d.T, d.NH, d.HD).out;
    const r1 = addArrays(h0, linearRef(attn, w("self_attn.o_proj.weight"), N, d.D, d.D));
    s.att = { qkv, attn, r1 };
    s.h1 = rmsnormRef(r1, N, d.D, eps).y;
  }
  s.gu = linearRef(s.h1, w("mlp.gate_up_proj.weight"), N, d.D, 2 * d.F);
  s.act = swigluRef(s.gu, N, d.F);
  s.r2 = addArrays(s.h1, linearRef(s.act, w("mlp.down_proj.weight"), N, d.F, d.D));
  return { y: rmsnormRef(s.r2, N, d.D, eps).y, s };
}

/** Backward of {@linkcode blockForward}: accumulates weight grads, returns d h0. */
function blockBackward(c: Ctx, p: string, g: Grads, dh2: Float64Array, s: BlockSaved) {
  const { B, d } = c, N = B * d.T, eps = c.m.arch.rms_norm_eps;
  const w = (k: string) => c.m.params.get(`${p}.${k}`)!;
  const back = (dy: Float64Array, x: Float64Array, k: string, K: number, M: number) =>
    linearAccumulateRef(dy, x, w(k), g.get(`${p}.${k}`)!, N, K, M);
  const dr2 = rmsnormBackwardRef(dh2, s.r2, N, d.D, eps);
  const dact = back(dr2, s.act, "mlp.down_proj.weight", d.F, d.D);
  const dgu = swigluBackwardRef(dact, s.gu, N, d.F);
  const dh1 = addArrays(back(dgu, s.h1, "mlp.gate_up_proj.weight", d.D, 2 * d.F), dr2);
  if (!s.att) {
    const gu = "mlp_t.gate_up_proj.weight", dn = "mlp_t.down_proj.weight";
    const r = seqMlpBackwardRef(dh1, s.h0, w(gu), w(dn), { B, T: d.T, D: d.D, Ft: d.Ft, eps });
    const add = (k: string, dW: Float64Array) => {
      const G = g.get(`${p}.${k}`)!;
      for (let i = 0; i < G.length; i++) G[i] += dW[i];
    };
    add(gu, r.dWgu);
    add(dn, r.dWd);
    return r.dh0;
  }
  const { qkv, attn, r1 } = s.att!;
  const dr1 = rmsnormBackwardRef(dh1, r1, N, d.D, eps);
  const dattn = back(dr1, attn, "self_attn.o_proj.weight", d.D, d.D);
  let dqkv = attentionBackwardRef(dattn, qkv, B, d.T, d.NH, d.HD);
  if (c.rope) dqkv = ropeRef(dqkv, B, d.T, d.NH, d.HD, c.rope.cos, c.rope.sin, true);
  return addArrays(back(dqkv, s.h0, "self_attn.qkv_proj.weight", d.D, 3 * d.D), dr1);
}

/** A reasoning module: blocks(z + injection). */
function level(c: Ctx, lv: "H" | "L", z: Float64Array, inj: Float64Array) {
  const n = refKind(c.m.arch).levels.find(([l]) => l === lv)![1];
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

// ---- input embedding ----

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

/**
 * x = √D·[puzzle vector zero-padded to P slots | W_tok[inputs]] (·0.707 and + pos when learned)
 * `[B, T, D]`.
 */
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

/**
 * Backward of {@linkcode inputEmbeddingsRef}: adds into the token (and position) gradients and
 * returns d(puzzle vector) per batch row `[B, puzzle_emb_ndim]` (undefined without one).
 */
function inputEmbeddingsBackward(m: RefModel, g: Grads, b: RefBatch, dx: Float64Array) {
  const a = m.arch, { V, S, P, T, D } = refDims(a), B = b.puzzle_identifiers.length;
  const sc = embScale(a);
  const pos = g.get("inner.embed_pos.embedding_weight");
  if (pos) { for (let i = 0; i < B * T * D; i++) pos[i % (T * D)] += sc * dx[i]; }
  const dtok = new Float64Array(B * S * D);
  for (let r = 0; r < B; r++) dtok.set(dx.subarray(r * T * D + P * D, (r + 1) * T * D), r * S * D);
  const dW = embeddingBackwardRef(dtok, b.inputs, V, D, sc);
  const tokG = g.get("inner.embed_tokens.embedding_weight")!;
  for (let i = 0; i < dW.length; i++) tokG[i] += dW[i];
  if (P === 0) return undefined;
  const nd = a.puzzle_emb_ndim, dpuz = new Float64Array(B * nd);
  for (let r = 0; r < B; r++) {
    for (let i = 0; i < nd; i++) dpuz[r * nd + i] = sc * dx[r * T * D + i];
  }
  return dpuz;
}

// ---- segment ----

/** One module call with gradient, as saved for backward. */
interface SavedCall {
  /** Which state it updated: z_L ← L(z_L + z_H + x) or z_H ← Hnet(z_H + z_L). */
  update: "L" | "H";
  saved: BlockSaved[];
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
  saved: { B: number; calls: SavedCall[]; zs: Float64Array; z0: Float64Array };
}

/** The segment's module calls in order (`L` updates z_L, `H` updates z_H). */
function schedule(a: HrmArch): ("L" | "H")[] {
  const out: ("L" | "H")[] = [];
  for (let h = 0; h < a.H_cycles; h++) {
    for (let l = 0; l < a.L_cycles; l++) out.push("L");
    out.push("H");
  }
  return out;
}

/** Runs `calls` from (z_H, z_L); saves activations when `keep`. */
function runCalls(
  c: Ctx,
  calls: ("L" | "H")[],
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
  keep: SavedCall[] | undefined,
) {
  const hNet = refKind(c.m.arch).hNet;
  for (const u of calls) {
    const r = u === "L" ? level(c, "L", z_L, addArrays(z_H, x)) : level(c, hNet, z_H, z_L);
    if (u === "L") z_L = r.z;
    else z_H = r.z;
    keep?.push({ update: u, saved: r.saved });
  }
  return { z_H, z_L };
}

/**
 * The no-grad part of a segment: every call but the trailing ones with gradient (HRM: all but
 * the last L and H call; TRM: the first H_cycles − 1 cycles). Returns the states the calls with
 * gradient start from.
 */
export function noGradCyclesRef(
  m: RefModel,
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
): { z_H: Float64Array; z_L: Float64Array } {
  const c = context(m, x.length / (refDims(m.arch).T * m.arch.hidden_size));
  const calls = schedule(m.arch);
  return runCalls(
    c,
    calls.slice(0, calls.length - refKind(m.arch).gradCalls),
    z_H,
    z_L,
    x,
    undefined,
  );
}

/** The calls with gradient (saved for backward), then the heads. */
export function lastCallsRef(
  m: RefModel,
  z_H: Float64Array,
  z_L: Float64Array,
  x: Float64Array,
): RefSegment {
  const { S, P, T, D, V } = refDims(m.arch), B = x.length / (T * D), c = context(m, B);
  const calls = schedule(m.arch), kept: SavedCall[] = [];
  const z = runCalls(c, calls.slice(calls.length - refKind(m.arch).gradCalls), z_H, z_L, x, kept);
  const zs = new Float64Array(B * S * D), z0 = new Float64Array(B * D);
  for (let r = 0; r < B; r++) {
    zs.set(z.z_H.subarray(r * T * D + P * D, (r + 1) * T * D), r * S * D);
    z0.set(z.z_H.subarray(r * T * D, r * T * D + D), r * D);
  }
  const logits = linearRef(zs, m.params.get("inner.lm_head.weight")!, B * S, D, V);
  const q = linearRef(z0, m.params.get("inner.q_head.weight")!, B, D, 2);
  const bias = m.params.get("inner.q_head.bias")!;
  return {
    z_H: z.z_H,
    z_L: z.z_L,
    logits,
    q_halt: Float64Array.from({ length: B }, (_, r) => q[2 * r] + bias[0]),
    q_continue: Float64Array.from({ length: B }, (_, r) => q[2 * r + 1] + bias[1]),
    saved: { B, calls: kept, zs, z0 },
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

/**
 * Backward of a segment given d(loss)/d(logits, q_halt, q_continue): the weight gradients
 * (summed over every call with gradient) and d(loss)/d(puzzle-embedding vector) `[B,
 * puzzle_emb_ndim]` (one row per batch row, not summed over duplicate ids).
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
    linearAccumulateRef(dy, x, m.params.get(k)!, g.get(k)!, N, D, M);
  const dbias = g.get("inner.q_head.bias")!;
  for (let r = 0; r < B; r++) {
    dq[2 * r] = dq_halt[r];
    dq[2 * r + 1] = dq_continue[r];
    dbias[0] += dq_halt[r];
    dbias[1] += dq_continue[r];
  }
  const dzs = back(Float64Array.from(dlogits), zs, "inner.lm_head.weight", B * S, V);
  const dz0 = back(dq, z0, "inner.q_head.weight", B, 2);
  let dzH: Float64Array = new Float64Array(B * T * D);
  for (let r = 0; r < B; r++) {
    dzH.set(dzs.subarray(r * S * D, (r + 1) * S * D), r * T * D + P * D);
    for (let i = 0; i < D; i++) dzH[r * T * D + i] += dz0[r * D + i];
  }
  // Walk the calls with gradient backwards, holding d(loss)/d(current z_H, z_L). What reaches
  // the states the first call started from (no-grad outputs, or the carry) is dropped.
  let dzL: Float64Array = new Float64Array(B * T * D);
  const dx = new Float64Array(B * T * D);
  const hNet = refKind(a).hNet;
  for (let i = seg.saved.calls.length - 1; i >= 0; i--) {
    const call = seg.saved.calls[i];
    if (call.update === "H") {
      const din = levelBackward(c, hNet, g, dzH, call.saved); // z_H ← Hnet(z_H + z_L)
      dzH = din;
      dzL = addArrays(dzL, din);
    } else {
      const din = levelBackward(c, "L", g, dzL, call.saved); // z_L ← L(z_L + z_H + x)
      dzL = din;
      dzH = addArrays(dzH, din);
      for (let k = 0; k < dx.length; k++) dx[k] += din[k];
    }
  }
  return { grads: g, dpuz: inputEmbeddingsBackward(m, g, batch, dx) };
}
