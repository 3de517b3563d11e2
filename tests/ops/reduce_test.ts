// Reductions against float64 sums on ragged sizes, for each row kernel (one invocation per row,
// workgroups of 64 and 256) and with bindings small enough to force chunking of rows.
import { meanRows, type ReduceKernel, sumAll, sumRows } from "../../lib/ops/reduce.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { meanRowsRef, sumAllRef, sumRowsRef } from "../ref/reduce.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assertEquals, assertThrows } from "@std/assert";

const KERNELS: (ReduceKernel | undefined)[] = [
  undefined,
  { serial: true },
  { serial: false, wg: 64 },
  { serial: false, wg: 256 },
];

// f32 sums of n values in [-1, 1]: serial rounding error stays below ~n·2⁻²⁴ of Σ|x| ≤ n.
const tolFor = (n: number) => ({ atol: 1e-6 + 1.2e-7 * n, rtol: 1e-6 });

gpuTest("sumRows/meanRows: ragged rows for every kernel, chunked bindings", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  const shapes = [[1, 1], [3, 7], [17, 1], [5, 65], [2, 1000], [130, 33], [3, 5000]];
  for (const kernel of KERNELS) {
    for (const maxBindingBytes of [undefined, 1024]) {
      const enc = new Encoder(gpu);
      const checks: [Tensor, Float64Array, string, number][] = [];
      const owned: Tensor[] = [];
      for (const [R, C] of shapes) {
        if (maxBindingBytes && C * 4 > maxBindingBytes - 64) continue;
        const x = randomArray(R * 100 + C, R * C);
        const tx = upload(gpu, x, [R, C], "f32", "x");
        const opts = { kernel, maxBindingBytes };
        const s = sumRows(enc, tx, undefined, opts), m = meanRows(enc, tx, undefined, opts);
        const label = `${JSON.stringify(kernel)} limit=${maxBindingBytes} [${R}, ${C}]`;
        checks.push([s, sumRowsRef(x, R, C), `sumRows ${label}`, C]);
        checks.push([m, meanRowsRef(x, R, C), `meanRows ${label}`, 1]);
        owned.push(tx, s, m);
      }
      enc.submit();
      const got = await readTensors(gpu, checks.map((c) => c[0]));
      checks.forEach(([, e, label, n], i) => assertClose(got[i], e, { ...tolFor(n), label }));
      for (const t of owned) t.release();
    }
  }
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("sumRows: leading dimensions count as rows; out is reused", async (gpu) => {
  const x = randomArray(9, 2 * 3 * 4);
  const tx = upload(gpu, x, [2, 3, 4]);
  const out = Tensor.empty(gpu, [6], "f32", "out");
  const enc = new Encoder(gpu);
  const y = sumRows(enc, tx, out);
  const z = sumRows(enc, tx);
  enc.submit();
  assertEquals(y, out);
  assertEquals(z.shape, [2, 3]);
  const [gy, gz] = await readTensors(gpu, [y, z]);
  assertClose(gy, sumRowsRef(x, 6, 4), { ...tolFor(4), label: "out" });
  assertClose(gz, sumRowsRef(x, 6, 4), { ...tolFor(4), label: "new" });
  for (const t of [tx, out, z]) t.release();
});

gpuTest("sumAll: single piece, several levels of partial sums, chunked, empty", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  const enc = new Encoder(gpu);
  const checks: [Tensor, number, string, number][] = [];
  const owned: Tensor[] = [];
  for (const n of [1, 4095, 4097, 70001]) {
    for (const maxBindingBytes of [undefined, 8192]) {
      const x = randomArray(n, n);
      const tx = upload(gpu, x, [n], "f32", "x");
      const s = sumAll(enc, tx, undefined, { maxBindingBytes });
      checks.push([s, sumAllRef(x), `sumAll n=${n} limit=${maxBindingBytes}`, n]);
      owned.push(tx, s);
    }
  }
  const empty = Tensor.empty(gpu, [0, 3], "f32", "empty");
  const s0 = sumAll(enc, empty);
  checks.push([s0, 0, "sumAll of an empty tensor", 0]);
  owned.push(empty, s0);
  enc.submit();
  const got = await readTensors(gpu, checks.map((c) => c[0]));
  // Pieces are summed by a tree, so the error grows far slower than n; n·2⁻²⁴ still bounds it.
  checks.forEach(([, e, label, n], i) => assertClose(got[i], [e], { ...tolFor(n), label }));
  for (const t of owned) t.release();
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("reductions: wrong out sizes and dtypes name the op and shapes", (gpu) => {
  const x = Tensor.empty(gpu, [4, 5], "f32", "x"), o = Tensor.empty(gpu, [3], "f32", "o");
  const ix = Tensor.empty(gpu, [4], "i32", "ids");
  const enc = new Encoder(gpu);
  assertThrows(
    () => sumRows(enc, x, o),
    RangeError,
    "sumRows: out o [3] should hold 4 values for x [4, 5]",
  );
  assertThrows(() => meanRows(enc, x, o), RangeError, "meanRows: out o [3]");
  assertThrows(() => sumAll(enc, x, o), RangeError, "sumAll: out o [3] should be [1]");
  assertThrows(() => sumAll(enc, ix), RangeError, "sumAll: ids is i32, not f32");
  enc.submit();
  for (const t of [x, o, ix]) t.release();
});
