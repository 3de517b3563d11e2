// SwiGLU forward/backward against the float64 reference (itself checked by finite differences),
// on ragged sizes and saturated gates.
import { swigluBackward, swigluForward } from "../../lib/ops/swiglu.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { swigluBackwardRef, swigluRef } from "../ref/swiglu.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assertEquals, assertLess, assertThrows } from "@std/assert";

Deno.test("swiglu reference: backward matches central differences (float64)", () => {
  const N = 3, F = 4;
  const gu = Array.from(randomArray(31, N * 2 * F, -4, 4)), w = Array.from(randomArray(32, N * F));
  const loss = (x: number[]) => swigluRef(x, N, F).reduce((s, v, i) => s + v * w[i], 0);
  const g = swigluBackwardRef(w, gu, N, F);
  const h = 1e-6;
  for (let i = 0; i < gu.length; i++) {
    const xp = [...gu], xm = [...gu];
    xp[i] += h;
    xm[i] -= h;
    const fd = (loss(xp) - loss(xm)) / (2 * h);
    assertLess(Math.abs(fd - g[i]), 1e-8, `dgu[${i}]: fd ${fd} vs ${g[i]}`);
  }
});

gpuTest("swiglu: forward and backward match float64 on ragged sizes", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const [N, F, range] of [[1, 1, 3], [7, 5, 3], [33, 257, 3], [4, 9, 200]]) {
    // range 200 saturates the sigmoid both ways (exp(±200) is 0 or +inf in f32).
    const gu = randomArray(N * F, N * 2 * F, -range, range), dh = randomArray(F, N * F);
    const tgu = upload(gpu, gu, [N, 2 * F]), tdh = upload(gpu, dh, [N, F]);
    const enc = new Encoder(gpu);
    const h = swigluForward(enc, tgu);
    const dgu = swigluBackward(enc, tdh, tgu);
    enc.submit();
    const [gh, gd] = await readTensors(gpu, [h, dgu]);
    assertEquals(h.shape, [N, F]);
    const label = `N=${N} F=${F} range=${range}`;
    // A handful of f32 operations per element: ~3e-7 relative. f32 exp(x) is off by ~|x|·2⁻²⁴
    // relative after range reduction, so where g ≪ 0 (silu(g) ≈ g·e^g, tiny) the relative error
    // reaches 3e-5 at |g| ~ 150: the absolute floor covers those tiny values.
    const tol = { atol: 1e-6, rtol: 2e-6 };
    assertClose(gh, swigluRef(gu, N, F), { ...tol, label: `h ${label}` });
    assertClose(gd, swigluBackwardRef(dh, gu, N, F), { ...tol, label: `dgu ${label}` });
    for (const t of [tgu, tdh, h, dgu]) t.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("swiglu: rows past the per-dimension workgroup limit fold into z", async (gpu) => {
  const N = 70001, F = 1;
  const gu = randomArray(7, N * 2 * F, -3, 3), dh = randomArray(8, N * F);
  const tgu = upload(gpu, gu, [N, 2 * F]), tdh = upload(gpu, dh, [N, F]);
  const enc = new Encoder(gpu);
  const h = swigluForward(enc, tgu);
  const dgu = swigluBackward(enc, tdh, tgu);
  enc.submit();
  const [gh, gd] = await readTensors(gpu, [h, dgu]);
  const tol = { atol: 1e-6, rtol: 2e-6 };
  assertClose(gh, swigluRef(gu, N, F), { ...tol, label: "h folded" });
  assertClose(gd, swigluBackwardRef(dh, gu, N, F), { ...tol, label: "dgu folded" });
  for (const t of [tgu, tdh, h, dgu]) t.release();
});

gpuTest("swiglu: mismatched shapes name the op and shapes", (gpu) => {
  const gu = Tensor.empty(gpu, [4, 10], "f32", "gu"), odd = Tensor.empty(gpu, [4, 7], "f32", "odd");
  const dh = Tensor.empty(gpu, [4, 6], "f32", "dh");
  const enc = new Encoder(gpu);
  assertThrows(
    () => swigluBackward(enc, dh, gu),
    RangeError,
    "swigluBackward: dh [4,6] does not match gu [4,10] (want [4, 5])",
  );
  assertThrows(
    () => swigluForward(enc, odd),
    RangeError,
    "swigluForward: odd [4,7] needs an even last dimension 2F",
  );
  for (const t of [gu, odd, dh]) t.release();
});
