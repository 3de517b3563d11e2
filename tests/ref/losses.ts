/**
 * Float64 references for models/losses.py: stablemax and softmax cross-entropy per token, the
 * per-sequence mean of ACTLossHead with its argmax metrics, and BCE with logits. The forward
 * follows the reference's formulas literally (`log(s(x) / Σ s(x))`, log-softmax); the gradient is
 * the closed form, checked against central differences of the forward in losses_test.ts.
 *
 * @module
 */

/** The reference's IGNORE_LABEL_ID. */
export const IGNORE_LABEL_ID = -100;

/** Stablemax's s(x) with the reference's epsilon. */
export function stablemaxS(x: number): number {
  return x < 0 ? 1 / (1 - x + 1e-30) : x + 1;
}

/** Cross-entropy of one row of logits against `label`, float64. */
export function crossEntropyRef(
  x: ArrayLike<number>,
  label: number,
  stablemax: boolean,
): number {
  const V = x.length;
  if (stablemax) {
    let sum = 0;
    for (let j = 0; j < V; j++) sum += stablemaxS(x[j]);
    return -Math.log(stablemaxS(x[label]) / sum);
  }
  // log Σ exp(x − max) as log1p of the non-maximal terms: exact to f64 even when the loss is
  // ~1e-16 (log(1 + tiny) would round it away, which f32 on the GPU does not).
  let arg = 0;
  for (let j = 1; j < V; j++) if (x[j] > x[arg]) arg = j;
  let others = 0;
  for (let j = 0; j < V; j++) if (j !== arg) others += Math.exp(x[j] - x[arg]);
  return Math.log1p(others) - (x[label] - x[arg]);
}

/**
 * d CE / d x for one row: `s'(x_j)/Σs − [j=y]·s'(x_y)/s(x_y)`, or `softmax − onehot`; the target
 * entry is formed from the other classes' mass so it keeps full f64 precision when p_y ≈ 1.
 */
export function crossEntropyGradRef(
  x: ArrayLike<number>,
  label: number,
  stablemax: boolean,
): Float64Array {
  const V = x.length, g = new Float64Array(V);
  if (stablemax) {
    const ds = (v: number) => (v < 0 ? stablemaxS(v) ** 2 : 1);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += stablemaxS(x[j]);
    let rest = 0;
    for (let j = 0; j < V; j++) {
      g[j] = ds(x[j]) / sum;
      if (j !== label) rest += stablemaxS(x[j]);
    }
    // s'(y)/Σs − s'(y)/s(y) without the cancellation: −s'(y)·rest/(Σs·s(y)).
    g[label] = -ds(x[label]) * rest / (sum * stablemaxS(x[label]));
    return g;
  }
  let mx = -Infinity;
  for (let j = 0; j < V; j++) mx = Math.max(mx, x[j]);
  let sum = 0, rest = 0;
  for (let j = 0; j < V; j++) {
    sum += Math.exp(x[j] - mx);
    if (j !== label) rest += Math.exp(x[j] - mx);
  }
  for (let j = 0; j < V; j++) g[j] = Math.exp(x[j] - mx) / sum;
  g[label] = -rest / sum;
  return g;
}

/** What {@linkcode lmLossRef} returns (float64 / plain counts). */
export interface LmLossRef {
  /** Per-sequence mean CE // [B] */
  loss: Float64Array;
  /** gradScale · d(Σ loss)/d logits // [B, S, V] */
  dlogits: Float64Array;
  /** argmax, first maximum // [B, S] */
  preds: Int32Array;
  /** Correct valid tokens // [B] */
  correct: Float64Array;
  /** Valid labels // [B] */
  valid: Float64Array;
  /** 1 if all valid tokens are correct // [B] */
  seqCorrect: Float64Array;
}

/** ACTLossHead's lm_loss terms and metrics per row, float64. Labels outside [0, V) are ignored. */
export function lmLossRef(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  B: number,
  S: number,
  V: number,
  stablemax: boolean,
  gradScale: number,
): LmLossRef {
  const r: LmLossRef = {
    loss: new Float64Array(B),
    dlogits: new Float64Array(B * S * V),
    preds: new Int32Array(B * S),
    correct: new Float64Array(B),
    valid: new Float64Array(B),
    seqCorrect: new Float64Array(B),
  };
  const ok = (y: number) => y >= 0 && y < V;
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < S; t++) if (ok(labels[b * S + t])) n++;
    const div = Math.max(1, n);
    let sum = 0, hits = 0;
    for (let t = 0; t < S; t++) {
      const i = b * S + t;
      const x = Array.from({ length: V }, (_, j) => logits[i * V + j]);
      let arg = 0;
      for (let j = 1; j < V; j++) if (x[j] > x[arg]) arg = j;
      r.preds[i] = arg;
      const y = labels[i];
      if (!ok(y)) continue;
      sum += crossEntropyRef(x, y, stablemax) / div;
      if (arg === y) hits++;
      const g = crossEntropyGradRef(x, y, stablemax);
      for (let j = 0; j < V; j++) r.dlogits[i * V + j] = gradScale * g[j] / div;
    }
    r.loss[b] = sum;
    r.valid[b] = n;
    r.correct[b] = hits;
    r.seqCorrect[b] = hits === n ? 1 : 0;
  }
  return r;
}

/** BCE with logits per element and its gradient, float64. */
export function bceRef(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  gradScale: number,
): { loss: Float64Array; dlogits: Float64Array } {
  const n = logits.length, loss = new Float64Array(n), dlogits = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = logits[i], t = targets[i];
    loss[i] = Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    dlogits[i] = gradScale * (1 / (1 + Math.exp(-x)) - t);
  }
  return { loss, dlogits };
}
