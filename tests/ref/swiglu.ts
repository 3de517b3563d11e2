/**
 * Float64 reference for HRM's SwiGLU activation (models/layers.py `SwiGLU.forward`):
 * `gate, up = chunk(gu, 2, dim=-1)`, `h = silu(gate) * up`.
 *
 * @module
 */

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Forward: `gu [N,2F]` (gate first) → `h [N,F]`. */
export function swigluRef(gu: ArrayLike<number>, N: number, F: number): Float64Array {
  const h = new Float64Array(N * F);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const g = gu[n * 2 * F + f], u = gu[n * 2 * F + F + f];
      h[n * F + f] = g * sigmoid(g) * u;
    }
  }
  return h;
}

/** Backward: `dgate = dh·up·σ(g)(1 + g(1 − σ(g)))`, `dup = dh·silu(g)`, packed as `[N,2F]`. */
export function swigluBackwardRef(
  dh: ArrayLike<number>,
  gu: ArrayLike<number>,
  N: number,
  F: number,
): Float64Array {
  const dgu = new Float64Array(N * 2 * F);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const g = gu[n * 2 * F + f], u = gu[n * 2 * F + F + f], s = sigmoid(g);
      const d = dh[n * F + f];
      dgu[n * 2 * F + f] = d * u * s * (1 + g * (1 - s));
      dgu[n * 2 * F + F + f] = d * g * s;
    }
  }
  return dgu;
}
