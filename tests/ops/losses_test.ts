// Fused LM loss (stablemax / softmax CE, argmax metrics, gradient) and BCE with logits against
// float64 references, which are themselves checked by central differences; plus the golden
// hrm-a train step when /work/shared is present.
import { bceWithLogits, lmLoss, type LossType } from "../../lib/ops/losses.ts";
import { Encoder, readTensors, upload } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import type { Gpu } from "../../lib/gpu/device.ts";
import { assertClose, gpuTest, maxRelError, randomArray } from "../_helpers.ts";
import { bceRef, IGNORE_LABEL_ID, lmLossRef } from "../ref/losses.ts";
import { Rng } from "../../datasets/rng.ts";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { fromFileUrl } from "@std/path";

const TYPES: LossType[] = ["stablemax_cross_entropy", "softmax_cross_entropy"];

/** Labels in [0, V) with ~25% ignored, and row `allIgnored` entirely ignored. */
function makeLabels(seed: number, B: number, S: number, V: number, allIgnored = -1): Int32Array {
  const r = new Rng(seed);
  const out = new Int32Array(B * S);
  for (let i = 0; i < B * S; i++) {
    out[i] = r.chance(0.25) || Math.floor(i / S) === allIgnored ? IGNORE_LABEL_ID : r.int(V);
  }
  return out;
}

Deno.test("losses ref: LM gradient matches central differences of the float64 loss", () => {
  const B = 2, S = 3, V = 5, gradScale = 0.37;
  // Logits straddle 0 (stablemax switches branch there) and include a large one.
  const logits = Array.from(randomArray(7, B * S * V, -3, 3));
  logits[4] = 12;
  const labels = [1, IGNORE_LABEL_ID, 4, 0, 2, 3];
  for (const type of [true, false]) {
    const ref = lmLossRef(logits, labels, B, S, V, type, gradScale);
    const total = (x: number[]) =>
      gradScale * lmLossRef(x, labels, B, S, V, type, 0).loss.reduce((a, b) => a + b, 0);
    const h = 1e-6;
    for (let j = 0; j < logits.length; j++) {
      const xp = logits.slice(), xm = logits.slice();
      xp[j] += h;
      xm[j] -= h;
      const fd = (total(xp) - total(xm)) / (2 * h);
      assert(
        Math.abs(fd - ref.dlogits[j]) < 1e-8,
        `${type ? "stablemax" : "softmax"} d[${j}]: fd ${fd} vs ${ref.dlogits[j]}`,
      );
    }
  }
});

Deno.test("losses ref: BCE gradient matches central differences", () => {
  const x = [-30, -2.5, -0.1, 0, 0.3, 4, 25], t = [0, 1, 0.5, 1, 0, 0.25, 1];
  const { dlogits } = bceRef(x, t, 0.7);
  const h = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const f = (v: number) => 0.7 * bceRef([v], [t[i]], 1).loss[0];
    const fd = (f(x[i] + h) - f(x[i] - h)) / (2 * h);
    assert(Math.abs(fd - dlogits[i]) < 1e-8, `bce d[${i}]: fd ${fd} vs ${dlogits[i]}`);
  }
});

interface LmCase {
  B: number;
  S: number;
  V: number;
  logits: Float32Array;
  labels: Int32Array;
}

async function runLm(gpu: Gpu, c: LmCase, lossType: LossType, gradScale: number, wantGrad = true) {
  const tl = upload(gpu, c.logits, [c.B, c.S, c.V], "f32", "logits");
  const ty = upload(gpu, c.labels, [c.B, c.S], "i32", "labels");
  const enc = new Encoder(gpu);
  const r = lmLoss(enc, tl, ty, { lossType, gradScale, wantGrad });
  enc.submit();
  const outs = [
    r.loss,
    r.preds,
    r.correct,
    r.valid,
    r.seqCorrect,
    ...(r.dlogits ? [r.dlogits] : []),
  ];
  const [loss, preds, correct, valid, seqCorrect, dlogits] = await readTensors(gpu, outs);
  for (const t of [tl, ty, ...outs]) t.release();
  return { loss, preds, correct, valid, seqCorrect, dlogits, shapes: outs.map((t) => t.shape) };
}

gpuTest("lmLoss: both loss types on ragged shapes match float64", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  let worstLoss = 0, worstGrad = 0, seed = 0;
  for (const V of [6, 11, 12]) {
    for (const [B, S] of [[1, 1], [3, 5], [4, 17], [2, 81]]) {
      seed++;
      // Typical logits, and a wide range like a trained model's.
      const logits = randomArray(seed, B * S * V, seed % 2 ? -4 : -30, seed % 2 ? 4 : 30);
      // A confident target (p ≈ 1) where cancellation would bite, and an exact tie.
      logits[0] = 40;
      if (B * S > 1) logits.set([2.5, 2.5], V + 1);
      const labels = makeLabels(seed, B, S, V, B > 1 ? B - 1 : -1);
      labels[0] = 0;
      const c = { B, S, V, logits, labels };
      for (const type of TYPES) {
        const label = `${type} B=${B} S=${S} V=${V}`;
        const ref = lmLossRef(logits, labels, B, S, V, type === TYPES[0], 0.25);
        const g = await runLm(gpu, c, type, 0.25);
        assertEquals(g.shapes, [[B], [B, S], [B], [B], [B], [B, S, V]], label);
        assertEquals([...g.preds], [...ref.preds], `${label} preds`);
        assertEquals([...g.valid], [...ref.valid], `${label} valid`);
        assertEquals([...g.correct], [...ref.correct], `${label} correct`);
        assertEquals([...g.seqCorrect], [...ref.seqCorrect], `${label} seqCorrect`);
        // f32 sums over V ≤ 12 and a blocked sum over S, log/exp with a few ulp: ~1e-6.
        assertClose(g.loss, ref.loss, { atol: 1e-6, rtol: 3e-6, label: `${label} loss` });
        assertClose(g.dlogits!, ref.dlogits, { atol: 2e-7 * 0.25, rtol: 1e-5, label });
        worstLoss = Math.max(worstLoss, maxRelError(g.loss, ref.loss));
        worstGrad = Math.max(worstGrad, maxRelError(g.dlogits!, ref.dlogits));
      }
    }
  }
  console.log(
    `lmLoss vs float64: loss ${worstLoss.toExponential(2)}, dlogits ` +
      `${worstGrad.toExponential(2)} (max |err| / max |ref|)`,
  );
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("lmLoss: argmax ties, ignored rows, no gradient, extreme logits", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  const V = 6, B = 3, S = 2;
  const logits = new Float32Array([
    // Row 0: all equal -> pred 0; a tie between 2 and 4 -> pred 2.
    0,
    0,
    0,
    0,
    0,
    0,
    -1,
    0.5,
    3,
    -2,
    3,
    1,
    // Row 1: extreme stablemax inputs (1/(1-x) tiny; x+1 large).
    -1e6,
    -1e6,
    1e6,
    -1e6,
    -3,
    0,
    100,
    -100,
    99.5,
    0,
    0,
    0,
    // Row 2: all labels ignored.
    1,
    2,
    3,
    4,
    5,
    6,
    6,
    5,
    4,
    3,
    2,
    1,
  ]);
  const labels = new Int32Array([0, 2, 2, 2, IGNORE_LABEL_ID, IGNORE_LABEL_ID]);
  const c = { B, S, V, logits, labels };
  for (const type of TYPES) {
    const ref = lmLossRef(logits, labels, B, S, V, type === TYPES[0], 1);
    const g = await runLm(gpu, c, type, 1, false);
    assertEquals(g.dlogits, undefined);
    assertEquals(g.shapes.length, 5);
    assertEquals([...g.preds], [0, 2, 2, 0, 5, 0]);
    assertEquals([...g.valid], [2, 2, 0]);
    assertEquals([...g.correct], [2, 1, 0]);
    assertEquals([...g.seqCorrect], [1, 0, 1]);
    assertEquals(g.loss[2], 0);
    assertClose(g.loss, ref.loss, { atol: 1e-6, rtol: 3e-6, label: `${type} loss` });
    const gg = await runLm(gpu, c, type, 1, true);
    assertClose(gg.dlogits!, ref.dlogits, { atol: 1e-7, rtol: 1e-5, label: `${type} grad` });
    assert(gg.dlogits!.slice(2 * S * V).every((d) => d === 0), "ignored row has a gradient");
  }
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("bceWithLogits: matches float64 on extreme and ordinary logits", async (gpu) => {
  const x = new Float32Array([-100, -30, -17, -2.5, -0.1, 0, 1e-4, 0.3, 4, 16, 25, 100]);
  const t = new Float32Array([0, 1, 0, 1, 0.5, 1, 0, 0, 0.25, 1, 0, 1]);
  const more = randomArray(3, 61, -8, 8), moreT = randomArray(4, 61, 0, 1);
  for (const [xs, ts] of [[x, t], [more, moreT]]) {
    const tx = upload(gpu, xs, [xs.length]), tt = upload(gpu, ts, [ts.length]);
    const enc = new Encoder(gpu);
    const r = bceWithLogits(enc, tx, tt, 0.5);
    enc.submit();
    const [loss, dl] = await readTensors(gpu, [r.loss, r.dlogits]);
    const ref = bceRef(xs, ts, 0.5);
    // log1p series for small exp(-|x|); f32 rounding of the x·t terms otherwise.
    assertClose(loss, ref.loss, { atol: 1e-6, rtol: 2e-6, label: "bce loss" });
    assertClose(dl, ref.dlogits, { atol: 1e-7, rtol: 1e-6, label: "bce grad" });
    for (const v of [tx, tt, r.loss, r.dlogits]) v.release();
  }
});

gpuTest("losses: errors name the op and shapes", (gpu) => {
  const logits = Tensor.empty(gpu, [2, 3, 4], "f32", "logits");
  const flat = Tensor.empty(gpu, [6, 4], "f32", "flat");
  const lab = Tensor.empty(gpu, [2, 4], "i32", "labels");
  const labF = Tensor.empty(gpu, [2, 3], "f32", "labelsF");
  const q = Tensor.empty(gpu, [3], "f32", "q"), t = Tensor.empty(gpu, [4], "f32", "t");
  const enc = new Encoder(gpu);
  const o = { lossType: TYPES[0], gradScale: 1 };
  assertThrows(() => lmLoss(enc, flat, lab, o), RangeError, "lmLoss: logits flat [6,4] must be");
  assertThrows(
    () => lmLoss(enc, logits, lab, o),
    RangeError,
    "lmLoss: labels labels [2,4] do not match logits [2,3,4]",
  );
  assertThrows(() => lmLoss(enc, logits, labF, o), RangeError, "must be i32");
  assertThrows(
    () => bceWithLogits(enc, q, t, 1),
    RangeError,
    "bceWithLogits: logits q [3] and targets t [4] differ in size",
  );
  enc.submit();
  for (const x of [logits, flat, lab, labF, q, t]) x.release();
});

const GOLDEN = fromFileUrl(new URL("../../../shared/golden/hrm-a/", import.meta.url));

gpuTest(
  "lmLoss + BCE: golden hrm-a train step (lm_loss, q losses, seq_is_correct)",
  async (gpu) => {
    let files;
    try {
      const { readSafetensors } = await import("../../lib/io/safetensors.ts");
      files = [
        await readSafetensors(`${GOLDEN}train_step.safetensors`),
        await readSafetensors(`${GOLDEN}batch.safetensors`),
      ];
    } catch (e) {
      console.warn(`golden hrm-a check skipped: ${(e as Error).message}`);
      return;
    }
    const [step, batch] = files;
    const get = (m: typeof step, k: string) => m.tensors.get(k)!;
    const logits = get(step, "logits"), labels = get(batch, "labels");
    const [B, S, V] = logits.shape;
    const tl = upload(gpu, logits.data as Float32Array, [B, S, V]);
    const ty = upload(gpu, labels.data as Int32Array, [B, S], "i32");
    const qh = upload(gpu, get(step, "q_halt_logits").data as Float32Array, [B]);
    const qc = upload(gpu, get(step, "q_continue_logits").data as Float32Array, [B]);
    const tq = upload(gpu, get(step, "target_q_continue").data as Float32Array, [B]);
    const enc = new Encoder(gpu);
    const r = lmLoss(enc, tl, ty, { lossType: "stablemax_cross_entropy", gradScale: 1 });
    const halt = bceWithLogits(enc, qh, r.seqCorrect, 1);
    const cont = bceWithLogits(enc, qc, tq, 1);
    enc.submit();
    const [loss, seq, hl, cl] = await readTensors(gpu, [
      r.loss,
      r.seqCorrect,
      halt.loss,
      cont.loss,
    ]);
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
    const want = (k: string) => (get(step, k).data as Float32Array)[0];
    assertEquals([...seq], [...(get(step, "seq_is_correct").data as Int32Array)]);
    // The fixture's losses are float64 sums stored as f32.
    assertClose([sum(loss)], [want("lm_loss")], { atol: 0, rtol: 2e-6, label: "lm_loss" });
    console.log(
      `golden lm_loss rel error ${Math.abs(sum(loss) / want("lm_loss") - 1).toExponential(2)}`,
    );
    assertClose([sum(hl)], [want("q_halt_loss")], { atol: 0, rtol: 2e-6, label: "q_halt_loss" });
    assertClose([sum(cl)], [want("q_continue_loss")], { atol: 0, rtol: 2e-6, label: "q_cont" });
    for (const t of [tl, ty, qh, qc, tq, ...Object.values(r), halt.loss, halt.dlogits]) {
      t
        ?.release();
    }
    cont.loss.release();
    cont.dlogits.release();
  },
);
