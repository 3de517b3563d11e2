// RMSNorm forward/backward against the float64 reference (itself checked by finite differences),
// for every geometry variant on ragged row lengths, with and without the fused residual add (and
// the second incoming gradient of its backward), plus the golden config's input embeddings.
import { rmsnormBackward, rmsnormForward, type RmsnormVariant } from "../../lib/ops/rmsnorm.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { rmsnormBackwardRef, rmsnormRef } from "../ref/rmsnorm.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";
import { assertEquals, assertLess, assertThrows } from "@std/assert";

const EPS = 1e-5;
// Variants: thread per row, workgroup per row, warp-sized groups, and a small ragged group.
const VARIANTS: RmsnormVariant[] = [
  { wg: 64, tpr: 1 },
  { wg: 64, tpr: 64 },
  { wg: 128, tpr: 32 },
  { wg: 16, tpr: 4 },
];

Deno.test("rmsnorm reference: backward matches central differences (float64)", () => {
  const N = 3, D = 5;
  const x = Array.from(randomArray(11, N * D, -2, 2)), w = Array.from(randomArray(12, N * D));
  const loss = (xs: number[]) => rmsnormRef(xs, N, D, EPS).y.reduce((s, v, i) => s + v * w[i], 0);
  const dx = rmsnormBackwardRef(w, x, N, D, EPS);
  const h = 1e-6;
  for (let i = 0; i < N * D; i++) {
    const xp = [...x], xm = [...x];
    xp[i] += h;
    xm[i] -= h;
    const fd = (loss(xp) - loss(xm)) / (2 * h);
    assertLess(Math.abs(fd - dx[i]), 1e-8, `dx[${i}]: fd ${fd} vs ${dx[i]}`);
  }
});

gpuTest("rmsnorm: forward and backward match float64 for every variant", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const v of VARIANTS) {
    for (const [N, D] of [[1, 1], [7, 5], [33, 67], [5, 300]]) {
      const x = randomArray(N * 31 + D, N * D, -3, 3), dy = randomArray(D, N * D);
      const tx = upload(gpu, x, [N, D], "f32", "x"), tdy = upload(gpu, dy, [N, D], "f32", "dy");
      const enc = new Encoder(gpu);
      const { y, rstd } = rmsnormForward(enc, tx, EPS, { variant: v });
      const dx = rmsnormBackward(enc, tdy, y, rstd, { variant: v });
      enc.submit();
      const [gy, gr, gdx] = await readTensors(gpu, [y, rstd, dx]);
      const ref = rmsnormRef(x, N, D, EPS);
      const label = `wg=${v.wg} tpr=${v.tpr} N=${N} D=${D}`;
      // An f32 sum of D squares (error ~sqrt(D)·2⁻²⁴ typically) then one inverseSqrt (2 ulp):
      // measured <= 4e-7 relative up to D = 4096.
      const tol = { atol: 1e-7, rtol: 2e-6 };
      assertClose(gy, ref.y, { ...tol, label: `y ${label}` });
      assertClose(gr, ref.rstd, { ...tol, label: `rstd ${label}` });
      // dx is a difference of two O(rstd·|dy|) terms: its absolute error scales with rstd·|dy|.
      const rmax = Math.max(...ref.rstd);
      assertClose(gdx, rmsnormBackwardRef(dy, x, N, D, EPS), {
        atol: 2e-6 * rmax,
        rtol: 2e-6,
        label: `dx ${label}`,
      });
      for (const t of [tx, tdy, y, rstd, dx]) t.release();
    }
  }
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest(
  "rmsnorm: fused residual add and second gradient match float64 (rms(x + r))",
  async (gpu) => {
    const before = gpu.pool.stats().inUseBuffers;
    for (const v of VARIANTS) {
      for (const [N, D] of [[1, 1], [7, 5], [33, 67], [5, 300]]) {
        const x = randomArray(N + D, N * D, -3, 3), r = randomArray(N * D, N * D, -3, 3);
        const dy = randomArray(D + 1, N * D), dy2 = randomArray(D + 2, N * D);
        const [tx, tr, tdy, tdy2] = [x, r, dy, dy2].map((a) => upload(gpu, a, [N, D]));
        const enc = new Encoder(gpu);
        const { y, rstd } = rmsnormForward(enc, tx, EPS, { residual: tr, variant: v });
        const dv = rmsnormBackward(enc, tdy, y, rstd, { dy2: tdy2, variant: v });
        enc.submit();
        const [gy, gr, gdv] = await readTensors(gpu, [y, rstd, dv]);
        const sum = Array.from(x, (xi, i) => xi + r[i]); // float64
        const ref = rmsnormRef(sum, N, D, EPS);
        const label = `wg=${v.wg} tpr=${v.tpr} N=${N} D=${D}`;
        // As above, plus the rounding of x + r in f32 (half an ulp of the sum, relative 6e-8).
        const tol = { atol: 1e-7, rtol: 2e-6 };
        assertClose(gy, ref.y, { ...tol, label: `y ${label}` });
        assertClose(gr, ref.rstd, { ...tol, label: `rstd ${label}` });
        const g = Array.from(dy, (d, i) => d + dy2[i]);
        assertClose(gdv, rmsnormBackwardRef(g, sum, N, D, EPS), {
          atol: 4e-6 * Math.max(...ref.rstd),
          rtol: 2e-6,
          label: `dv ${label}`,
        });
        for (const t of [tx, tr, tdy, tdy2, y, rstd, dv]) t.release();
      }
    }
    assertEquals(gpu.pool.stats().inUseBuffers, before);
  },
);

gpuTest("rmsnorm: rows past the per-dimension workgroup limit fold into y", async (gpu) => {
  // 70000 rows of one thread each exceed 65535 workgroups only with wg/tpr = 1; use D = 2.
  const N = 70001, D = 2, v = { wg: 4, tpr: 4 };
  const x = randomArray(5, N * D, -1, 1);
  const tx = upload(gpu, x, [N, D]);
  const enc = new Encoder(gpu);
  const { y, rstd } = rmsnormForward(enc, tx, EPS, { variant: v });
  enc.submit();
  const [gy] = await readTensors(gpu, [y]);
  assertClose(gy, rmsnormRef(x, N, D, EPS).y, { atol: 1e-7, rtol: 2e-6, label: "y folded" });
  for (const t of [tx, y, rstd]) t.release();
});

gpuTest("rmsnorm: mismatched shapes name the op and shapes", (gpu) => {
  const y = Tensor.empty(gpu, [4, 8], "f32", "y"), dy = Tensor.empty(gpu, [4, 9], "f32", "dy");
  const rstd = Tensor.empty(gpu, [4], "f32", "rstd");
  const enc = new Encoder(gpu);
  assertThrows(
    () => rmsnormBackward(enc, dy, y, rstd),
    RangeError,
    "rmsnormBackward: dy [4,9], y [4,8] and rstd [4] disagree (want dy = y = [4, 8], rstd = [4])",
  );
  assertThrows(
    () => rmsnormForward(enc, y, EPS, { variant: { wg: 64, tpr: 3 } }),
    RangeError,
    "wg=64 tpr=3",
  );
  assertThrows(
    () => rmsnormForward(enc, y, EPS, { residual: dy }),
    RangeError,
    "rmsnormForward: y [4,8] and dy [4,9] differ",
  );
  assertThrows(
    () => rmsnormBackward(enc, y, y, rstd, { dy2: dy }),
    RangeError,
    "rmsnormBackward: y [4,8] and dy [4,9] differ",
  );
  for (const t of [y, dy, rstd]) t.release();
});

const GOLDEN = new URL("../../../shared/golden/hrm-a/eval_trace.safetensors", import.meta.url);

gpuTest("rmsnorm: golden hrm-a input_embeddings [4,81,64] match float64", async (gpu) => {
  let st;
  try {
    st = await readSafetensors(GOLDEN.pathname);
  } catch (e) {
    console.warn(`golden check skipped: ${GOLDEN.pathname} unreadable (${(e as Error).message})`);
    return;
  }
  const emb = toFloat32(st.tensors.get("input_embeddings")!);
  const N = 4 * 81, D = 64;
  const tx = upload(gpu, emb, [N, D]);
  const enc = new Encoder(gpu);
  const { y, rstd } = rmsnormForward(enc, tx, EPS);
  enc.submit();
  const [gy] = await readTensors(gpu, [y]);
  const ref = rmsnormRef(emb, N, D, EPS);
  assertClose(gy, ref.y, { atol: 1e-7, rtol: 2e-6, label: "golden rms(input_embeddings)" });
  for (const t of [tx, y, rstd]) t.release();
});
