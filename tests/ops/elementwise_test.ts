// Elementwise ops against plain TypeScript, on sizes that are not multiples of the workgroup.
import { add, add3, addRows, addScaled, fill, mul, scale } from "../../lib/ops/elementwise.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assert, assertEquals } from "@std/assert";

gpuTest(
  "add3: a + (b + c) in that order, bit for bit (the reference's z_L + (z_H + x))",
  async (gpu) => {
    const n = 4097;
    const [a, b, c] = [1, 2, 3].map((s) => randomArray(s, n, -100, 100));
    const [ta, tb, tc] = [a, b, c].map((x) => upload(gpu, x, [n]));
    const enc = new Encoder(gpu);
    const y = add3(enc, ta, tb, tc);
    enc.submit();
    const [gy] = await readTensors(gpu, [y]);
    const f = Math.fround;
    const want = Float32Array.from(a, (x, i) => f(x + f(b[i] + c[i])));
    const other = Float32Array.from(a, (x, i) => f(f(x + b[i]) + c[i]));
    assertEquals(Array.from(gy), Array.from(want));
    // The test can tell the orders apart: on this data they differ somewhere.
    assert(want.some((v, i) => v !== other[i]), "orders agree everywhere; pick other data");
    for (const t of [ta, tb, tc, y]) t.release();
  },
);

gpuTest("elementwise: add, mul, scale, addScaled, addRows, fill on ragged sizes", async (gpu) => {
  for (const n of [1, 255, 257, 1000]) {
    const a = randomArray(1, n), b = randomArray(2, n);
    const ta = upload(gpu, a, [n]), tb = upload(gpu, b, [n]);
    const enc = new Encoder(gpu);
    const s = add(enc, ta, tb), m = mul(enc, ta, tb), sc = scale(enc, ta, -2.5);
    const acc = upload(gpu, b, [n]);
    addScaled(enc, acc, ta, 0.5);
    const rows = 4, row = randomArray(3, n);
    const big = upload(gpu, randomArray(4, rows * n), [rows, n]);
    const br = upload(gpu, row, [n]);
    const ar = addRows(enc, big, br);
    const filled = Tensor.empty(gpu, [n], "i32");
    fill(enc, filled, -7);
    enc.submit();
    const [gs, gm, gsc, gacc, gar, gf, gbig] = await readTensors(gpu, [
      s,
      m,
      sc,
      acc,
      ar,
      filled,
      big,
    ]);
    const tol = { atol: 1e-6, rtol: 1e-6 };
    assertClose(gs, a.map((x, i) => x + b[i]), { ...tol, label: `add n=${n}` });
    assertClose(gm, a.map((x, i) => x * b[i]), { ...tol, label: `mul n=${n}` });
    assertClose(gsc, a.map((x) => -2.5 * x), { ...tol, label: `scale n=${n}` });
    assertClose(gacc, b.map((x, i) => x + 0.5 * a[i]), { ...tol, label: `addScaled n=${n}` });
    assertClose(gar, Array.from(gbig, (x, i) => x + row[i % n]), {
      ...tol,
      label: `addRows n=${n}`,
    });
    assertEquals([...gf], new Array(n).fill(-7));
    for (const t of [ta, tb, s, m, sc, acc, big, br, ar, filled]) t.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, 0);
});

gpuTest("elementwise: mismatched sizes name the op and tensors", (gpu) => {
  const a = Tensor.empty(gpu, [3], "f32", "a"), b = Tensor.empty(gpu, [4], "f32", "b");
  const enc = new Encoder(gpu);
  let msg = "";
  try {
    add(enc, a, b);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "add: a [3] and b [4] differ in size");
  a.release();
  b.release();
});

gpuTest("upload and read back an empty tensor (zero-byte writes are skipped)", async (gpu) => {
  const t = upload(gpu, new Float32Array(0), [0]);
  const [back] = await readTensors(gpu, [t]);
  assertEquals(back.length, 0);
  t.release();
});
