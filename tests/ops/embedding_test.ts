// Embedding gather and scatter-add against the float64 reference, on ragged sizes, duplicate and
// out-of-range ids, and both backward paths (single chunk, chunked partial sums).
import { embeddingBackward, embeddingForward } from "../../lib/ops/embedding.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { assertClose, gpuTest, maxRelError, randomArray, randomInts } from "../_helpers.ts";
import { embeddingBackwardRef, embeddingRef } from "../ref/embedding.ts";
import { assert, assertEquals, assertThrows } from "@std/assert";

/** Ids in [-1, V]: mostly valid, with duplicates (V is small) and a few out of range. */
function makeIds(seed: number, N: number, V: number): Int32Array {
  return randomInts(seed, N, V + 2).map((x) => x - 1);
}

Deno.test("embedding ref: backward is the adjoint of forward (central differences)", () => {
  const V = 5, D = 3, N = 7, scale = 1.7;
  const ids = [0, 4, 4, 2, -1, 5, 0];
  const W = Array.from(randomArray(1, V * D));
  const dy = randomArray(2, N * D);
  const dW = embeddingBackwardRef(dy, ids, V, D, scale);
  const L = (w: number[]) =>
    embeddingRef(ids, w, V, D, scale).reduce((s, y, i) => s + y * dy[i], 0);
  const h = 1e-6;
  for (let j = 0; j < V * D; j++) {
    const wp = W.slice(), wm = W.slice();
    wp[j] += h;
    wm[j] -= h;
    const fd = (L(wp) - L(wm)) / (2 * h);
    assert(Math.abs(fd - dW[j]) < 1e-8, `dW[${j}]: fd ${fd} vs ${dW[j]}`);
  }
  // Rows 1 and 3 are never used: no gradient.
  for (let d = 0; d < D; d++) assertEquals([dW[1 * D + d], dW[3 * D + d]], [0, 0]);
});

gpuTest("embedding: forward and backward on ragged shapes match float64", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  // [N, V, D]: 1 row; primes; V = 6, 11, 12; N = B*T past the 64-id chunk (chunked backward).
  for (
    const [N, V, D] of [[1, 11, 1], [37, 11, 13], [5 * 17, 12, 64], [1000, 6, 5], [300, 11, 3]]
  ) {
    const label = `N=${N} V=${V} D=${D}`;
    const scale = Math.sqrt(D);
    const ids = makeIds(N + V, N, V);
    const W = randomArray(3, V * D), dy = randomArray(4, N * D), dW0 = randomArray(5, V * D);
    const tIds = upload(gpu, ids, [N], "i32", "ids");
    const tW = upload(gpu, W, [V, D], "f32", "W");
    const tDy = upload(gpu, dy, [N, D], "f32", "dy");
    const tDW = upload(gpu, dW0, [V, D], "f32", "dW");
    const tDW2 = upload(gpu, dW0, [V, D], "f32", "dW2");
    const enc = new Encoder(gpu);
    const y = embeddingForward(enc, tIds, tW, scale);
    embeddingBackward(enc, tDy, tIds, tDW, scale);
    embeddingBackward(enc, tDy, tIds, tDW2, scale);
    enc.submit();
    const [gy, gdW, gdW2] = await readTensors(gpu, [y, tDW, tDW2]);
    assertEquals(y.shape, [N, D]);
    // One f32 product per element: within an ulp or so of float64.
    assertClose(gy, embeddingRef(ids, W, V, D, scale), { atol: 0, rtol: 2e-7, label });
    const ref = embeddingBackwardRef(dy, ids, V, D, scale).map((g, i) => g + dW0[i]);
    // Sums of up to ~N/V + 1 f32 terms of size ≤ scale: error ≲ terms · 6e-8 of the largest.
    const err = maxRelError(gdW, ref);
    assert(err < 2e-6, `${label}: dW max rel error ${err}`);
    // Fixed summation order: bit-identical on a rerun.
    assertEquals([...gdW2], [...gdW], `${label}: backward not deterministic`);
    for (const t of [tIds, tW, tDy, tDW, tDW2, y]) t.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("embedding: forward into a given out, B×S ids keep their shape", async (gpu) => {
  const V = 11, D = 4, ids = new Int32Array([3, 10, 0, 11, -5, 3]);
  const tIds = upload(gpu, ids, [2, 3], "i32", "ids");
  const W = randomArray(9, V * D);
  const tW = upload(gpu, W, [V, D]);
  const out = Tensor.empty(gpu, [2, 3, D], "f32", "out");
  const enc = new Encoder(gpu);
  const y = embeddingForward(enc, tIds, tW, 1, out);
  const y2 = embeddingForward(enc, tIds, tW, -2);
  enc.submit();
  const [g, g2] = await readTensors(gpu, [out, y2]);
  assert(y === out);
  assertEquals(y2.shape, [2, 3, D]);
  assertClose(g, embeddingRef(ids, W, V, D, 1), { atol: 0, rtol: 0, label: "gather" });
  assertClose(g2, embeddingRef(ids, W, V, D, -2), { atol: 0, rtol: 0, label: "gather x-2" });
  // ids 11 and -5 are out of range: zero rows.
  assertEquals([...g.slice(3 * D, 5 * D)], new Array(2 * D).fill(0));
  for (const t of [tIds, tW, out, y2]) t.release();
});

// x = [puzzle slots | tokens]: the token rows S per batch row, after P slots of D, T·D apart; the
// backward reads them from the same places (both chunked and single-chunk paths).
gpuTest("embedding: rows placed in a larger tensor, forward and backward", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  for (const [B, S, P, V, D] of [[2, 3, 1, 11, 4], [5, 81, 2, 11, 8], [3, 1, 0, 6, 5]]) {
    const T = P + S, N = B * S, label = `B=${B} S=${S} P=${P} D=${D}`;
    const at = { rows: S, stride: T * D, start: P * D };
    const ids = makeIds(N + D, N, V), W = randomArray(6, V * D);
    const x0 = randomArray(7, B * T * D), dx = randomArray(8, B * T * D);
    const tIds = upload(gpu, ids, [N], "i32", "ids"), tW = upload(gpu, W, [V, D]);
    const tx = upload(gpu, x0, [B, T, D]), tdx = upload(gpu, dx, [B, T, D]);
    const tdW = upload(gpu, new Float32Array(V * D), [V, D]);
    const enc = new Encoder(gpu);
    embeddingForward(enc, tIds, tW, 2, tx, at);
    embeddingBackward(enc, tdx, tIds, tdW, 2, at);
    enc.submit();
    const [gx, gdW] = await readTensors(gpu, [tx, tdW]);
    const rows = embeddingRef(ids, W, V, D, 2), want = Float64Array.from(x0);
    const dy = new Float64Array(N * D);
    for (let n = 0; n < N; n++) {
      const o = Math.floor(n / S) * T * D + P * D + (n % S) * D;
      for (let d = 0; d < D; d++) {
        want[o + d] = rows[n * D + d];
        dy[n * D + d] = dx[o + d];
      }
    }
    // The slots around the rows are untouched.
    assertClose(gx, want, { atol: 0, rtol: 2e-7, label: `${label} placed rows` });
    const err = maxRelError(gdW, embeddingBackwardRef(dy, ids, V, D, 2));
    assert(err < 2e-6, `${label}: dW from placed rows, max rel error ${err}`);
    for (const t of [tIds, tW, tx, tdx, tdW]) t.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("embedding: errors name the op and shapes", (gpu) => {
  const f = Tensor.empty(gpu, [4], "f32", "ids_f");
  const ids = Tensor.empty(gpu, [4], "i32", "ids");
  const W = Tensor.empty(gpu, [11, 8], "f32", "W");
  const dy = Tensor.empty(gpu, [4, 7], "f32", "dy");
  const flat = Tensor.empty(gpu, [88], "f32", "flat");
  const enc = new Encoder(gpu);
  assertThrows(
    () => embeddingForward(enc, f, W, 1),
    RangeError,
    "embeddingForward: ids ids_f [4] must be i32, got f32",
  );
  assertThrows(
    () => embeddingForward(enc, ids, flat, 1),
    RangeError,
    "embeddingForward: table flat [88] must be [V, D]",
  );
  assertThrows(
    () => embeddingBackward(enc, dy, ids, W, 1),
    RangeError,
    "embeddingBackward: dy dy [4,7] does not match ids [4] × D=8 of dW [11,8]",
  );
  enc.submit();
  for (const t of [f, ids, W, dy, flat]) t.release();
});
