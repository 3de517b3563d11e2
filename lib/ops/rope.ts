/**
 * Rotary position embedding (models/layers.py `RotaryEmbedding`, `apply_rotary_pos_emb`), the
 * rotate-half (non-interleaved) form: element j of a head pairs with j + HD/2. Applied in place to
 * the q and k heads of a packed `qkv [B, T, 3·NH·HD]` laid out `[q heads | k heads | v heads]`,
 * each head HD contiguous values, at positions 0..T−1 (puzzle slots first, then grid cells).
 *
 * @module
 */
import src from "../../kernels/rope.wgsl" with { type: "text" };
import type { Gpu } from "../gpu/device.ts";
import { type Encoder, upload } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";

const WG = 64;
const FWD = { source: src, file: "rope", entry: "rope_fwd" };
const BWD = { source: src, file: "rope", entry: "rope_bwd" };

/** cos/sin tables for positions 0..T−1 (release both tensors when done). */
export interface RopeTables {
  /** `cos(t·inv_freq)` duplicated over both halves. */
  cos: Tensor; // [T, HD]
  /** `sin(t·inv_freq)` duplicated over both halves. */
  sin: Tensor; // [T, HD]
  /** Number of positions. */
  T: number;
  /** Head dimension. */
  HD: number;
}

/**
 * Builds the tables as the reference does, `inv_freq[i] = 1/theta^(2i/HD)`, `emb =
 * cat(freqs, freqs)`, but in float64 before rounding to f32 (the reference computes the angle in
 * f32, which moves it by up to 2e-6 rad at T = 82 and 4e-5 rad at T = 916).
 *
 * @param gpu The device.
 * @param T Number of positions (HRM: seq_len + puzzle_emb_len).
 * @param HD Head dimension (even).
 * @param theta RoPE base (HRM: 10000).
 * @returns The uploaded tables; the caller releases `cos` and `sin`.
 * @throws {RangeError} when HD is odd or T < 1.
 *
 * @example Tables for the golden config
 * ```ts ignore
 * const tables = ropeTables(gpu, 81, 16, 10000);
 * ```
 */
export function ropeTables(gpu: Gpu, T: number, HD: number, theta: number): RopeTables {
  if (!(Number.isInteger(T) && T >= 1 && Number.isInteger(HD) && HD >= 2 && HD % 2 === 0)) {
    throw new RangeError(`ropeTables: need T >= 1 and an even HD >= 2, got T=${T} HD=${HD}`);
  }
  const cos = new Float32Array(T * HD), sin = new Float32Array(T * HD);
  const half = HD / 2;
  for (let i = 0; i < half; i++) {
    const invFreq = 1 / theta ** (2 * i / HD);
    for (let t = 0; t < T; t++) {
      const a = t * invFreq;
      cos[t * HD + i] = cos[t * HD + i + half] = Math.cos(a);
      sin[t * HD + i] = sin[t * HD + i + half] = Math.sin(a);
    }
  }
  return {
    cos: upload(gpu, cos, [T, HD], "f32", "rope.cos"),
    sin: upload(gpu, sin, [T, HD], "f32", "rope.sin"),
    T,
    HD,
  };
}

function rope(
  op: string,
  enc: Encoder,
  kernel: typeof FWD,
  qkv: Tensor,
  tables: RopeTables,
  NH: number,
): void {
  const [B, T, C] = qkv.shape;
  if (
    qkv.shape.length !== 3 || !(NH >= 1) || C !== 3 * NH * tables.HD || T > tables.T
  ) {
    throw new RangeError(
      `${op}: ${qkv.label} [${qkv.shape}] does not fit NH=${NH} and tables ` +
        `[T=${tables.T}, HD=${tables.HD}] (want [B, T <= ${tables.T}, ${3 * NH * tables.HD}])`,
    );
  }
  const limit = enc.gpu.limits.maxComputeWorkgroupsPerDimension;
  if (B > limit || T > limit) {
    throw new RangeError(
      `${op}: ${qkv.label} [${qkv.shape}] has more than ${limit} rows or positions`,
    );
  }
  enc.dispatch({
    kernel,
    constants: { WG, HD: tables.HD },
    bindings: [qkv, tables.cos, tables.sin],
    params: [B, T, NH],
    workgroups: [Math.ceil(NH * tables.HD / WG), T, B],
  });
}

/**
 * Forward, in place: `q' = q·cos + rotate_half(q)·sin`, the same for k; v is untouched.
 *
 * @param enc The encoder to record into.
 * @param qkv Packed projections `[B, T, 3·NH·HD]`, rotated in place.
 * @param tables Tables with `tables.T >= T` (positions 0..T−1 are used).
 * @param NH Number of heads.
 * @throws {RangeError} naming the shapes when qkv does not fit NH and the tables.
 *
 * @example Rotating q and k
 * ```ts ignore
 * ropeForward(enc, qkv, tables, 4);
 * ```
 */
export function ropeForward(enc: Encoder, qkv: Tensor, tables: RopeTables, NH: number): void {
  rope("ropeForward", enc, FWD, qkv, tables, NH);
}

/**
 * Backward, in place: applies the transposed rotation to the dq and dk parts of `dqkv`; dv is
 * untouched.
 *
 * @param enc The encoder to record into.
 * @param dqkv Gradient `[B, T, 3·NH·HD]` with respect to the rotated qkv; becomes the gradient
 *   with respect to the unrotated one.
 * @param tables The forward's tables.
 * @param NH Number of heads.
 * @throws {RangeError} naming the shapes when dqkv does not fit NH and the tables.
 *
 * @example Back through the rotation
 * ```ts ignore
 * ropeBackward(enc, dqkv, tables, 4);
 * ```
 */
export function ropeBackward(enc: Encoder, dqkv: Tensor, tables: RopeTables, NH: number): void {
  rope("ropeBackward", enc, BWD, dqkv, tables, NH);
}
