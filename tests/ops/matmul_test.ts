// matmul / linear against float64 loops, once per kernel variant (forced), on sizes that are not
// multiples of any tile (1, primes, ragged), every layout, batched and broadcast operands,
// alpha/beta, and bindings cut small enough to force chunking over m, n and k.
import { linearBackward, linearForward, matmul } from "../../lib/ops/matmul.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import type { Gpu } from "../../lib/gpu/device.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { type MatmulVariant, matmulVariant } from "../../lib/gpu/variants.ts";
import { HrmError } from "../../lib/errors.ts";
import { linearBackwardRef, linearRef, matmulRef, type MatmulRefShape } from "../ref/matmul.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assertEquals, assertLess, assertThrows } from "@std/assert";

const VARIANTS: (MatmulVariant | "naive")[] = ["texture", "buffer", "tiled", "naive"];

interface Case extends MatmulRefShape {
  label: string;
  maxBindingBytes?: number;
}

// f32 sums of K products of values in [-1, 1]: rounding error below ~K·2⁻²⁴ of Σ|terms| ≤ K.
const tolFor = (K: number) => ({ atol: 1e-6 + 2e-7 * K, rtol: 1e-5 });

function shapeOf(c: Case) {
  const { Bt, M, N, K, transA = false, transB = false } = c;
  const bA = c.batchedA ?? Bt > 1, bB = c.batchedB ?? Bt > 1;
  const aShape = [...(bA ? [Bt] : []), ...(transA ? [K, M] : [M, K])];
  const bShape = [...(bB ? [Bt] : []), ...(transB ? [N, K] : [K, N])];
  const oShape = bA || bB ? [Bt, M, N] : [M, N];
  return { aShape, bShape, oShape };
}

/** Records every case in one encoder, reads all results with one map, compares. */
async function runCases(gpu: Gpu, variant: MatmulVariant | "naive", cases: Case[]) {
  const enc = new Encoder(gpu);
  const pending: { c: Case; out: Tensor; expected: Float64Array; owned: Tensor[] }[] = [];
  cases.forEach((c, i) => {
    const { aShape, bShape, oShape } = shapeOf(c);
    const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
    const a = randomArray(100 + i, size(aShape)), b = randomArray(200 + i, size(bShape));
    const o0 = randomArray(300 + i, size(oShape));
    // Deno 2.9.6 panics on an empty writeBuffer, so empty operands are only allocated.
    const put = (d: Float32Array, s: number[], l: string) =>
      d.length ? upload(gpu, d, s, "f32", l) : Tensor.empty(gpu, s, "f32", l);
    const ta = put(a, aShape, "a"), tb = put(b, bShape, "b");
    const beta = c.beta ?? 0;
    // beta = 0 must ignore whatever out holds, so give it NaNs.
    const to = upload(gpu, beta === 0 ? o0.map(() => NaN) : o0, oShape, "f32", "out");
    matmul(enc, ta, tb, {
      transA: c.transA,
      transB: c.transB,
      alpha: c.alpha,
      beta,
      out: to,
      variant,
      maxBindingBytes: c.maxBindingBytes,
    });
    pending.push({ c, out: to, expected: matmulRef(a, b, c, o0), owned: [ta, tb, to] });
  });
  enc.submit();
  const got = await readTensors(gpu, pending.map((p) => p.out));
  pending.forEach((p, i) => {
    assertClose(got[i], p.expected, { ...tolFor(p.c.K), label: `${variant} ${p.c.label}` });
    for (const t of p.owned) t.release();
  });
}

const LAYOUTS = [
  { transA: false, transB: false, tag: "NN" },
  { transA: false, transB: true, tag: "NT" },
  { transA: true, transB: false, tag: "TN" },
  { transA: true, transB: true, tag: "TT" },
];

function cases(): Case[] {
  const out: Case[] = [];
  // [37, 300, 20]: the texture kernel's tiles span two panels of 256 columns, the last ragged.
  const shapes = [[1, 1, 1], [7, 13, 5], [67, 130, 33], [129, 3, 257], [70, 128, 64], [
    37,
    300,
    20,
  ]];
  for (const { transA, transB, tag } of LAYOUTS) {
    for (const [M, N, K] of shapes) {
      out.push({ Bt: 1, M, N, K, transA, transB, label: `${tag} M=${M} N=${N} K=${K}` });
    }
    out.push({
      Bt: 1,
      M: 19,
      N: 23,
      K: 11,
      transA,
      transB,
      alpha: -0.5,
      beta: 1.5,
      label: `${tag} alpha/beta`,
    });
    out.push({ Bt: 3, M: 9, N: 17, K: 6, transA, transB, label: `${tag} batched` });
    // Bindings of 64 KiB: 4 chunks over m, 4 over k (k chunks accumulate into beta * out).
    out.push({
      Bt: 1,
      M: 150,
      N: 140,
      K: 300,
      transA,
      transB,
      beta: 0.25,
      maxBindingBytes: 65536,
      label: `${tag} chunked`,
    });
  }
  out.push({ Bt: 4, M: 5, N: 3, K: 7, batchedB: false, label: "b shared across the batch" });
  out.push({ Bt: 2, M: 5, N: 8, K: 4, batchedA: false, transB: true, label: "a shared" });
  out.push({ Bt: 1, M: 3, N: 4, K: 0, beta: 2, label: "K=0 scales out" });
  return out;
}

for (const variant of VARIANTS) {
  gpuTest(`matmul ${variant}: NN/NT/TN/TT, ragged, batched, alpha/beta, chunked`, async (gpu) => {
    const before = gpu.pool.stats().inUseBuffers;
    await runCases(gpu, variant, cases());
    assertEquals(gpu.pool.stats().inUseBuffers, before);
  });
}

gpuTest("matmul: operands that are unaligned views of a flat buffer", async (gpu) => {
  // Parameters live in one flat buffer at arbitrary element offsets (W of [5, 3] at element 7).
  const flat = randomArray(5, 64);
  const base = upload(gpu, flat, [64], "f32", "flat");
  const W = Tensor.view(base, 7, [5, 3], "W");
  const x = randomArray(6, 4 * 3);
  const tx = upload(gpu, x, [4, 3], "f32", "x");
  const enc = new Encoder(gpu);
  const ys = VARIANTS.map((variant) => matmul(enc, tx, W, { transB: true, variant }));
  enc.submit();
  const got = await readTensors(gpu, ys);
  const expected = linearRef(x, flat.subarray(7, 22), 4, 3, 5);
  got.forEach((g, i) => assertClose(g, expected, { ...tolFor(3), label: VARIANTS[i] }));
  for (const t of [base, tx, ...ys]) t.release();
});

gpuTest("matmul: results into views of a flat buffer, 16-byte aligned or not", async (gpu) => {
  // N a multiple of 4: at element 4 the texture kernel stores vec4s, at element 2 it cannot
  // (the row would straddle them) and stores floats. beta 0.5 reads the old values through the
  // same path; everything outside the view must stay as it was.
  const M = 19, K = 9, N = 12, len = 4 + M * N + 8;
  const a = randomArray(7, M * K), b = randomArray(8, K * N), old = randomArray(9, len);
  const ta = upload(gpu, a, [M, K], "f32", "a"), tb = upload(gpu, b, [K, N], "f32", "b");
  const enc = new Encoder(gpu);
  const runs: { variant: MatmulVariant | "naive"; at: number; flat: Tensor }[] = [];
  for (const variant of VARIANTS) {
    for (const at of [2, 4]) {
      const flat = upload(gpu, old, [len], "f32", "flat");
      const out = Tensor.view(flat, at, [M, N], "out");
      matmul(enc, ta, tb, { out, beta: 0.5, alpha: 2, variant });
      runs.push({ variant, at, flat });
    }
  }
  enc.submit();
  const got = await readTensors(gpu, runs.map((r) => r.flat));
  const shape = { Bt: 1, M, N, K, alpha: 2, beta: 0.5 };
  runs.forEach((r, i) => {
    const expected = Float64Array.from(old);
    expected.set(matmulRef(a, b, shape, old.subarray(r.at, r.at + M * N)), r.at);
    assertClose(got[i], expected, { ...tolFor(K), label: `${r.variant} out at ${r.at}` });
    r.flat.release();
  });
  for (const t of [ta, tb]) t.release();
});

Deno.test("linear reference: backward matches central differences (float64)", () => {
  const rows = 3, inF = 4, outF = 2;
  const x = Array.from(randomArray(1, rows * inF)), W = Array.from(randomArray(2, outF * inF));
  const g = Array.from(randomArray(3, rows * outF));
  const loss = (xs: number[], ws: number[]) =>
    linearRef(xs, ws, rows, inF, outF).reduce((s, v, i) => s + v * g[i], 0);
  const { dx, dW } = linearBackwardRef(g, x, W, rows, inF, outF);
  const h = 1e-6;
  const fd = (f: (d: number) => number) => (f(h) - f(-h)) / (2 * h);
  for (let i = 0; i < x.length; i++) {
    const d = fd((e) => loss(x.map((v, j) => j === i ? v + e : v), W));
    assertLess(Math.abs(d - dx[i]), 1e-8, `dx[${i}]`);
  }
  for (let i = 0; i < W.length; i++) {
    const d = fd((e) => loss(x, W.map((v, j) => j === i ? v + e : v)));
    assertLess(Math.abs(d - dW[i]), 1e-8, `dW[${i}]`);
  }
});

gpuTest("linearForward/linearBackward: y = x·Wᵀ, dW += dyᵀ·x, dx = dy·W", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  const [B, T, inF, outF] = [2, 5, 7, 3];
  const rows = B * T;
  const x = randomArray(1, rows * inF), W = randomArray(2, outF * inF);
  const dy = randomArray(3, rows * outF), dW0 = randomArray(4, outF * inF);
  const tx = upload(gpu, x, [B, T, inF]), tW = upload(gpu, W, [outF, inF]);
  const tdy = upload(gpu, dy, [B, T, outF]), tdW = upload(gpu, dW0, [outF, inF]);
  const enc = new Encoder(gpu);
  const y = linearForward(enc, tx, tW);
  const dx = linearBackward(enc, tdy, tx, tW, tdW)!;
  const none = linearBackward(enc, tdy, tx, tW, tdW, { needDx: false });
  // dxInto: dx added into an existing gradient (the residual branch's), no separate add.
  const r = randomArray(5, rows * inF);
  const tr = upload(gpu, r, [B, T, inF]);
  const into = linearBackward(enc, tdy, tx, tW, tdW, { dxInto: tr });
  enc.submit();
  assertEquals(none, undefined);
  assertEquals(into, tr);
  assertEquals(y.shape, [B, T, outF]);
  assertEquals(dx.shape, [B, T, inF]);
  const [gy, gdx, gdW, ginto] = await readTensors(gpu, [y, dx, tdW, tr]);
  const ref = linearBackwardRef(dy, x, W, rows, inF, outF);
  assertClose(gy, linearRef(x, W, rows, inF, outF), { ...tolFor(inF), label: "y" });
  assertClose(gdx, ref.dx, { ...tolFor(outF), label: "dx" });
  assertClose(ginto, Array.from(r, (v, i) => v + ref.dx[i]), {
    ...tolFor(outF + 1),
    label: "dxInto",
  });
  // Three backward calls: dW0 + 3·dyᵀx.
  assertClose(gdW, Array.from(dW0, (v, i) => v + 3 * ref.dW[i]), {
    ...tolFor(rows),
    label: "dW",
  });
  for (const t of [tx, tW, tdy, tdW, y, dx, tr]) t.release();
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("matmul: shape errors name the op and the shapes", (gpu) => {
  const t = (shape: number[], label: string) => Tensor.empty(gpu, shape, "f32", label);
  const a = t([3, 4], "a"), b = t([5, 6], "b"), o = t([3, 5], "o"), x = t([2, 3], "x");
  const enc = new Encoder(gpu);
  assertThrows(
    () => matmul(enc, a, b),
    RangeError,
    "matmul: inner dimensions differ: a [3, 4] has K=4, b [5, 6] has K=5",
  );
  assertThrows(
    () => matmul(enc, a, b, { transA: true, transB: true }),
    RangeError,
    "a [3, 4] (transposed) has K=3, b [5, 6] (transposed) has K=6",
  );
  assertThrows(() => matmul(enc, a, o, { beta: 1 }), RangeError, "matmul: inner dimensions");
  assertThrows(() => matmul(enc, a, t([4, 5], "c"), { beta: 1 }), RangeError, "needs an out");
  assertThrows(() => matmul(enc, a, t([4, 6], "d"), { out: o }), RangeError, "out o [3, 5]");
  assertThrows(
    () => linearForward(enc, x, a),
    RangeError,
    "linearForward: x [2, 3] and W [3, 4] disagree on in (3 vs 4)",
  );
  assertThrows(() => linearBackward(enc, o, x, a, a), RangeError, "linearBackward");
  for (const u of [a, b, o, x]) u.release();
  enc.submit();
});

gpuTest("matmulVariant: HRM_MATMUL forces a variant and rejects unknown names", (gpu) => {
  const old = Deno.env.get("HRM_MATMUL");
  try {
    Deno.env.set("HRM_MATMUL", "buffer");
    assertEquals(matmulVariant(gpu), "buffer");
    Deno.env.set("HRM_MATMUL", "fast");
    assertThrows(() => matmulVariant(gpu), HrmError, "HRM_MATMUL=fast names no matmul variant");
    Deno.env.delete("HRM_MATMUL");
    assertEquals(matmulVariant(gpu), gpu.isFallbackAdapter ? "texture" : "tiled");
  } finally {
    if (old === undefined) Deno.env.delete("HRM_MATMUL");
    else Deno.env.set("HRM_MATMUL", old);
  }
});
