/**
 * Rotary position embedding tables (models/layers.py `RotaryEmbedding`), for the rotate-half
 * (non-interleaved) form of `apply_rotary_pos_emb`: element j of a head pairs with j + HD/2,
 * `y_j = x_j cos_j − x_{j+h} sin_j`, `y_{j+h} = x_{j+h} cos_j + x_j sin_j` (h = HD/2) at
 * positions 0..T−1 (puzzle slots first, then grid cells). The rotation itself runs inside the
 * attention kernels (lib/ops/attention.ts): they rotate q and k as they load them from the
 * un-rotated qkv and apply the transposed rotation to dq and dk as they store them, so RoPE costs
 * no pass of its own.
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import { upload } from "../gpu/encoder.ts";
import type { Tensor } from "../gpu/tensor.ts";

/** The cos/sin table for positions 0..T−1 (release `cs` when done). */
export interface RopeTables {
  /**
   * `[T, HD]`: row t holds `cos(t·inv_freq_i)` for i < HD/2, then `sin(t·inv_freq_i)` (the
   * reference's `cat(freqs, freqs)` repeats each half, so one copy of each is enough).
   */
  cs: Tensor;
  /** Number of positions. */
  T: number;
  /** Head dimension. */
  HD: number;
}

/**
 * Builds the table as the reference does, `inv_freq[i] = 1/theta^(2i/HD)`, but in float64 before
 * rounding to f32 (the reference computes the angle in f32, which moves it by up to 2e-6 rad at
 * T = 82 and 4e-5 rad at T = 916).
 *
 * @param gpu The device.
 * @param T Number of positions (HRM: seq_len + puzzle_emb_len).
 * @param HD Head dimension (even).
 * @param theta RoPE base (HRM: 10000).
 * @returns The uploaded table; the caller releases `cs`.
 * @throws {RangeError} when HD is odd or T < 1.
 *
 * @example The table for the golden config
 * ```ts ignore
 * const rope = ropeTables(gpu, 81, 16, 10000);
 * attentionForward(enc, qkv, 4, 16, { rope });
 * ```
 */
export function ropeTables(gpu: Gpu, T: number, HD: number, theta: number): RopeTables {
  if (!(Number.isInteger(T) && T >= 1 && Number.isInteger(HD) && HD >= 2 && HD % 2 === 0)) {
    throw new RangeError(`ropeTables: need T >= 1 and an even HD >= 2, got T=${T} HD=${HD}`);
  }
  const cs = new Float32Array(T * HD);
  const half = HD / 2;
  for (let i = 0; i < half; i++) {
    const invFreq = 1 / theta ** (2 * i / HD);
    for (let t = 0; t < T; t++) {
      cs[t * HD + i] = Math.cos(t * invFreq);
      cs[t * HD + half + i] = Math.sin(t * invFreq);
    }
  }
  return { cs: upload(gpu, cs, [T, HD], "f32", "rope.cs"), T, HD };
}
