// float16 (mixed precision) pieces against float64: f32 <-> f16 casts (rounding to nearest even,
// odd element counts, overflow to inf) and matmuls with f16 operands and f32 accumulation, for
// the texture (operands widened and rounded by the pack kernel), buffer and tiled kernels, f32 and
// f16 outputs, every layout, batched, alpha/beta and forced chunking; the activations float16
// stores in f16 (SwiGLU's input, output and input gradient, the norms' saved outputs) give the
// f32 kernels' results bit for bit, rounded once. Skipped with a printed reason on adapters
// without shader-f16.
import { cast, hasShaderF16 } from "../../lib/ops/cast.ts";
import { fill } from "../../lib/ops/elementwise.ts";
import { linearForward, matmul } from "../../lib/ops/matmul.ts";
import { rmsnormBackward, rmsnormForward } from "../../lib/ops/rmsnorm.ts";
import { swigluBackward, swigluForward } from "../../lib/ops/swiglu.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import type { Gpu } from "../../lib/gpu/device.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { matmulRef, type MatmulRefShape } from "../ref/matmul.ts";
import { gpuTest, randomArray } from "../_helpers.ts";
import { assert, assertEquals, AssertionError, assertThrows } from "@std/assert";

const U16 = 2 ** -11; // unit roundoff of f16 (10 stored mantissa bits)
const U32 = 2 ** -24; // unit roundoff of f32

function f16Test(name: string, fn: (gpu: Gpu) => Promise<void> | void): void {
  gpuTest(name, async (gpu) => {
    if (!hasShaderF16(gpu)) {
      console.warn(`${name}: skipped, ${gpu.adapter.info.description} has no shader-f16`);
      return;
    }
    await fn(gpu);
  });
}

f16Test(
  "cast: f32 -> f16 rounds like Float16Array (nearest even), f16 -> f32 is exact",
  async (gpu) => {
    // 1001 values (odd count: the last f16 word is half padding) across f16's range, with exact
    // ties, subnormals, ±0 and overflow.
    const x = Float32Array.from(randomArray(1, 1001, -70000, 70000));
    x.set([0, -0, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 6e-8, -3e-5, 65504, 65520, -1e9, 2 ** -24], 0);
    const tx = upload(gpu, x, [x.length]);
    const enc = new Encoder(gpu);
    const h = cast(enc, tx, "f16");
    const back = cast(enc, h, "f32");
    enc.submit();
    const [gh, gb] = await readTensors(gpu, [h, back]);
    const want = Float16Array.from(x);
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(gh[i], want[i])) {
        throw new AssertionError(`f16(${x[i]})[${i}]: got ${gh[i]}, expected ${want[i]}`);
      }
      if (!Object.is(gb[i], gh[i])) {
        throw new AssertionError(`f32(f16)[${i}]: got ${gb[i]}, expected ${gh[i]}`);
      }
    }
    for (const t of [tx, h, back]) t.release();
  },
);

interface Case extends MatmulRefShape {
  label: string;
  a16: boolean;
  b16: boolean;
  c16: boolean;
  maxBindingBytes?: number;
}

/**
 * Checks `y` elementwise against the float64 product of the operands as the kernel saw them
 * (f16-rounded where f16): each f16·f16 product is exact in f32 (11 + 11 significant bits), so the
 * only errors are f32 accumulation, |err| ≤ K·u32·Σ|a||b| (a loose worst case), plus one f16
 * rounding of the result, u16·|y|, when the output is f16.
 */
function checkBound(
  c: Case,
  y: ArrayLike<number>,
  a: Float32Array,
  b: Float32Array,
  out0: number[],
) {
  const absA = a.map(Math.abs), absB = b.map(Math.abs);
  const ref = matmulRef(a, b, c, out0);
  const mag = matmulRef(absA, absB, { ...c, alpha: Math.abs(c.alpha ?? 1), beta: 0 });
  const betaMag = out0.map((v) => Math.abs((c.beta ?? 0) * v));
  for (let i = 0; i < ref.length; i++) {
    const bound = (c.K + 2) * U32 * (mag[i] + betaMag[i]) + (c.c16 ? U16 * Math.abs(ref[i]) : 0) +
      1e-30;
    if (!(Math.abs(y[i] - ref[i]) <= bound)) {
      throw new AssertionError(
        `${c.label}[${i}]: got ${y[i]}, expected ${ref[i]} (bound ${bound})`,
      );
    }
  }
}

const round16 = (x: Float32Array) => Float32Array.from(Float16Array.from(x));

for (const variant of ["texture", "buffer", "tiled"] as const) {
  f16Test(
    `matmul ${variant}: f16 operands, f32 accumulation, f32/f16 out, vs float64`,
    async (gpu) => {
      const cases: Case[] = [];
      const add = (c: Omit<Case, "a16" | "b16" | "c16">) => {
        cases.push({ ...c, a16: true, b16: true, c16: false });
        cases.push({ ...c, label: `${c.label} a16`, a16: true, b16: false, c16: false });
        cases.push({ ...c, label: `${c.label} all16`, a16: true, b16: true, c16: true });
      };
      add({ label: "NT linear", Bt: 1, M: 37, N: 29, K: 67, transB: true });
      add({ label: "NN", Bt: 1, M: 17, N: 130, K: 9 });
      add({ label: "TN dW", Bt: 1, M: 12, N: 7, K: 131, transA: true });
      add({ label: "1x1", Bt: 1, M: 1, N: 1, K: 1 });
      add({ label: "batched", Bt: 3, M: 5, N: 6, K: 7 });
      add({ label: "alpha/beta", Bt: 1, M: 9, N: 11, K: 13, alpha: 0.5, beta: 1 });
      add({ label: "chunked", Bt: 1, M: 70, N: 66, K: 300, transB: true, maxBindingBytes: 4096 });
      const enc = new Encoder(gpu);
      const pending: { c: Case; y: Tensor; a: Float32Array; b: Float32Array; o: number[] }[] = [];
      const owned: Tensor[] = [];
      cases.forEach((c, i) => {
        const { Bt, M, N, K, transA, transB } = c;
        const aShape = [...(Bt > 1 ? [Bt] : []), ...(transA ? [K, M] : [M, K])];
        const bShape = [...(Bt > 1 ? [Bt] : []), ...(transB ? [N, K] : [K, N])];
        const oShape = Bt > 1 ? [Bt, M, N] : [M, N];
        const n = (s: number[]) => s.reduce((x, y) => x * y, 1);
        // f16 operands as the kernel sees them (rounded), so the bound only covers accumulation.
        const a0 = randomArray(10 + i, n(aShape)), b0 = randomArray(20 + i, n(bShape));
        const a = c.a16 ? round16(a0) : a0, b = c.b16 ? round16(b0) : b0;
        const o = Array.from(
          c.c16 ? round16(randomArray(30 + i, n(oShape))) : randomArray(30 + i, n(oShape)),
        );
        const ta = upload(gpu, a, aShape, c.a16 ? "f16" : "f32");
        const tb = upload(gpu, b, bShape, c.b16 ? "f16" : "f32");
        const y = upload(gpu, o, oShape, c.c16 ? "f16" : "f32");
        matmul(enc, ta, tb, {
          transA,
          transB,
          alpha: c.alpha,
          beta: c.beta,
          out: y,
          variant,
          maxBindingBytes: c.maxBindingBytes,
        });
        owned.push(ta, tb, y);
        pending.push({ c, y, a, b, o: c.beta ? o : o.map(() => 0) });
      });
      enc.submit();
      const ys = await readTensors(gpu, pending.map((p) => p.y));
      pending.forEach((p, i) =>
        checkBound({ ...p.c, label: `${variant} ${p.c.label}` }, ys[i], p.a, p.b, p.o)
      );
      for (const t of owned) t.release();
    },
  );
}

f16Test(
  "linearForward: f16 weights and activations give the f32 product within f16 input rounding",
  async (gpu) => {
    // What mixed precision changes against float32: both operands rounded to f16 (relative u16
    // each), so |y16 - y32| ≤ (2·u16 + u16² + K·u32)·Σ|x||W|, measured against the f32 inputs.
    const rows = 41, inF = 64, outF = 48;
    const x = randomArray(5, rows * inF, -3, 3), W = randomArray(6, outF * inF, -0.2, 0.2);
    const tx = upload(gpu, x, [rows, inF]), tW = upload(gpu, W, [outF, inF]);
    const enc = new Encoder(gpu);
    const x16 = cast(enc, tx, "f16"), W16 = cast(enc, tW, "f16");
    const y = linearForward(enc, x16, W16);
    enc.submit();
    assertEquals(y.dtype, "f32");
    const [gy] = await readTensors(gpu, [y]);
    const shape = { Bt: 1, M: rows, N: outF, K: inF, transB: true };
    const ref = matmulRef(x, W, shape);
    const mag = matmulRef(x.map(Math.abs), W.map(Math.abs), shape);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) {
      const bound = (2 * U16 + U16 * U16 + (inF + 2) * U32) * mag[i];
      worst = Math.max(worst, Math.abs(gy[i] - ref[i]) / bound);
      if (!(Math.abs(gy[i] - ref[i]) <= bound)) {
        throw new AssertionError(`y[${i}]: got ${gy[i]}, expected ${ref[i]} (bound ${bound})`);
      }
    }
    for (const t of [tx, tW, x16, W16, y]) t.release();
  },
);

f16Test(
  "matmul round16: f32 operands rounded on load give the f16-operand product bit for bit",
  async (gpu) => {
    for (const variant of ["texture", "buffer", "tiled"] as const) {
      const M = 33, N = 20, K = 47;
      const a = randomArray(41, M * K, -4, 4), b = randomArray(42, N * K, -4, 4);
      const ta = upload(gpu, a, [M, K]), tb = upload(gpu, b, [N, K]);
      const ta16 = upload(gpu, a, [M, K], "f16"), tb16 = upload(gpu, b, [N, K], "f16");
      const enc = new Encoder(gpu);
      const y = matmul(enc, ta, tb, { transB: true, round16: true, variant });
      const y16 = matmul(enc, ta16, tb16, { transB: true, variant });
      const y32 = matmul(enc, ta, tb, { transB: true, variant });
      enc.submit();
      const [gy, gy16, gy32] = await readTensors(gpu, [y, y16, y32]);
      assertEquals(Array.from(gy), Array.from(gy16), `${variant}: round16 vs f16 operands`);
      // And the rounding happened: the f32 product differs.
      assert(gy.some((v, i) => v !== gy32[i]), `${variant}: round16 changed nothing`);
      for (const t of [ta, tb, ta16, tb16, y, y16, y32]) t.release();
    }
  },
);

/** Asserts `got` equals `want` rounded to f16, element by element (bit for bit, ±0 apart). */
function assertRounded(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  const w16 = Float16Array.from(want);
  for (let i = 0; i < w16.length; i++) {
    if (!Object.is(got[i], w16[i])) {
      throw new AssertionError(
        `${label}[${i}]: got ${got[i]}, expected f16(${want[i]}) = ${w16[i]}`,
      );
    }
  }
}

// The f16-stored activations change only the storage: each kernel reads f16 as the f32 it holds
// exactly, computes in f32, and an f16 result is that f32 result rounded once (nearest even, as
// Float16Array). So the f16 paths must equal the f32 kernels on the same (f16-valued) inputs.
f16Test(
  "swiglu with f16 gu, h and dgu, rmsnorm backward with f16 y: the f32 kernels' results, rounded",
  async (gpu) => {
    const N = 37, F = 45, D = 67; // odd sizes: the last f16 word of h and y is half padding
    const gu = round16(randomArray(41, N * 2 * F, -6, 6)), dh = randomArray(42, N * F);
    const x = randomArray(43, N * D, -3, 3), dy = randomArray(44, N * D);
    const tgu32 = upload(gpu, gu, [N, 2 * F]), tgu16 = upload(gpu, gu, [N, 2 * F], "f16");
    const tdh = upload(gpu, dh, [N, F]), tx = upload(gpu, x, [N, D]), tdy = upload(gpu, dy, [N, D]);
    const enc = new Encoder(gpu);
    const h32 = swigluForward(enc, tgu32), h16 = swigluForward(enc, tgu16, "f16");
    const dgu32 = swigluBackward(enc, tdh, tgu32), dgu16 = swigluBackward(enc, tdh, tgu16, "f16");
    const { y, rstd } = rmsnormForward(enc, tx, 1e-5);
    const y16 = cast(enc, y, "f16"), y16w = cast(enc, y16, "f32");
    const dx16 = rmsnormBackward(enc, tdy, y16, rstd, { dy2: tdy });
    const dx32 = rmsnormBackward(enc, tdy, y16w, rstd, { dy2: tdy });
    enc.submit();
    const [gh32, gh16, gd32, gd16, gx16, gx32] = await readTensors(gpu, [
      h32,
      h16,
      dgu32,
      dgu16,
      dx16,
      dx32,
    ]);
    assertEquals([h16.dtype, dgu16.dtype, dx16.dtype], ["f16", "f16", "f32"]);
    assertRounded(gh16, gh32, "swiglu h");
    assertRounded(gd16, gd32, "swiglu dgu");
    assertEquals(Array.from(gx16), Array.from(gx32), "rmsnorm dx from f16 y vs f32 y");
    const all = [
      tgu32,
      tgu16,
      tdh,
      tx,
      tdy,
      h32,
      h16,
      dgu32,
      dgu16,
      y,
      rstd,
      y16,
      y16w,
      dx16,
      dx32,
    ];
    for (const t of all) t.release();
  },
);

f16Test("cast and matmul: wrong dtypes and sizes name the op", (gpu) => {
  const i = Tensor.empty(gpu, [4], "i32", "ids"), f = Tensor.empty(gpu, [4], "f32", "f");
  const h = Tensor.empty(gpu, [5], "f16", "h5");
  const enc = new Encoder(gpu);
  assertThrows(() => cast(enc, i, "f16"), RangeError, "cast: ids is i32");
  assertThrows(() => fill(enc, h, 0), RangeError, "fill: h5 is f16");
  assertThrows(() => cast(enc, f, "f16", h), RangeError, "cast: out h5 [5] f16 should be [4] f16");
  assertThrows(
    () => matmul(enc, i.reshape([2, 2]), f.reshape([2, 2])),
    RangeError,
    "not f32 or f16",
  );
  for (const t of [i, f, h]) t.release();
});

gpuTest("f16 ops without shader-f16 say which feature is missing", (gpu) => {
  if (hasShaderF16(gpu)) {
    // The message path is exercised by a device that lacks the feature; here only the check.
    assertEquals(hasShaderF16(gpu), gpu.features.has("shader-f16"));
    return;
  }
  const f = Tensor.empty(gpu, [4], "f32", "f");
  assertThrows(() => cast(new Encoder(gpu), f, "f16"), RangeError, "shader-f16");
  f.release();
});
