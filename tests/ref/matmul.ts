/**
 * Float64 references for matmul and nn.Linear without bias (the reference's CastedLinear:
 * `F.linear(x, W)`), written as plain loops over row-major arrays.
 *
 * @module
 */

/** Shape and options of {@linkcode matmulRef}. */
export interface MatmulRefShape {
  /** Batch entries (1 when unbatched). */
  Bt: number;
  /** Rows of the result. */
  M: number;
  /** Columns of the result. */
  N: number;
  /** Inner dimension. */
  K: number;
  /** `a` is stored `[K, M]`. */
  transA?: boolean;
  /** `b` is stored `[N, K]`. */
  transB?: boolean;
  /** `a` has a batch dimension (else shared). Default true when Bt > 1. */
  batchedA?: boolean;
  /** `b` has a batch dimension (else shared). Default true when Bt > 1. */
  batchedB?: boolean;
  /** Scale of the product. */
  alpha?: number;
  /** Scale of `out`. */
  beta?: number;
}

/** `alpha · op(a)·op(b) + beta · out` per batch entry, in float64. */
export function matmulRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  s: MatmulRefShape,
  out?: ArrayLike<number>,
): Float64Array {
  const { Bt, M, N, K, transA = false, transB = false, alpha = 1, beta = 0 } = s;
  const bA = (s.batchedA ?? Bt > 1) ? M * K : 0, bB = (s.batchedB ?? Bt > 1) ? K * N : 0;
  const y = new Float64Array(Bt * M * N);
  for (let z = 0; z < Bt; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const av = a[z * bA + (transA ? k * M + m : m * K + k)];
          const bv = b[z * bB + (transB ? n * K + k : k * N + n)];
          acc += av * bv;
        }
        const i = z * M * N + m * N + n;
        y[i] = alpha * acc + (beta !== 0 ? beta * out![i] : 0);
      }
    }
  }
  return y;
}

/** `y = x · Wᵀ` for `x [rows, inF]`, `W [outF, inF]` (a direct loop: the model references' hot path). */
export function linearRef(
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  rows: number,
  inF: number,
  outF: number,
): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let n = 0; n < rows; n++) {
    for (let m = 0; m < outF; m++) {
      let s = 0;
      for (let k = 0; k < inF; k++) s += x[n * inF + k] * W[m * inF + k];
      y[n * outF + m] = s;
    }
  }
  return y;
}

/**
 * Backward of {@linkcode linearRef} that accumulates: `dW += dyᵀ · x`; returns `dx = dy · W`
 * (a weight used by several calls sums their gradients).
 */
export function linearAccumulateRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  dW: Float64Array,
  rows: number,
  inF: number,
  outF: number,
): Float64Array {
  const dx = new Float64Array(rows * inF);
  for (let n = 0; n < rows; n++) {
    for (let m = 0; m < outF; m++) {
      const g = dy[n * outF + m];
      if (g === 0) continue;
      for (let k = 0; k < inF; k++) {
        dW[m * inF + k] += g * x[n * inF + k];
        dx[n * inF + k] += g * W[m * inF + k];
      }
    }
  }
  return dx;
}

/** Backward of {@linkcode linearRef}: `dx = dy · W`, `dW = dyᵀ · x` (not accumulated). */
export function linearBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  rows: number,
  inF: number,
  outF: number,
): { dx: Float64Array; dW: Float64Array } {
  return {
    dx: matmulRef(dy, W, { Bt: 1, M: rows, N: inF, K: outF }),
    dW: matmulRef(dy, x, { Bt: 1, M: outF, N: inF, K: rows, transA: true }),
  };
}
