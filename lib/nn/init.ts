/**
 * Parameter initialisation on the CPU: the reference's `trunc_normal_init_` (models/common.py), a
 * port of JAX/Flax's truncated normal. Samples are drawn by inverse CDF, `√2·erfinv(u)` with `u`
 * uniform on `(erf(-√2), erf(√2))`, so they fall in ±2 standard normals; the scale is then
 * corrected so the *actual* standard deviation of the truncated distribution equals `std`
 * (PyTorch's own `nn.init.trunc_normal_` does not do this).
 *
 * @module
 */
import type { Rng } from "../../datasets/rng.ts";

const SQRT2 = Math.SQRT2;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Truncation bound in standard deviations of the underlying normal (the reference's ±2). */
const BOUND = 2;

/**
 * The error function, to about 1 ulp for |x| < 6 (±1 beyond): the series
 * `erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3···(2n+1))`, whose terms are all positive, so nothing
 * cancels.
 */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax, sum = ax;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= (2 * x2) / (2 * k + 1);
    sum += term;
  }
  return Math.sign(x) * Math.min(1, TWO_OVER_SQRT_PI * Math.exp(-x2) * sum);
}

/**
 * The inverse error function: Giles' single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2011) refined by two Newton steps on the series erf: double
 * precision (≤ 1e-14 relative) for |u| ≤ 0.999; nearer ±1 about 1e-11, limited by erf's absolute
 * accuracy over its tiny slope there. trunc_normal_init_ only needs |u| ≤ erf(√2) ≈ 0.9545.
 *
 * @param u A value in (−1, 1); ±1 give ±Infinity.
 * @returns x with erf(x) = u.
 *
 * @example
 * ```ts
 * import { erfinv } from "./init.ts";
 * if (Math.abs(erfinv(0.5) - 0.4769362762044699) > 1e-15) throw new Error();
 * ```
 */
export function erfinv(u: number): number {
  if (u <= -1) return u === -1 ? -Infinity : NaN;
  if (u >= 1) return u === 1 ? Infinity : NaN;
  let w = -Math.log((1 - u) * (1 + u));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  let x = p * u;
  for (let i = 0; i < 2; i++) {
    const slope = TWO_OVER_SQRT_PI * Math.exp(-x * x);
    if (slope === 0) break;
    x -= (erf(x) - u) / slope;
  }
  return x;
}

/**
 * The scale `trunc_normal_init_` applies to a standard normal truncated at ±2 so that the result
 * has standard deviation `std`: `std / sqrt(1 − 4φ(2)/Z)` with `Z = erf(√2)` the retained mass
 * and φ the normal density (the mean term vanishes for symmetric bounds). About `1.1368·std`.
 * Samples are clipped to `±2·truncNormalStd(std)`.
 *
 * @param std The wanted standard deviation.
 * @returns The corrected scale.
 *
 * @example
 * ```ts
 * import { truncNormalStd } from "./init.ts";
 * if (Math.abs(truncNormalStd(1) - 1.1368472) > 1e-6) throw new Error();
 * ```
 */
export function truncNormalStd(std: number): number {
  const a = erf(-BOUND / SQRT2), b = erf(BOUND / SQRT2);
  const z = (b - a) / 2;
  const pdf = Math.exp(-0.5 * BOUND * BOUND) / Math.sqrt(2 * Math.PI);
  // The reference's general form (upper·pdf(lower) − lower·pdf(upper))/z − ((pdf(lower) −
  // pdf(upper))/z)² with lower = −upper.
  return std / Math.sqrt(1 - (2 * BOUND * pdf) / z);
}

/**
 * `n` samples of the reference's `trunc_normal_init_(std)`: a normal truncated at ±2 standard
 * deviations, scaled so the actual standard deviation is `std`, and clipped to
 * `±2·truncNormalStd(std)` (which rounding could otherwise overshoot). `std = 0` gives zeros.
 * Computed in float64, rounded to float32 at the end.
 *
 * @param rng The seeded generator (one `float()` per sample).
 * @param n Number of samples.
 * @param std Target standard deviation (HRM: 1/sqrt(fan_in) for weights, 1 for H_init/L_init).
 * @returns The samples.
 * @throws {RangeError} when `n` is not a non-negative integer or `std` is negative.
 *
 * @example LeCun init of a 64-input layer
 * ```ts
 * import { Rng } from "../../datasets/rng.ts";
 * import { truncNormal, truncNormalStd } from "./init.ts";
 * const w = truncNormal(new Rng(0), 1000, 1 / 8);
 * const bound = Math.fround(2 * truncNormalStd(1 / 8));
 * if (w.some((x) => Math.abs(x) > bound)) throw new Error();
 * ```
 */
export function truncNormal(rng: Rng, n: number, std: number): Float32Array {
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`truncNormal: n must be a non-negative integer, got ${n}`);
  }
  if (!(std >= 0)) throw new RangeError(`truncNormal: std must be >= 0, got ${std}`);
  const out = new Float32Array(n);
  if (std === 0) return out;
  const a = erf(-BOUND / SQRT2), b = erf(BOUND / SQRT2);
  const scale = truncNormalStd(std);
  const hi = BOUND * scale;
  for (let i = 0; i < n; i++) {
    const u = a + (b - a) * rng.float();
    const x = SQRT2 * erfinv(u) * scale;
    out[i] = Math.min(hi, Math.max(-hi, x));
  }
  return out;
}
