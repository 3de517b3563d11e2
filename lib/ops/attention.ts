/**
 * Non-causal multi-head softmax attention (models/layers.py `Attention`, scale 1/sqrt(HD)) on a
 * packed `qkv [B, T, 3·NH·HD]` laid out `[q heads | k heads | v heads]`, each head HD contiguous
 * values (as `qkv_proj`'s output viewed `[B, T, 3·NH, HD]`), with the rotary position embedding
 * (lib/ops/rope.ts) applied inside the kernels: given RoPE tables, the forward rotates q and k as
 * it loads them from the un-rotated qkv and, when a backward follows, stores each row's rotated
 * q, k (and its v) once for it (in place of qkv: the same memory); the backward reads those and
 * sends dq and dk back through the transposed rotation as it stores them. So RoPE needs no pass of
 * its own and the backward's dqkv is the gradient of qkv_proj's output. (The backward does not
 * rotate what it loads: on llvmpipe every table load inside the key loop is a per-lane gather,
 * which made a rotating backward 1.4–1.9× slower at sudoku-cpu's shape.) The forward walks the keys once per
 * query row with an online max/sum and saves only `lse [B, NH, T]`; the backward recomputes the
 * probabilities from it — first dq and `D_i = rowsum(dO·O)` per query row, then dk and dv per key
 * row — so no `[T, T]` matrix and no atomics, whatever T is.
 *
 * Two kernel families compute this (both pass the same parity tests):
 * - `rows` (kernels/attention_rows*.wgsl), the default on every adapter
 *   ({@linkcode defaultAttentionVariant}): each invocation keeps its rows in named registers with
 *   the head dimension baked in, loads vec4s and covers the grid densely; a head dimension that
 *   is not a multiple of 4 (with RoPE: of 8) runs zero-padded to one (copies in and out; no HRM
 *   config has one).
 *   Measured (bench/attention.ts, fwd+bwd): 12–28× faster than flash on llvmpipe at HRM's CPU
 *   shapes (4–5× at paper width), 5–23× on an H200 from T 16 to T 901 (ARC).
 * - `flash` (kernels/attention.wgsl, attention_bwd_dq.wgsl, attention_bwd_dkv.wgsl): per-thread
 *   arrays sized for HD_MAX and optional workgroup-memory tiles of keys
 *   ({@linkcode flashAttentionVariant}); kept as the tiled alternative for comparison. Not for
 *   long sequences on llvmpipe, which silently ends a shader's loops after 65535 iterations in
 *   total (gallivm's loop limiter): its nested loops over HD reach that near T ≈ 200 at HD 32
 *   (see {@linkcode LLVMPIPE_LOOP_LIMIT}).
 *
 * @module
 */
import ropeSrc from "../../kernels/attention_rope.wgsl" with { type: "text" };
import fwdSrc from "../../kernels/attention.wgsl" with { type: "text" };
import dqSrc from "../../kernels/attention_bwd_dq.wgsl" with { type: "text" };
import dkvSrc from "../../kernels/attention_bwd_dkv.wgsl" with { type: "text" };
import rowsSrc from "../../kernels/attention_rows.wgsl" with { type: "text" };
import rowsFwdSrc from "../../kernels/attention_rows_fwd.wgsl" with { type: "text" };
import rowsBwdSrc from "../../kernels/attention_rows_bwd.wgsl" with { type: "text" };
import type { Gpu } from "../gpu/device.ts";
import { type Encoder, f32, type Params } from "../gpu/encoder.ts";
import { grid1d } from "../gpu/grid.ts";
import type { Constants } from "../gpu/pipelines.ts";
import { Tensor } from "../gpu/tensor.ts";
import { isSoftwareAdapter } from "../gpu/variants.ts";
import { fill } from "./elementwise.ts";
import type { RopeTables } from "./rope.ts";
import { copyRows } from "./slice.ts";

// The flash kernels share attention_rope.wgsl (RoPE on load and store), prepended.
const FWD = { source: ropeSrc + fwdSrc, file: "attention", entry: "attention_fwd" };
const BWD_DQ = { source: ropeSrc + dqSrc, file: "attention_bwd_dq", entry: "attention_bwd_dq" };
const BWD_DKV = {
  source: ropeSrc + dkvSrc,
  file: "attention_bwd_dkv",
  entry: "attention_bwd_dkv",
};
// The rows kernels share attention_rows.wgsl (Row blocks, loads, RoPE, grid slots), prepended.
const ROWS_FWD = {
  source: rowsSrc + rowsFwdSrc,
  file: "attention_rows_fwd",
  entry: "attention_rows_fwd",
};
const ROWS_BWD = rowsSrc + rowsBwdSrc;
const ROWS_DQ = { source: ROWS_BWD, file: "attention_rows_bwd", entry: "attention_rows_bwd_dq" };
const ROWS_DKV = { source: ROWS_BWD, file: "attention_rows_bwd", entry: "attention_rows_bwd_dkv" };

/** The largest head dimension the kernels hold in per-thread state (`HD_MAX` in the WGSL). */
export const ATTENTION_MAX_HD = 64;

/** The most rows one invocation of the flash kernels can own (`QR_MAX` in the WGSL). */
export const ATTENTION_MAX_QR = 4;

/** The most rows one invocation of the rows kernels can own. */
export const ATTENTION_ROWS_MAX_QR = 8;

/**
 * Loop iterations llvmpipe runs per shader invocation, all loops together, before it silently
 * leaves them (gallivm's `LP_MAX_TGSI_LOOP_ITERATIONS`). On software adapters the ops reject a
 * variant whose loops could exceed it rather than return truncated sums.
 */
export const LLVMPIPE_LOOP_LIMIT = 65535;

/** Geometry of the flash kernels. */
export interface FlashAttentionVariant {
  /** The kernel family. */
  kind: "flash";
  /** Invocations per workgroup. */
  wg: number;
  /** Query (forward, dq) or key (dk, dv) rows per invocation, 1..{@linkcode ATTENTION_MAX_QR}. */
  qr: number;
  /** Rows staged per workgroup-memory tile; 0 reads straight from the storage buffers. */
  kt: number;
  /**
   * Bake HD into the pipeline (constant loop bounds: the compiler unrolls them and keeps the
   * per-row arrays in registers — right for real GPUs). When false HD is read from the uniforms,
   * which keeps Mesa's llvmpipe from unrolling: its compile time for unrolled loops over
   * dynamically indexed arrays is erratic (1 s at HD 16, 80 s at HD 32). Tiles need it true.
   */
  fixedHd: boolean;
}

/** Geometry of the rows kernels (HD, rounded up to a multiple of 4, baked into the pipeline). */
export interface RowsAttentionVariant {
  /** The kernel family. */
  kind: "rows";
  /** Invocations per workgroup. */
  wg: number;
  /**
   * Query (forward, dq) or key (dk, dv) rows per invocation, 1..{@linkcode ATTENTION_ROWS_MAX_QR}:
   * each loaded row serves this many, and compile time grows with HD·qr.
   */
  qr: number;
}

/** Kernel family and geometry of the attention ops. */
export type AttentionVariant = FlashAttentionVariant | RowsAttentionVariant;

/** Bytes of workgroup memory a flash variant needs (the dk/dv kernel's tiles, the largest). */
function tileBytes(kt: number, HD: number): number {
  return (2 * Math.max(kt, 1) * HD + 2 * Math.max(kt, 1)) * 4;
}

/**
 * The default geometry: the rows kernels everywhere. Software adapters: as many rows per
 * invocation as keep HD·qr <= 128 (each loaded row serves qr rows, and llvmpipe's scalarised
 * loads dominate; Mesa's compile time grows fast with HD·qr: 1–3.5 s per kernel at 128, up to
 * 9 s at 256). Real GPUs: one row per invocation (more parallelism, state in registers: qr 1 was
 * 6–12× faster than the per-HD qr on an H200).
 *
 * @param gpu The device.
 * @param HD Head dimension.
 * @returns The variant the attention ops use when none is given.
 *
 * @example The software adapter's choice at HRM's CPU widths
 * ```ts ignore
 * defaultAttentionVariant(gpu, 16); // { kind: "rows", wg: 64, qr: 8 } on llvmpipe
 * defaultAttentionVariant(gpu, 64); // { kind: "rows", wg: 64, qr: 2 } on llvmpipe
 * ```
 */
export function defaultAttentionVariant(gpu: Gpu, HD: number): RowsAttentionVariant {
  if (!isSoftwareAdapter(gpu)) return { kind: "rows", wg: 64, qr: 1 };
  const qr = Math.floor(128 / rowsHd(HD, false));
  return { kind: "rows", wg: 64, qr: Math.max(1, Math.min(ATTENTION_ROWS_MAX_QR, qr)) };
}

/**
 * The flash kernels' geometry for this device (the default before the rows kernels; benchmarks
 * and tests compare against it). Software adapters: 4 rows per invocation (each loaded k/v row
 * serves 4) and HD from the uniforms, no tiles. Real GPUs: a row per invocation, HD baked in and
 * tiles of up to 64 rows (as many as the device's workgroup memory holds at this head
 * dimension).
 *
 * @param gpu The device.
 * @param HD Head dimension.
 * @returns A flash variant that fits the device.
 *
 * @example Compare with the default
 * ```ts ignore
 * const flash = attentionForward(enc, qkv, NH, HD, flashAttentionVariant(gpu, HD));
 * ```
 */
export function flashAttentionVariant(gpu: Gpu, HD: number): FlashAttentionVariant {
  if (isSoftwareAdapter(gpu)) return { kind: "flash", wg: 16, qr: 4, kt: 0, fixedHd: false };
  const fit = Math.floor(gpu.limits.maxComputeWorkgroupStorageSize / tileBytes(1, HD));
  return { kind: "flash", wg: 64, qr: 1, kt: Math.max(0, Math.min(64, fit)), fixedHd: true };
}

function dims(
  op: string,
  qkv: Tensor,
  NH: number,
  HD: number,
  rope: RopeTables | undefined,
): [number, number] {
  const [B, T, C] = qkv.shape;
  if (
    qkv.shape.length !== 3 || !(NH >= 1 && Number.isInteger(NH)) ||
    !(HD >= 1 && HD <= ATTENTION_MAX_HD && Number.isInteger(HD)) || C !== 3 * NH * HD ||
    !(B >= 1 && T >= 1)
  ) {
    throw new RangeError(
      `${op}: ${qkv.label} [${qkv.shape}] does not fit NH=${NH}, HD=${HD} ` +
        `(want [B, T, ${3 * NH * HD}], 1 <= HD <= ${ATTENTION_MAX_HD})`,
    );
  }
  if (rope && (rope.HD !== HD || rope.T < T)) {
    throw new RangeError(
      `${op}: RoPE tables [T=${rope.T}, HD=${rope.HD}] do not cover ${qkv.label} ` +
        `[${qkv.shape}] (want HD=${HD}, T >= ${T})`,
    );
  }
  return [B, T];
}

/**
 * The head dimension the rows kernels run at: HD rounded up to a multiple of 4 (vec4 loads); with
 * RoPE each half rounded up to one (vec4 c of the first half pairs with vec4 c of the second).
 */
function rowsHd(HD: number, rope: boolean): number {
  return rope ? Math.ceil(HD / 8) * 8 : Math.ceil(HD / 4) * 4;
}

/**
 * An upper bound on the loop iterations one invocation runs, all loops together (what llvmpipe
 * limits). Flash: per key row the k/v load loop, and per owned row the dot, rescale and
 * accumulate loops over HD (the dk/dv kernel is alike; tiles add at most one per element), plus
 * the loops before and after. Rows: one loop over the keys, plus the store loops.
 */
function loopIterations(v: AttentionVariant, T: number, HD: number): number {
  if (v.kind === "rows") return T + 2 * v.qr * (rowsHd(HD, true) / 4) + 1;
  return T * (2 + HD * (2 + 3 * v.qr) + v.qr) + 4 * v.qr * (HD + 1) + 1;
}

function checkVariant(gpu: Gpu, v: AttentionVariant, T: number, HD: number): void {
  const wgOk = Number.isInteger(v.wg) && v.wg >= 1 &&
    v.wg <= gpu.limits.maxComputeInvocationsPerWorkgroup;
  if (v.kind === "rows") {
    if (!wgOk || !(Number.isInteger(v.qr) && v.qr >= 1 && v.qr <= ATTENTION_ROWS_MAX_QR)) {
      throw new RangeError(
        `attention: rows variant wg=${v.wg} qr=${v.qr} is invalid (want 1 <= qr <= ` +
          `${ATTENTION_ROWS_MAX_QR}, 1 <= wg <= ${gpu.limits.maxComputeInvocationsPerWorkgroup})`,
      );
    }
  } else {
    const bytes = tileBytes(v.kt, HD);
    if (
      !wgOk || !(Number.isInteger(v.qr) && v.qr >= 1 && v.qr <= ATTENTION_MAX_QR) ||
      !(Number.isInteger(v.kt) && v.kt >= 0) || (v.kt > 0 && !v.fixedHd) ||
      bytes > gpu.limits.maxComputeWorkgroupStorageSize
    ) {
      throw new RangeError(
        `attention: variant wg=${v.wg} qr=${v.qr} kt=${v.kt} fixedHd=${v.fixedHd} is invalid or ` +
          `does not fit the device (HD=${HD}, ` +
          `${bytes} of ${gpu.limits.maxComputeWorkgroupStorageSize} bytes of workgroup memory)`,
      );
    }
  }
  const loops = loopIterations(v, T, HD);
  if (isSoftwareAdapter(gpu) && loops > LLVMPIPE_LOOP_LIMIT) {
    throw new RangeError(
      `attention: the ${v.kind} variant ${JSON.stringify(v)} may run ${loops} loop iterations ` +
        `per invocation at T=${T}, HD=${HD}; llvmpipe silently stops after ` +
        `${LLVMPIPE_LOOP_LIMIT} (use the rows kernels, the default)`,
    );
  }
}

interface Launch {
  constants: Constants;
  params: Params;
  workgroups: readonly [number, number?, number?];
}

// Both families take the same uniforms (the rows kernels see the padded head dimension, the scale
// stays 1/sqrt(HD)); the grids differ: the flash kernels put heads and batch rows on y and z (a
// workgroup per row block of one head), the rows kernels flatten everything.
function launch(
  gpu: Gpu,
  v: AttentionVariant,
  B: number,
  T: number,
  NH: number,
  HD: number,
  rope: boolean,
): Launch {
  const scale = f32(1 / Math.sqrt(HD));
  if (v.kind === "rows") {
    const hd = rowsHd(HD, rope);
    return {
      constants: { HD: hd, WG: v.wg, QR: v.qr, ROPE: rope },
      params: [B, T, NH, hd, scale],
      workgroups: grid1d(gpu, B * NH * Math.ceil(T / v.qr), v.wg),
    };
  }
  return {
    constants: { HD: v.fixedHd ? HD : 0, WG: v.wg, QR: v.qr, KT: v.kt, ROPE: rope },
    params: [B, T, NH, HD, scale],
    workgroups: [Math.ceil(T / (v.wg * v.qr)), NH, B],
  };
}

/**
 * The rows kernels' view of rows of HD values when HD is not the head dimension `hd` they run at:
 * `pad` copies `t` (rows of HD values, the last axis a whole number of rows) into a zero-filled
 * tensor of rows of `hd` (released after submit), `unpad` copies such a tensor back into `t` and
 * releases it. With RoPE each half of a row is padded on its own, so that value j still pairs
 * with value j + hd/2; every tensor of a call (qkv, out, dout, the RoPE table) uses one layout.
 */
function padding(enc: Encoder, HD: number, hd: number, rope: boolean) {
  // [from, to, length] of the parts of a row that move.
  const parts = rope ? [[0, 0, HD / 2], [HD / 2, hd / 2, HD / 2]] : [[0, 0, HD]];
  return {
    pad(t: Tensor): Tensor {
      const shape = [...t.shape.slice(0, -1), (t.shape.at(-1)! / HD) * hd];
      const p = Tensor.empty(enc.gpu, shape, "f32", `${t.label}.padded`);
      fill(enc, p, 0);
      for (const [from, to, len] of parts) {
        copyRows(
          enc,
          t,
          { stride: HD, start: from },
          p,
          { stride: hd, start: to },
          t.size / HD,
          len,
        );
      }
      enc.releaseAfterSubmit(p);
      return p;
    },
    unpad(p: Tensor, t: Tensor): void {
      for (const [from, to, len] of parts) {
        copyRows(
          enc,
          p,
          { stride: hd, start: to },
          t,
          { stride: HD, start: from },
          t.size / HD,
          len,
        );
      }
      enc.releaseAfterSubmit(p);
    },
  };
}

/** Options of {@linkcode attentionForward} and {@linkcode attentionBackward}. */
export interface AttentionOptions {
  /**
   * Rotate q and k by position (HRM's `pos_encodings: rope`): tables for at least T positions at
   * this head dimension. Without them q and k are used as they are (learned or no positions).
   */
  rope?: RopeTables;
  /** Kernel family and geometry (default {@linkcode defaultAttentionVariant}). */
  variant?: AttentionVariant;
}

/** Options of {@linkcode attentionForward}. */
export interface AttentionForwardOptions extends AttentionOptions {
  /** A backward follows: also return what it takes as its qkv (`saved`). */
  save?: boolean;
}

/**
 * Forward: `out = softmax(q' k'ᵀ / sqrt(HD)) v` per (batch row, head), heads concatenated, where
 * q', k' are q, k rotated by RoPE when `opts.rope` is given (q, k otherwise).
 *
 * @param enc The encoder to record into.
 * @param qkv Packed projections `[B, T, 3·NH·HD]` (qkv_proj's output; not rotated).
 * @param NH Number of heads.
 * @param HD Head dimension (at most {@linkcode ATTENTION_MAX_HD}).
 * @param opts RoPE tables, the kernel variant, and whether a backward follows.
 * @returns `out [B, T, NH·HD]` and `lse [B, NH, T]`, new pooled tensors, and with `opts.save`
 *   `saved`, the qkv the backward takes: with RoPE a new tensor holding the rotated q and k and v
 *   (qkv itself is then no longer needed), else qkv itself.
 * @throws {RangeError} naming the shapes when qkv does not fit NH and HD or the RoPE tables, or
 *   the variant when it is invalid for the device or HD.
 *
 * @example One attention layer's core, with RoPE
 * ```ts ignore
 * const fwd = attentionForward(enc, qkv, 8, 64, { rope, save: true });
 * qkv.release(); // the backward takes fwd.saved
 * ```
 */
export function attentionForward(
  enc: Encoder,
  qkv: Tensor,
  NH: number,
  HD: number,
  opts: AttentionForwardOptions = {},
): { out: Tensor; lse: Tensor; saved?: Tensor } {
  const { rope } = opts;
  const [B, T] = dims("attentionForward", qkv, NH, HD, rope);
  const variant = opts.variant ?? defaultAttentionVariant(enc.gpu, HD);
  checkVariant(enc.gpu, variant, T, HD);
  const out = Tensor.empty(enc.gpu, [B, T, NH * HD], "f32", "attention.out"); // [B, T, NH*HD]
  const lse = Tensor.empty(enc.gpu, [B, NH, T], "f32", "attention.lse"); // [B, NH, T]
  const rotate = opts.save === true && rope !== undefined;
  // [B, T, 3*NH*HD]: rotated q, k and v
  const rot = rotate ? Tensor.empty(enc.gpu, qkv.shape, "f32", "attention.qkv.rotated") : undefined;
  const saved = opts.save ? rot ?? qkv : undefined;
  const l = launch(enc.gpu, variant, B, T, NH, HD, rope !== undefined);
  l.constants = { ...l.constants, SAVE: rotate };
  // Bindings the kernel never reads (no RoPE) or writes (no save) take a tensor already bound.
  if (variant.kind === "flash") {
    const bindings = [qkv, rope?.cs ?? qkv, out, lse, rot ?? out];
    enc.dispatch({ kernel: FWD, bindings, ...l });
    return { out, lse, saved };
  }
  const hd = rowsHd(HD, rope !== undefined);
  if (hd === HD) {
    enc.dispatch({
      kernel: ROWS_FWD,
      bindings: [qkv, rope?.cs ?? qkv, out, lse, rot ?? out],
      ...l,
    });
    return { out, lse, saved };
  }
  const { pad, unpad } = padding(enc, HD, hd, rope !== undefined);
  const outP = Tensor.empty(enc.gpu, [B, T, NH * hd], "f32", "attention.out.padded");
  const rotP = rot && Tensor.empty(enc.gpu, [B, T, 3 * NH * hd], "f32", "attention.rot.padded");
  const qkvP = pad(qkv);
  enc.dispatch({
    kernel: ROWS_FWD,
    bindings: [qkvP, rope ? pad(rope.cs) : qkvP, outP, lse, rotP ?? outP],
    ...l,
  });
  unpad(outP, out);
  if (rot && rotP) unpad(rotP, rot);
  return { out, lse, saved };
}

/**
 * Backward: the gradient with respect to the packed qkv (qkv_proj's output: with RoPE, dq and dk
 * have been through the transposed rotation).
 *
 * @param enc The encoder to record into.
 * @param dout Gradient of the output `[B, T, NH·HD]`.
 * @param qkv The forward's `saved` (with RoPE: q and k rotated).
 * @param out The forward's output.
 * @param lse The forward's `lse [B, NH, T]`.
 * @param NH Number of heads.
 * @param HD Head dimension.
 * @param opts The forward's RoPE tables, and the kernel variant.
 * @returns `dqkv [B, T, 3·NH·HD]`, a new pooled tensor (every element written).
 * @throws {RangeError} naming the shapes when the tensors disagree, or the variant when it is
 *   invalid for the device or HD.
 *
 * @example Back through attention and RoPE
 * ```ts ignore
 * const dqkv = attentionBackward(enc, dout, fwd.saved!, fwd.out, fwd.lse, 8, 64, { rope });
 * ```
 */
export function attentionBackward(
  enc: Encoder,
  dout: Tensor,
  qkv: Tensor,
  out: Tensor,
  lse: Tensor,
  NH: number,
  HD: number,
  opts: AttentionOptions = {},
): Tensor {
  const { rope } = opts;
  const [B, T] = dims("attentionBackward", qkv, NH, HD, rope);
  const variant = opts.variant ?? defaultAttentionVariant(enc.gpu, HD);
  checkVariant(enc.gpu, variant, T, HD);
  const want = `${[B, T, NH * HD]}`;
  if (`${dout.shape}` !== want || `${out.shape}` !== want || `${lse.shape}` !== `${[B, NH, T]}`) {
    throw new RangeError(
      `attentionBackward: dout [${dout.shape}], out [${out.shape}], lse [${lse.shape}] do not ` +
        `match qkv [${qkv.shape}] (want dout = out = [${want}], lse = [${[B, NH, T]}])`,
    );
  }
  const dqkv = Tensor.empty(enc.gpu, qkv.shape, "f32", "attention.dqkv"); // [B, T, 3*NH*HD]
  const delta = Tensor.empty(enc.gpu, [B, NH, T], "f32", "attention.delta"); // [B, NH, T]
  const l = launch(enc.gpu, variant, B, T, NH, HD, rope !== undefined);
  enc.releaseAfterSubmit(delta);
  const table = rope?.cs ?? qkv; // never read without RoPE
  if (variant.kind === "flash") {
    enc.dispatch({ kernel: BWD_DQ, bindings: [qkv, table, out, dout, lse, delta, dqkv], ...l });
    enc.dispatch({ kernel: BWD_DKV, bindings: [qkv, table, dout, lse, delta, dqkv], ...l });
    return dqkv;
  }
  const hd = rowsHd(HD, rope !== undefined);
  let bindings = [qkv, table, out, dout, lse, delta, dqkv];
  if (hd !== HD) {
    const { pad, unpad } = padding(enc, HD, hd, rope !== undefined);
    const qkvP = pad(qkv);
    const dqkvP = Tensor.empty(enc.gpu, [B, T, 3 * NH * hd], "f32", "attention.dqkv.padded");
    bindings = [qkvP, rope ? pad(rope.cs) : qkvP, pad(out), pad(dout), lse, delta, dqkvP];
    enc.dispatch({ kernel: ROWS_DQ, bindings, ...l });
    enc.dispatch({ kernel: ROWS_DKV, bindings, ...l });
    unpad(dqkvP, dqkv);
    return dqkv;
  }
  enc.dispatch({ kernel: ROWS_DQ, bindings, ...l });
  enc.dispatch({ kernel: ROWS_DKV, bindings, ...l });
  return dqkv;
}
