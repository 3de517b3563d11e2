/**
 * The participation ratio of a cloud of states, the HRM paper's measure of effective
 * dimensionality: PR = (Σλ)² / Σλ² over the eigenvalues λ of the states' covariance. PR is 1
 * when all variance lies on one axis and D when it is spread evenly over D axes.
 *
 * Covariance is accumulated in float64 from states shifted by the first one (the shift leaves
 * it unchanged and keeps Σxxᵀ − n·μμᵀ from cancelling catastrophically).
 *
 * @module
 */
import { symmetricEigenvalues } from "./eigen.ts";

/** Samples buffered before they are folded into Σxxᵀ (a blocked update is ~3× faster). */
const BLOCK = 64;

/** Running mean and covariance of D-dimensional samples. */
export class CovarianceAccumulator {
  /** Dimension. */
  readonly dim: number;
  /** Samples added. */
  count = 0;
  #shift: Float64Array | undefined;
  #sum: Float64Array;
  #padded: number; // D rounded up to even, for the 2×2 blocks
  #outer: Float64Array; // upper triangle used, row-major padded×padded
  #block: Float64Array; // [padded, BLOCK]: sample b's element k at k·BLOCK + b
  #inBlock = 0;

  /** @param dim Dimension D of every sample. */
  constructor(dim: number) {
    this.dim = dim;
    this.#sum = new Float64Array(dim);
    this.#padded = dim + (dim & 1);
    this.#outer = new Float64Array(this.#padded * this.#padded);
    this.#block = new Float64Array(this.#padded * BLOCK);
  }

  /**
   * Adds one sample.
   *
   * @param data An array holding the sample.
   * @param offset Index of its first element.
   */
  add(data: ArrayLike<number>, offset = 0): void {
    const D = this.dim;
    if (!this.#shift) this.#shift = Float64Array.from({ length: D }, (_, k) => data[offset + k]);
    const sh = this.#shift, sum = this.#sum, blk = this.#block, b = this.#inBlock;
    for (let k = 0; k < D; k++) {
      const x = data[offset + k] - sh[k];
      sum[k] += x;
      blk[k * BLOCK + b] = x;
    }
    this.count++;
    if (++this.#inBlock === BLOCK) this.#flush();
  }

  #flush(): void {
    const nb = this.#inBlock, blk = this.#block, o = this.#outer, Dp = this.#padded;
    if (nb === 0) return;
    if (nb < BLOCK) {
      for (let k = 0; k < Dp; k++) blk.fill(0, k * BLOCK + nb, (k + 1) * BLOCK);
    }
    // 2×2 register blocks: four dot products share each pair of loads.
    for (let i = 0; i < Dp; i += 2) {
      const a0 = i * BLOCK, a1 = a0 + BLOCK, r0 = i * Dp, r1 = r0 + Dp;
      for (let j = i; j < Dp; j += 2) {
        const c0 = j * BLOCK, c1 = c0 + BLOCK;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let b = 0; b < BLOCK; b++) {
          const x0 = blk[a0 + b], x1 = blk[a1 + b], y0 = blk[c0 + b], y1 = blk[c1 + b];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        o[r0 + j] += s00;
        o[r0 + j + 1] += s01;
        o[r1 + j] += s10;
        o[r1 + j + 1] += s11;
      }
    }
    this.#inBlock = 0;
  }

  /**
   * The covariance matrix (divided by n, the population covariance; PR does not depend on the
   * scale).
   *
   * @returns `D×D` row-major, symmetric; zeros before any sample.
   */
  covariance(): Float64Array {
    this.#flush();
    const D = this.dim, n = this.count, c = new Float64Array(D * D);
    if (n === 0) return c;
    const mean = this.#sum.map((s) => s / n);
    for (let i = 0; i < D; i++) {
      for (let j = i; j < D; j++) {
        const v = this.#outer[i * this.#padded + j] / n - mean[i] * mean[j];
        c[i * D + j] = v;
        c[j * D + i] = v;
      }
    }
    return c;
  }
}

/**
 * PR = (Σλ)² / Σλ²; negative eigenvalues (rounding noise of a PSD matrix) count as 0.
 *
 * @param eigenvalues The covariance's eigenvalues.
 * @returns The participation ratio, in [1, D]; 0 when every eigenvalue is 0.
 *
 * @example Equal variance on 3 axes
 * ```ts
 * import { participationRatio } from "./pr.ts";
 * if (participationRatio([2, 2, 2, 0]) !== 3) throw new Error();
 * ```
 */
export function participationRatio(eigenvalues: ArrayLike<number>): number {
  let s = 0, s2 = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    const l = Math.max(0, eigenvalues[i]);
    s += l;
    s2 += l * l;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/** A state cloud's spectrum and PR. */
export interface Spectrum {
  /** Samples (state vectors) the covariance was taken over. */
  samples: number;
  /** Covariance eigenvalues, largest first. */
  eigenvalues: Float64Array;
  /** Participation ratio. */
  pr: number;
}

/**
 * The eigen-spectrum and PR of an accumulator's covariance.
 *
 * @param acc The accumulated samples.
 * @returns Spectrum and PR.
 *
 * @example Two orthogonal directions, equal variance
 * ```ts
 * import { CovarianceAccumulator, spectrum } from "./pr.ts";
 * const acc = new CovarianceAccumulator(3);
 * for (const x of [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]]) acc.add(x);
 * if (Math.abs(spectrum(acc).pr - 2) > 1e-12) throw new Error();
 * ```
 */
export function spectrum(acc: CovarianceAccumulator): Spectrum {
  const eigenvalues = symmetricEigenvalues(acc.covariance(), acc.dim);
  return { samples: acc.count, eigenvalues, pr: participationRatio(eigenvalues) };
}

/**
 * PR straight from a covariance matrix: (tr C)² / ‖C‖²_F, equal to the eigenvalue form for a
 * symmetric matrix (a cross-check that needs no eigen solver).
 *
 * @param cov `D×D` symmetric covariance.
 * @param dim D.
 * @returns The participation ratio.
 */
export function prFromTraces(cov: Float64Array, dim: number): number {
  let tr = 0, fro = 0;
  for (let i = 0; i < dim; i++) tr += cov[i * dim + i];
  for (let i = 0; i < dim * dim; i++) fro += cov[i] * cov[i];
  return fro > 0 ? (tr * tr) / fro : 0;
}
