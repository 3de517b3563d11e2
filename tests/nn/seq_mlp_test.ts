// TRM's mlp_t token mixer: the batched transpose op, the float64 reference against central
// differences, and the GPU forward/backward against the reference on ragged sizes.
import { assertEquals, assertLess } from "@std/assert";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { fill } from "../../lib/ops/elementwise.ts";
import { transpose } from "../../lib/ops/transpose.ts";
import { seqMlpBackward, seqMlpForward } from "../../lib/nn/seq_mlp.ts";
import { seqMlpBackwardRef, seqMlpRef, type SeqMlpSizes } from "../ref/seq_mlp.ts";
import { assertClose, gpuTest, randomArray } from "../_helpers.ts";

gpuTest("transpose: [B, R, C] -> [B, C, R] exactly, and back", async (gpu) => {
  for (const [B, R, C] of [[1, 1, 1], [2, 3, 5], [3, 97, 64]]) {
    const x = randomArray(B + R + C, B * R * C);
    const tx = upload(gpu, x, [B, R, C]);
    const enc = new Encoder(gpu);
    const y = transpose(enc, tx);
    const back = transpose(enc, y);
    enc.submit();
    const [gy, gb] = await readTensors(gpu, [y, back]);
    assertEquals(y.shape, [B, C, R]);
    const want = new Float32Array(B * R * C);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < C; c++) want[(b * C + c) * R + r] = x[(b * R + r) * C + c];
      }
    }
    assertEquals([...gy], [...want]);
    assertEquals([...gb], [...x]);
    for (const t of [tx, y, back]) t.release();
  }
});

Deno.test("mlp_t reference: backward matches central differences (float64)", () => {
  const s: SeqMlpSizes = { B: 2, T: 5, D: 3, Ft: 4, eps: 1e-5 };
  const n = s.B * s.T * s.D;
  const h0 = Array.from(randomArray(1, n, -2, 2));
  const Wgu = Array.from(randomArray(2, 2 * s.Ft * s.T));
  const Wd = Array.from(randomArray(3, s.T * s.Ft));
  const w = Array.from(randomArray(4, n));
  const loss = (h: number[], a: number[], b: number[]) =>
    seqMlpRef(h, a, b, s).reduce((acc, v, i) => acc + v * w[i], 0);
  const g = seqMlpBackwardRef(w, h0, Wgu, Wd, s);
  const eps = 1e-6;
  const check = (x: number[], grad: Float64Array, f: (v: number[]) => number, name: string) => {
    for (let i = 0; i < x.length; i++) {
      const xp = [...x], xm = [...x];
      xp[i] += eps;
      xm[i] -= eps;
      const fd = (f(xp) - f(xm)) / (2 * eps);
      assertLess(Math.abs(fd - grad[i]), 1e-7 * Math.max(1, Math.abs(fd)), `${name}[${i}]`);
    }
  };
  check(h0, g.dh0, (v) => loss(v, Wgu, Wd), "dh0");
  check(Wgu, g.dWgu, (v) => loss(h0, v, Wd), "dWgu");
  check(Wd, g.dWd, (v) => loss(h0, Wgu, v), "dWd");
});

gpuTest("mlp_t: GPU forward and backward match float64 on ragged sizes", async (gpu) => {
  const before = gpu.pool.stats().inUseBuffers;
  for (const s of [{ B: 1, T: 7, D: 3, Ft: 5 }, { B: 3, T: 97, D: 16, Ft: 256 }]) {
    const sz = { ...s, eps: 1e-5 };
    const n = s.B * s.T * s.D;
    const h0 = randomArray(s.T, n, -2, 2), dh1 = randomArray(s.D, n);
    const Wgu = randomArray(7, 2 * s.Ft * s.T, -0.3, 0.3),
      Wd = randomArray(8, s.T * s.Ft, -0.1, 0.1);
    const th0 = upload(gpu, h0, [s.B * s.T, s.D]), tdh1 = upload(gpu, dh1, [s.B * s.T, s.D]);
    const w = { gate_up: upload(gpu, Wgu, [2 * s.Ft, s.T]), down: upload(gpu, Wd, [s.T, s.Ft]) };
    const dw = {
      gate_up: Tensor.empty(gpu, [2 * s.Ft, s.T], "f32"),
      down: Tensor.empty(gpu, [s.T, s.Ft], "f32"),
    };
    const enc = new Encoder(gpu);
    fill(enc, dw.gate_up, 0);
    fill(enc, dw.down, 0);
    const { h1, saved } = seqMlpForward(enc, w, th0, s.B, 1e-5, true);
    const dh0 = seqMlpBackward(enc, w, dw, tdh1, saved!);
    enc.submit();
    const [gh1, gdh0, gdgu, gdd] = await readTensors(gpu, [h1, dh0, dw.gate_up, dw.down]);
    assertEquals(h1.shape, [s.B * s.T, s.D]);
    const ref = seqMlpBackwardRef(dh1, h0, Wgu, Wd, sz);
    const label = `B=${s.B} T=${s.T} D=${s.D} Ft=${s.Ft}`;
    const tol = (x: number) => ({ atol: 2e-5 * x, rtol: 1e-4 });
    assertClose(gh1, seqMlpRef(h0, Wgu, Wd, sz), { ...tol(1), label: `h1 ${label}` });
    const scale = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
    assertClose(gdh0, ref.dh0, { ...tol(scale(ref.dh0)), label: `dh0 ${label}` });
    assertClose(gdgu, ref.dWgu, { ...tol(scale(ref.dWgu)), label: `dWgu ${label}` });
    assertClose(gdd, ref.dWd, { ...tol(scale(ref.dWd)), label: `dWd ${label}` });
    for (const t of [th0, tdh1, w.gate_up, w.down, dw.gate_up, dw.down, h1, dh0]) t.release();
  }
  assertEquals(gpu.pool.stats().inUseBuffers, before);
});
