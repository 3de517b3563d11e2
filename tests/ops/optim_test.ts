// AdamATan2 and sparse SignSGD against float64 references over several steps, including
// zero-gradient entries, chunked dispatches, a launch folded into a second workgroup row, and one
// step of the golden hrm-a fixture when /work/shared is present.
import { adamAtan2, type AdamAtan2Options, emaUpdate, signSgdSparse } from "../../lib/ops/optim.ts";
import { Encoder, readTensors, upload, writeTensor } from "../../lib/gpu/encoder.ts";
import { fill } from "../../lib/ops/elementwise.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import type { Gpu } from "../../lib/gpu/device.ts";
import { assertClose, gpuTest, randomArray, randomInts } from "../_helpers.ts";
import { adamAtan2Ref, type AdamState, signSgdRef } from "../ref/optim.ts";
import { assertEquals, assertThrows } from "@std/assert";
import { fromFileUrl } from "@std/path";

const HP = { lr: 1e-2, beta1: 0.9, beta2: 0.95, weightDecay: 0.1 };

/** Runs `steps` AdamATan2 steps on the GPU and in float64; returns both final states. */
async function adamBoth(
  gpu: Gpu,
  n: number,
  steps: number,
  extra: Partial<AdamAtan2Options> = {},
): Promise<{ gpu: (Float32Array | Int32Array | Uint32Array)[]; ref: AdamState; p0: Float32Array }> {
  const p0 = randomArray(n, n);
  const ref: AdamState = {
    p: Float64Array.from(p0),
    m: new Float64Array(n),
    v: new Float64Array(n),
  };
  const p = upload(gpu, p0, [n], "f32", "params");
  const m = upload(gpu, new Float32Array(n), [n], "f32", "m");
  const v = upload(gpu, new Float32Array(n), [n], "f32", "v");
  const inside = extra.biasCorrection !== "outside";
  for (let t = 1; t <= steps; t++) {
    // Every 7th entry never gets a gradient: atan2(0, 0) = 0, so it only decays.
    const g = randomArray(1000 * t + n, n, -0.5, 0.5).map((x, i) => (i % 7 === 3 ? 0 : x));
    const tg = upload(gpu, g, [n], "f32", "grads");
    const enc = new Encoder(gpu);
    adamAtan2(enc, p, tg, m, v, { ...HP, step: t, ...extra });
    enc.releaseAfterSubmit(tg);
    enc.submit();
    adamAtan2Ref(ref, g, { ...HP, step: t }, inside);
  }
  const out = await readTensors(gpu, [p, m, v]);
  for (const t of [p, m, v]) t.release();
  return { gpu: out, ref, p0 };
}

gpuTest("adamAtan2: three steps match float64, both bias-correction forms", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  for (const n of [1, 63, 65, 1000]) {
    for (const biasCorrection of ["inside", "outside"] as const) {
      const label = `n=${n} ${biasCorrection}`;
      const { gpu: [p, m, v], ref, p0 } = await adamBoth(gpu, n, 3, { biasCorrection });
      // p: f32 rounding (~6e-8·|p|) per step plus step size × atan2's error, summed over the
      // steps. WGSL allows atan2 4096 ulp; lavapipe measured ≤ 3.3e-6 rad. Σ step sizes is
      // 3·lr (inside) or lr·Σ 1/(1−β1ᵗ) ≈ 19·lr (outside).
      const steps = biasCorrection === "inside" ? 3 : 1 / 0.1 + 1 / 0.19 + 1 / 0.271;
      const atol = 4e-6 * HP.lr * steps;
      assertClose(p, ref.p, { atol, rtol: 3e-7, label: `${label} p` });
      // m mixes signs (b1·m + (1−b1)·g can cancel): an absolute bound, ~1e-7 of |g| ≤ 0.5.
      assertClose(m, ref.m, { atol: 5e-8, rtol: 1e-6, label: `${label} m` });
      assertClose(v, ref.v, { atol: 1e-10, rtol: 1e-6, label: `${label} v` });
      for (let i = 3; i < n; i += 7) {
        // Zero gradient: only decay, (1 − lr·wd)³.
        assertClose([p[i]], [p0[i] * (1 - HP.lr * HP.weightDecay) ** 3], {
          atol: 0,
          rtol: 3e-7,
          label: `${label} decay-only p[${i}]`,
        });
        assertEquals([m[i], v[i]], [0, 0]);
      }
    }
  }
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("adamAtan2: chunked dispatches give the same bits as one", async (gpu) => {
  const one = await adamBoth(gpu, 1000, 2);
  const chunked = await adamBoth(gpu, 1000, 2, { chunkElements: 300 });
  for (let k = 0; k < 3; k++) assertEquals([...chunked.gpu[k]], [...one.gpu[k]]);
});

gpuTest("adamAtan2: a launch past 65535 workgroups folds into a second row", async (gpu) => {
  // 64 threads per workgroup: this needs 65537 workgroups, i.e. grid [32769, 2].
  const n = 64 * 65535 + 77;
  const [p, tg, m, v] = ["params", "grads", "m", "v"].map((l) => Tensor.empty(gpu, [n], "f32", l));
  // Filled on the GPU: uploading 4M-element arrays costs seconds on the CPU.
  const enc = new Encoder(gpu);
  fill(enc, p, 1);
  fill(enc, tg, 0.25);
  fill(enc, m, 0);
  fill(enc, v, 0);
  enc.submit();
  writeTensor(Tensor.view(tg, n - 1, [1]), [-0.5]);
  const enc2 = new Encoder(gpu);
  adamAtan2(enc2, p, tg, m, v, { ...HP, step: 1 });
  enc2.submit();
  const [gp] = await readTensors(gpu, [p]);
  const decayed = 1 - HP.lr * HP.weightDecay;
  // t = 1: p·(1 − lr·wd) − lr·atan2(g, |g|) = ∓ lr·π/4 for every element, the last included.
  const want = (s: number) => decayed - s * HP.lr * Math.PI / 4;
  // atan2 error (≤ 3.3e-6 rad on lavapipe) times lr, plus the f32 rounding of p.
  const tol = { atol: 4e-6 * HP.lr, rtol: 1.2e-7 };
  assertClose(gp.subarray(0, n - 1), new Float64Array(n - 1).fill(want(1)), {
    ...tol,
    label: "p",
  });
  assertClose([gp[n - 1]], [want(-1)], { ...tol, label: "p[last]" });
  for (const t of [p, tg, m, v]) t.release();
});

gpuTest("signSgdSparse: duplicate ids add up, untouched rows stay, two steps", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  for (const [numIds, Dp, B] of [[7, 5, 9], [40, 512, 33], [3, 1, 1]]) {
    const label = `numIds=${numIds} Dp=${Dp} B=${B}`;
    const W0 = randomArray(numIds, numIds * Dp);
    const ref = Float64Array.from(W0);
    const tW = upload(gpu, W0, [numIds, Dp], "f32", "W");
    const touched = new Set<number>();
    for (let step = 0; step < 2; step++) {
      // Ids in [-1, numIds]: duplicates, and out-of-range ids that must be skipped.
      const ids = randomInts(step + B, B, numIds + 2).map((x) => x - 1);
      const grad = randomArray(step + Dp, B * Dp);
      if (B >= 4) {
        // Two rows with the same id and opposite grads: G = 0, sign 0, decay only.
        ids[2] = ids[3] = 1;
        for (let d = 0; d < Dp; d++) grad[3 * Dp + d] = -grad[2 * Dp + d];
        for (let b = 0; b < B; b++) if (b !== 2 && b !== 3 && ids[b] === 1) ids[b] = 0;
      }
      ids.forEach((id) => id >= 0 && id < numIds && touched.add(id));
      const tIds = upload(gpu, ids, [B], "i32", "ids");
      const tG = upload(gpu, grad, [B, Dp], "f32", "grad");
      const enc = new Encoder(gpu);
      signSgdSparse(enc, tW, tIds, tG, { lr: 0.01, weightDecay: 0.1 });
      enc.submit();
      signSgdRef(ref, numIds, Dp, ids, grad, { lr: 0.01, weightDecay: 0.1 });
      const [gW] = await readTensors(gpu, [tW]);
      // One f32 multiply-add per step.
      assertClose(gW, ref, { atol: 1e-8, rtol: 2e-7, label: `${label} step ${step}` });
      for (const t of [tIds, tG]) t.release();
    }
    const [gW] = await readTensors(gpu, [tW]);
    for (let id = 0; id < numIds; id++) {
      if (touched.has(id)) continue;
      assertEquals([...gW.slice(id * Dp, (id + 1) * Dp)], [...W0.slice(id * Dp, (id + 1) * Dp)]);
    }
    tW.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("optim: errors name the op and shapes", (gpu) => {
  const a = Tensor.empty(gpu, [4], "f32", "a"), b = Tensor.empty(gpu, [5], "f32", "b");
  const W = Tensor.empty(gpu, [3, 2], "f32", "W"), ids = Tensor.empty(gpu, [2], "i32", "ids");
  const g = Tensor.empty(gpu, [2, 3], "f32", "g");
  const enc = new Encoder(gpu);
  assertThrows(
    () => adamAtan2(enc, a, b, a, a, { ...HP, step: 1 }),
    RangeError,
    "adamAtan2: a [4] f32, b [5] f32, a [4] f32, a [4] f32 must be f32 of equal size",
  );
  assertThrows(
    () => adamAtan2(enc, a, a, a, a, { ...HP, step: 0 }),
    RangeError,
    "adamAtan2: step must be an integer >= 1, got 0",
  );
  assertThrows(
    () => signSgdSparse(enc, W, ids, g, { lr: 1, weightDecay: 0 }),
    RangeError,
    "signSgdSparse: W W [3,2], ids ids [2] i32, grad g [2,3]: expected",
  );
  enc.submit();
  for (const t of [a, b, W, ids, g]) t.release();
});

const GOLDEN = fromFileUrl(new URL("../../../shared/golden/hrm-a/", import.meta.url));

gpuTest("adamAtan2: one step of the golden hrm-a fixture", async (gpu) => {
  let step, weights;
  try {
    const { readSafetensors } = await import("../../lib/io/safetensors.ts");
    step = await readSafetensors(`${GOLDEN}train_step.safetensors`);
    weights = await readSafetensors(`${GOLDEN}weights.safetensors`);
  } catch (e) {
    console.warn(`golden hrm-a AdamATan2 check skipped: ${(e as Error).message}`);
    return;
  }
  const names = [...step.tensors.keys()].filter((k) => k.startsWith("grad.")).map((k) =>
    k.slice(5)
  );
  const tensors: Tensor[] = [];
  const enc = new Encoder(gpu);
  for (const name of names) {
    const w = weights.tensors.get(name)!.data as Float32Array;
    const n = w.length;
    const p = upload(gpu, w, [n], "f32", name);
    const g = upload(gpu, step.tensors.get(`grad.${name}`)!.data as Float32Array, [n]);
    const m = upload(gpu, new Float32Array(n), [n]), v = upload(gpu, new Float32Array(n), [n]);
    adamAtan2(enc, p, g, m, v, { lr: 1e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1, step: 1 });
    tensors.push(p, g, m, v);
  }
  enc.submit();
  const got = await readTensors(gpu, tensors.filter((_, i) => i % 4 === 0));
  let worst = 0;
  names.forEach((name, k) => {
    const want = step.tensors.get(`updated.${name}`)!.data as Float32Array;
    // f32 decay product (≤ 1 ulp of p) plus lr·(atan2 error): well under 1e-8 absolute.
    assertClose(got[k], want, { atol: 1e-9, rtol: 2e-7, label: name });
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[k][i] - want[i]));
  });
  console.log(`golden AdamATan2 (${names.length} params): max |diff| ${worst.toExponential(2)}`);
  for (const t of tensors) t.release();
});

gpuTest("emaUpdate: shadow = (1 - rate)·param + rate·shadow, chunked or whole", async (gpu) => {
  const n = 1000;
  const p = randomArray(51, n, -3, 3), sh = randomArray(52, n, -3, 3);
  for (const [rate, chunk] of [[0.5, undefined], [0.999, 256], [0, 64], [1, undefined]] as const) {
    const tp = upload(gpu, p, [n]), ts = upload(gpu, sh, [n]);
    const enc = new Encoder(gpu);
    emaUpdate(enc, tp, ts, rate, chunk);
    enc.submit();
    const [got, gotP] = await readTensors(gpu, [ts, tp]);
    const want = Array.from(sh, (s, i) => (1 - rate) * p[i] + rate * s);
    assertClose(got, want, { atol: 1e-6, rtol: 1e-6, label: `ema rate ${rate} chunk ${chunk}` });
    assertEquals([...gotP], [...p]);
    tp.release();
    ts.release();
  }
  const tp = upload(gpu, p, [n]), ts = upload(gpu, sh.subarray(1), [n - 1]);
  assertThrows(
    () => emaUpdate(new Encoder(gpu), tp, tp, 1.5),
    RangeError,
    "rate must be in [0, 1]",
  );
  assertThrows(() => emaUpdate(new Encoder(gpu), tp, ts, 0.5), RangeError, "equal size");
  tp.release();
  ts.release();
});
