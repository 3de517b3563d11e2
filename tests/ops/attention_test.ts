// Attention forward/backward with RoPE applied inside the kernels (as HRM runs it) and without
// (learned or no positions) against the float64 references (attention checked by finite
// differences, RoPE in rope_test.ts) for every kernel family and geometry variant on ragged
// shapes, with scores large enough to overflow exp without the running max, plus the golden
// config (T 81, 4 heads of 16) on real activations.
import {
  attentionBackward,
  attentionForward,
  type AttentionVariant,
  defaultAttentionVariant,
  flashAttentionVariant,
} from "../../lib/ops/attention.ts";
import { isSoftwareAdapter } from "../../lib/gpu/variants.ts";
import { ropeTables } from "../../lib/ops/rope.ts";
import { rmsnormForward } from "../../lib/ops/rmsnorm.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { attentionBackwardRef, attentionRef } from "../ref/attention.ts";
import { ropeRef, ropeTablesRef } from "../ref/rope.ts";
import { rmsnormRef } from "../ref/rmsnorm.ts";
import { assertClose, gpuTest, maxRelError, randomArray } from "../_helpers.ts";
import { assertEquals, assertLess, assertThrows } from "@std/assert";

// Flash variants: the software adapters' geometry (HD from the uniforms, 4 rows per invocation),
// the real GPUs' (HD baked in, 64-row tiles), tiles dividing neither T nor the workgroup, tiles
// longer than the workgroup, 3 rows per invocation. A baked-in HD compiles new pipelines per head
// dimension (seconds each on llvmpipe), so those variants run on the HD = 8 shapes only.
const VARIANTS: AttentionVariant[] = [
  { kind: "flash", wg: 16, qr: 4, kt: 0, fixedHd: false },
  { kind: "flash", wg: 64, qr: 1, kt: 64, fixedHd: true },
  { kind: "flash", wg: 16, qr: 1, kt: 5, fixedHd: true },
  { kind: "flash", wg: 8, qr: 2, kt: 24, fixedHd: true },
  { kind: "flash", wg: 8, qr: 3, kt: 0, fixedHd: false },
];
// [B, T, NH, HD]
const SHAPES = [[1, 1, 1, 2], [2, 7, 3, 8], [1, 17, 1, 16], [2, 17, 3, 2], [1, 70, 2, 8]];
const HD8 = SHAPES.filter((s) => s[3] === 8);
// Rows variants (HD baked in: each head dimension compiles three pipelines, ~5 s cold on
// llvmpipe), each on shapes that exercise it: the demo's default (8 rows per invocation at HD 16)
// with T = 1, T < 8, T = 70 (ragged) and the demo's shape; 3 rows and a 5-wide workgroup (ragged
// grid) with HD 12 and HD 10 (with RoPE each half zero-padded to 8: copies in and out; without,
// HD 10 is padded to 12, a partial first block); 1 row with HD 52 (each half padded to 28, a
// partial last block). HD 64 (all four blocks) runs below with its default. Without RoPE (a
// pipeline each) only the first flash variant on every shape and two rows cases run.
const ROWS: [AttentionVariant, number[][]][] = [
  [{ kind: "rows", wg: 64, qr: 8 }, [[1, 1, 1, 16], [2, 7, 3, 16], [1, 70, 2, 16], [3, 16, 4, 16]]],
  [{ kind: "rows", wg: 5, qr: 3 }, [[2, 17, 3, 12], [1, 2, 2, 12], [2, 9, 2, 10]]],
  [{ kind: "rows", wg: 7, qr: 1 }, [[2, 6, 1, 52]]],
];

function absMax(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

Deno.test("attention reference: backward matches central differences (float64)", () => {
  const B = 2, T = 3, NH = 2, HD = 2, n = B * T * 3 * NH * HD;
  const qkv = Array.from(randomArray(21, n, -2, 2)), w = Array.from(randomArray(22, n / 3));
  const loss = (x: number[]) =>
    attentionRef(x, B, T, NH, HD).out.reduce((s, v, i) => s + v * w[i], 0);
  const g = attentionBackwardRef(w, qkv, B, T, NH, HD);
  const h = 1e-6;
  for (let i = 0; i < n; i++) {
    const xp = [...qkv], xm = [...qkv];
    xp[i] += h;
    xm[i] -= h;
    const fd = (loss(xp) - loss(xm)) / (2 * h);
    assertLess(Math.abs(fd - g[i]), 1e-8, `dqkv[${i}]: fd ${fd} vs ${g[i]}`);
  }
  // lse is the log of the softmax denominator: check one row directly.
  const { lse } = attentionRef(qkv, B, T, NH, HD);
  let sum = 0;
  for (let j = 0; j < T; j++) {
    sum += Math.exp((qkv[0] * qkv[j * 12 + 4] + qkv[1] * qkv[j * 12 + 5]) / Math.sqrt(2));
  }
  assertLess(Math.abs(lse[0] - Math.log(sum)), 1e-12);
});

async function check(
  gpu: Parameters<Parameters<typeof gpuTest>[1]>[0],
  [B, T, NH, HD]: number[],
  v: AttentionVariant,
  range: number,
  withRope = true,
): Promise<void> {
  const n = B * T * 3 * NH * HD;
  const qkv = randomArray(n + v.wg, n, -range, range), dout = randomArray(n + 1, n / 3);
  const tq = upload(gpu, qkv, [B, T, 3 * NH * HD], "f32", "qkv");
  const tdo = upload(gpu, dout, [B, T, NH * HD], "f32", "dout");
  // Tables longer than T: only positions 0..T−1 are used.
  const rope = withRope ? ropeTables(gpu, T + 2, HD, 10000) : undefined;
  const enc = new Encoder(gpu);
  const { out, lse, saved } = attentionForward(enc, tq, NH, HD, { rope, variant: v, save: true });
  const dqkv = attentionBackward(enc, tdo, saved!, out, lse, NH, HD, { rope, variant: v });
  enc.submit();
  const [go, gl, gd, gs] = await readTensors(gpu, [out, lse, dqkv, saved!]);
  // The reference rotates q and k first (float64 tables), and sends dq, dk back through the
  // transposed rotation.
  const rt = ropeTablesRef(T, HD, 10000);
  const rq = rope ? ropeRef(qkv, B, T, NH, HD, rt.cos, rt.sin) : qkv;
  const ref = attentionRef(rq, B, T, NH, HD);
  const drq = attentionBackwardRef(dout, rq, B, T, NH, HD);
  const dref = rope ? ropeRef(drq, B, T, NH, HD, rt.cos, rt.sin, true) : drq;
  const label = `${JSON.stringify(v)} B=${B} T=${T} NH=${NH} HD=${HD} range=${range} ` +
    `rope=${withRope}`;
  // What the backward read: q and k rotated (a few f32 roundings), v as it was; qkv itself
  // without RoPE.
  assertEquals(saved === tq, !rope, `saved is qkv itself without RoPE ${label}`);
  assertClose(gs, rq, { atol: 1e-6 * range, rtol: 1e-6, label: `saved ${label}` });
  // Scores are f32: an error of a few ulp(max|s|) in s_ij is a relative error of that size in
  // every exp(s_ij − lse_i), on top of ~1e-6 from f32 exp and T-term sums; max|s| is about
  // range²·sqrt(HD). Measured: 5e-7 at range 1, 5e-5 at range 20 (max|s| ~1100).
  const sUlp = 1.2e-7 * range * range * Math.sqrt(HD);
  const fwdTol = 2e-6 + sUlp;
  assertClose(go, ref.out, { atol: fwdTol * absMax(ref.out), rtol: fwdTol, label: `out ${label}` });
  assertClose(gl, ref.lse, { atol: 1e-6 + 2 * sUlp, rtol: 1e-6, label: `lse ${label}` });
  // The backward subtracts D_i from dP_ij and sums T such terms: judge it against the largest
  // gradient, not elementwise (small entries are differences of large ones).
  const err = maxRelError(gd, dref);
  assertLess(err, 4e-6 + 2 * sUlp, `dqkv ${label}: max rel error ${err}`);
  for (const t of [tq, tdo, out, lse, dqkv]) t.release();
  if (rope) saved!.release();
  rope?.cs.release();
}

gpuTest("attention: flash forward and backward match float64 for every variant", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const v of VARIANTS) {
    if (v.kind !== "flash") continue;
    for (const shape of v.fixedHd ? HD8 : SHAPES) await check(gpu, shape, v, 1);
  }
  for (const shape of SHAPES) await check(gpu, shape, VARIANTS[0], 1, false);
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("attention: rows forward and backward match float64 for every variant", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const [v, shapes] of ROWS) {
    for (const shape of shapes) await check(gpu, shape, v, 1);
  }
  await check(gpu, [2, 7, 3, 16], ROWS[0][0], 1, false);
  await check(gpu, [2, 9, 2, 10], ROWS[1][0], 1, false);
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});

gpuTest("attention: head dimension 64 (HD_MAX) and huge scores stay finite", async (gpu) => {
  const hd64 = [VARIANTS[0], VARIANTS[4], defaultAttentionVariant(gpu, 64)];
  // Flash with HD = 64 baked in (its real-GPU geometry) costs ~20 s of compilation on llvmpipe.
  if (!isSoftwareAdapter(gpu)) hd64.push(flashAttentionVariant(gpu, 64));
  else console.warn("attention HD=64 flash with HD baked in: skipped on a software adapter");
  for (const v of hd64) await check(gpu, [1, 9, 2, 64], v, 1);
  // Scores up to ~1600: exp overflows f32 without the running max.
  for (const v of [VARIANTS[0], VARIANTS[4], ROWS[0][0]]) await check(gpu, [2, 17, 1, 16], v, 20);
});

gpuTest("attention: the default and flash variants by adapter and head dimension", (gpu) => {
  const soft = isSoftwareAdapter(gpu);
  for (const [HD, qr] of [[2, 8], [4, 8], [6, 8], [12, 8], [16, 8], [32, 4], [40, 3], [64, 2]]) {
    // Software adapters: HD·qr <= 128 (HD rounded up to a multiple of 4) bounds Mesa's compile
    // time, at most 8 rows; real GPUs: a row per invocation.
    const want = { kind: "rows", wg: 64, qr: soft ? qr : 1 };
    assertEquals(defaultAttentionVariant(gpu, HD), want, `HD ${HD}`);
    const flash = flashAttentionVariant(gpu, HD);
    assertEquals([flash.kind, flash.fixedHd], ["flash", !soft], `flash at HD ${HD}`);
  }
});

gpuTest("attention: long sequences (T 1100) on the default variant", async (gpu) => {
  // llvmpipe silently ends a shader's loops after 65535 iterations in total; the flash kernels'
  // nested loops over HD got there near T ≈ 200 (so on software adapters the op refuses them),
  // the rows kernels loop once per key.
  await check(gpu, [1, 1100, 1, 16], defaultAttentionVariant(gpu, 16), 1);
  const flash = { kind: "flash", wg: 16, qr: 4, kt: 0, fixedHd: false } as const;
  const qkv = Tensor.empty(gpu, [1, 300, 96], "f32", "qkv");
  const enc = new Encoder(gpu);
  if (isSoftwareAdapter(gpu)) {
    assertThrows(
      () => attentionForward(enc, qkv, 1, 32, { variant: flash }),
      RangeError,
      "loop iterations per invocation at T=300, HD=32; llvmpipe silently stops after 65535",
    );
  }
  qkv.release();
});

gpuTest("attention: mismatched shapes name the op and shapes", (gpu) => {
  const qkv = Tensor.empty(gpu, [2, 5, 48], "f32", "qkv");
  const out = Tensor.empty(gpu, [2, 5, 16], "f32", "out");
  const lse = Tensor.empty(gpu, [2, 2, 4], "f32", "lse");
  const enc = new Encoder(gpu);
  assertThrows(
    () => attentionForward(enc, qkv, 3, 8),
    RangeError,
    "attentionForward: qkv [2,5,48] does not fit NH=3, HD=8 (want [B, T, 72], 1 <= HD <= 64)",
  );
  assertThrows(() => attentionForward(enc, qkv, 1, 17), RangeError, "HD=17");
  assertThrows(
    () => attentionBackward(enc, out, qkv, out, lse, 2, 8),
    RangeError,
    "attentionBackward: dout [2,5,16], out [2,5,16], lse [2,2,4] do not match qkv [2,5,48] " +
      "(want dout = out = [2,5,16], lse = [2,2,5])",
  );
  const short = ropeTables(gpu, 4, 8, 10000), wide = ropeTables(gpu, 5, 16, 10000);
  assertThrows(
    () => attentionForward(enc, qkv, 2, 8, { rope: short }),
    RangeError,
    "attentionForward: RoPE tables [T=4, HD=8] do not cover qkv [2,5,48] (want HD=8, T >= 5)",
  );
  assertThrows(
    () => attentionBackward(enc, out, qkv, out, lse, 2, 8, { rope: wide }),
    RangeError,
    "attentionBackward: RoPE tables [T=5, HD=16] do not cover qkv [2,5,48]",
  );
  short.cs.release();
  wide.cs.release();
  const flash = { kind: "flash" } as const;
  assertThrows(
    () =>
      attentionForward(enc, qkv, 2, 8, {
        variant: { ...flash, wg: 32, qr: 1, kt: 1 << 20, fixedHd: true },
      }),
    RangeError,
    "variant wg=32 qr=1 kt=1048576 fixedHd=true is invalid or does not fit the device",
  );
  assertThrows(
    () =>
      attentionForward(enc, qkv, 2, 8, {
        variant: { ...flash, wg: 32, qr: 5, kt: 0, fixedHd: false },
      }),
    RangeError,
    "variant wg=32 qr=5 kt=0",
  );
  assertThrows(
    () =>
      attentionForward(enc, qkv, 2, 8, {
        variant: { ...flash, wg: 32, qr: 1, kt: 8, fixedHd: false },
      }),
    RangeError,
    "variant wg=32 qr=1 kt=8 fixedHd=false",
  );
  assertThrows(
    () => attentionForward(enc, qkv, 2, 8, { variant: { kind: "rows", wg: 64, qr: 9 } }),
    RangeError,
    "attention: rows variant wg=64 qr=9 is invalid (want 1 <= qr <= 8, 1 <= wg <= ",
  );
  assertThrows(
    () => attentionForward(enc, qkv, 2, 8, { variant: { kind: "rows", wg: 0, qr: 1 } }),
    RangeError,
    "rows variant wg=0 qr=1 is invalid",
  );
  for (const t of [qkv, out, lse]) t.release();
});

const GOLDEN = new URL("../../../shared/golden/hrm-a/", import.meta.url);

gpuTest("attention: golden hrm-a config (T 81, 4 heads of 16) on real activations", async (gpu) => {
  let trace, weights;
  try {
    trace = await readSafetensors(`${GOLDEN.pathname}eval_trace.safetensors`);
    weights = await readSafetensors(`${GOLDEN.pathname}weights.safetensors`);
  } catch (e) {
    console.warn(`golden check skipped: ${GOLDEN.pathname} unreadable (${(e as Error).message})`);
    return;
  }
  // The first L_level block's attention input: z_L (L_init broadcast) + z_H (H_init) + emb.
  const B = 4, T = 81, D = 64, NH = 4, HD = 16, N = B * T;
  const emb = toFloat32(trace.tensors.get("input_embeddings")!);
  const hInit = toFloat32(weights.tensors.get("inner.H_init")!);
  const lInit = toFloat32(weights.tensors.get("inner.L_init")!);
  const W = toFloat32(weights.tensors.get("inner.L_level.layers.0.self_attn.qkv_proj.weight")!);
  const x = Float64Array.from(emb, (e, i) => e + hInit[i % D] + lInit[i % D]);
  const qkv = new Float32Array(N * 3 * D); // x · Wᵀ in float64, rounded once
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < 3 * D; o++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += x[n * D + d] * W[o * D + d];
      qkv[n * 3 * D + o] = s;
    }
  }
  const rope = ropeTables(gpu, T, HD, 10000);
  const tq = upload(gpu, qkv, [B, T, 3 * D], "f32", "qkv");
  const enc = new Encoder(gpu);
  const { out, lse } = attentionForward(enc, tq, NH, HD, { rope });
  const { y, rstd } = rmsnormForward(enc, out.reshape([N, D]), 1e-5);
  enc.submit();
  const [go, gy] = await readTensors(gpu, [out, y]);
  const rt = ropeTablesRef(T, HD, 10000);
  const ref = attentionRef(ropeRef(qkv, B, T, NH, HD, rt.cos, rt.sin), B, T, NH, HD);
  const err = maxRelError(go, ref.out);
  assertLess(err, 1e-5, `golden attention out: max rel error ${err}`);
  assertClose(gy, rmsnormRef(ref.out, N, D, 1e-5).y, {
    atol: 2e-5,
    rtol: 2e-5,
    label: "golden rms(attention out)",
  });
  for (const t of [tq, out, lse, y, rstd, rope.cs]) t.release();
});
