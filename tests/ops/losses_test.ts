// The fused ACTLossHead pass (stablemax / softmax CE with argmax metrics and gradient, the Q
// heads' BCE with logits and theirs) against float64 references, which are themselves checked by
// central differences; plus the golden hrm-a train step when /work/shared is present.
import { actLoss, LOSS_ROWS, type LossType } from "../../lib/ops/losses.ts";
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
  /** Q-halt and Q-continue logits `[B]` and the Q-continue target (none: no Q-continue loss). */
  qh: Float32Array;
  qc: Float32Array;
  target?: Float32Array;
}

/** Runs actLoss on a case; returns its outputs with the per-row results split by name. */
async function runLm(gpu: Gpu, c: LmCase, lossType: LossType, gradScale: number, wantGrad = true) {
  const tl = upload(gpu, c.logits, [c.B, c.S, c.V], "f32", "logits");
  const ty = upload(gpu, c.labels, [c.B, c.S], "i32", "labels");
  const tqh = upload(gpu, c.qh, [c.B], "f32", "q_halt");
  const tqc = upload(gpu, c.qc, [c.B], "f32", "q_continue");
  const tt = c.target ? upload(gpu, c.target, [c.B], "f32", "target") : undefined;
  const enc = new Encoder(gpu);
  const r = actLoss(enc, {
    logits: tl,
    labels: ty,
    q_halt_logits: tqh,
    q_continue_logits: tqc,
    target: tt,
  }, { lossType, gradScale, wantGrad });
  enc.submit();
  const outs = [r.rows, r.preds, ...(r.dlogits ? [r.dlogits, r.dq!] : [])];
  const [rows, preds, dlogits, dq] = await readTensors(gpu, outs);
  for (const t of [tl, ty, tqh, tqc, tt, ...outs]) t?.release();
  const row = (k: typeof LOSS_ROWS[number]) =>
    rows.slice(LOSS_ROWS.indexOf(k) * c.B, (LOSS_ROWS.indexOf(k) + 1) * c.B) as Float32Array;
  return {
    loss: row("lm_loss"),
    correct: row("correct"),
    valid: row("valid"),
    seqCorrect: row("seq_correct"),
    qHaltLoss: row("q_halt_loss"),
    qContinueLoss: row("q_continue_loss"),
    preds,
    dlogits,
    dq,
    shapes: outs.map((t) => t.shape),
  };
}

/** The float64 Q losses and the interleaved `dq` for a case, given the rows' seq_correct. */
function qRef(c: LmCase, seqCorrect: ArrayLike<number>, qScale: number) {
  const halt = bceRef(c.qh, seqCorrect, qScale);
  const cont = c.target ? bceRef(c.qc, c.target, qScale) : undefined;
  const dq = new Float64Array(2 * c.B);
  for (let b = 0; b < c.B; b++) {
    dq[2 * b] = halt.dlogits[b];
    dq[2 * b + 1] = cont ? cont.dlogits[b] : 0;
  }
  return { halt: halt.loss, cont: cont ? cont.loss : new Float64Array(c.B), dq };
}

gpuTest("actLoss: both loss types on ragged shapes match float64", async (gpu) => {
  const base = gpu.pool.stats().inUseBuffers;
  let worstLoss = 0, worstGrad = 0, seed = 0;
  for (const V of [6, 11, 12]) {
    for (const [B, S] of [[1, 1], [3, 5], [4, 17], [2, 81], [2, 200]]) {
      seed++;
      // Typical logits, and a wide range like a trained model's.
      const logits = randomArray(seed, B * S * V, seed % 2 ? -4 : -30, seed % 2 ? 4 : 30);
      // A confident target (p ≈ 1) where cancellation would bite, and an exact tie.
      logits[0] = 40;
      if (B * S > 1) logits.set([2.5, 2.5], V + 1);
      const labels = makeLabels(seed, B, S, V, B > 1 ? B - 1 : -1);
      labels[0] = 0;
      const qh = randomArray(seed + 100, B, -6, 6), qc = randomArray(seed + 200, B, -6, 6);
      const target = seed % 2 ? randomArray(seed + 300, B, 0, 1) : undefined;
      const c = { B, S, V, logits, labels, qh, qc, target };
      for (const type of TYPES) {
        const label = `${type} B=${B} S=${S} V=${V}${target ? " with target" : ""}`;
        const ref = lmLossRef(logits, labels, B, S, V, type === TYPES[0], 0.25);
        const q = qRef(c, ref.seqCorrect, 0.125);
        const g = await runLm(gpu, c, type, 0.25);
        assertEquals(g.shapes, [[6, B], [B, S], [B, S, V], [B, 2]], label);
        assertEquals([...g.preds], [...ref.preds], `${label} preds`);
        assertEquals([...g.valid], [...ref.valid], `${label} valid`);
        assertEquals([...g.correct], [...ref.correct], `${label} correct`);
        assertEquals([...g.seqCorrect], [...ref.seqCorrect], `${label} seqCorrect`);
        // f32 sums over V ≤ 12 and a tree sum over S, log/exp with a few ulp: ~1e-6.
        assertClose(g.loss, ref.loss, { atol: 1e-6, rtol: 3e-6, label: `${label} loss` });
        assertClose(g.dlogits!, ref.dlogits, { atol: 2e-7 * 0.25, rtol: 1e-5, label });
        // As the BCE checks below: log1p series for small exp(-|x|), f32 rounding of x·t.
        assertClose(g.qHaltLoss, q.halt, { atol: 1e-6, rtol: 2e-6, label: `${label} q_halt` });
        assertClose(g.qContinueLoss, q.cont, { atol: 1e-6, rtol: 2e-6, label: `${label} q_cont` });
        assertClose(g.dq!, q.dq, { atol: 1e-7, rtol: 1e-6, label: `${label} dq` });
        worstLoss = Math.max(worstLoss, maxRelError(g.loss, ref.loss));
        worstGrad = Math.max(worstGrad, maxRelError(g.dlogits!, ref.dlogits));
      }
    }
  }
  console.log(
    `actLoss vs float64: lm loss ${worstLoss.toExponential(2)}, dlogits ` +
      `${worstGrad.toExponential(2)} (max |err| / max |ref|)`,
  );
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("actLoss: argmax ties, ignored rows, no gradient, extreme logits", async (gpu) => {
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
  const qh = new Float32Array([3, -2, 0.5]), qc = new Float32Array([-1, 1, 0]);
  const c = { B, S, V, logits, labels, qh, qc };
  for (const type of TYPES) {
    const ref = lmLossRef(logits, labels, B, S, V, type === TYPES[0], 1);
    const g = await runLm(gpu, c, type, 1, false);
    assertEquals(g.dlogits, undefined);
    assertEquals(g.dq, undefined);
    assertEquals(g.shapes.length, 2);
    assertEquals([...g.preds], [0, 2, 2, 0, 5, 0]);
    assertEquals([...g.valid], [2, 2, 0]);
    assertEquals([...g.correct], [2, 1, 0]);
    assertEquals([...g.seqCorrect], [1, 0, 1]);
    assertEquals(g.loss[2], 0);
    assertEquals([...g.qContinueLoss], [0, 0, 0], "no target: no Q-continue loss");
    assertClose(g.loss, ref.loss, { atol: 1e-6, rtol: 3e-6, label: `${type} loss` });
    assertClose(g.qHaltLoss, qRef(c, ref.seqCorrect, 1).halt, {
      atol: 1e-6,
      rtol: 2e-6,
      label: `${type} q_halt`,
    });
    const gg = await runLm(gpu, c, type, 1, true);
    assertClose(gg.dlogits!, ref.dlogits, { atol: 1e-7, rtol: 1e-5, label: `${type} grad` });
    assert(gg.dlogits!.slice(2 * S * V).every((d) => d === 0), "ignored row has a gradient");
    assertClose(gg.dq!, qRef(c, ref.seqCorrect, 0.5).dq, { atol: 1e-7, rtol: 1e-6, label: "dq" });
  }
  assertEquals(gpu.pool.stats().inUseBuffers, base);
});

gpuTest("actLoss: the Q heads' BCE matches float64 on extreme and ordinary logits", async (gpu) => {
  const x = new Float32Array([-100, -30, -17, -2.5, -0.1, 0, 1e-4, 0.3, 4, 16, 25, 100]);
  const t = new Float32Array([0, 1, 0, 1, 0.5, 1, 0, 0, 0.25, 1, 0, 1]);
  const more = randomArray(3, 61, -8, 8), moreT = randomArray(4, 61, 0, 1);
  for (const [xs, ts] of [[x, t], [more, moreT]]) {
    // One token per row, its label alternately right and wrong: seq_correct 1, 0, 1, ...
    const B = xs.length, logits = new Float32Array(2 * B).fill(0);
    const labels = Int32Array.from({ length: B }, (_, b) => b % 2);
    for (let b = 0; b < B; b++) logits[2 * b] = 1;
    const c = { B, S: 1, V: 2, logits, labels, qh: xs, qc: xs, target: ts };
    const g = await runLm(gpu, c, TYPES[0], 1);
    const seq = Float64Array.from({ length: B }, (_, b) => (b % 2 ? 0 : 1));
    assertEquals([...g.seqCorrect], [...seq]);
    const q = qRef(c, seq, 0.5);
    // log1p series for small exp(-|x|); f32 rounding of the x·t terms otherwise.
    assertClose(g.qHaltLoss, q.halt, { atol: 1e-6, rtol: 2e-6, label: "bce loss (halt)" });
    assertClose(g.qContinueLoss, q.cont, { atol: 1e-6, rtol: 2e-6, label: "bce loss" });
    assertClose(g.dq!, q.dq, { atol: 1e-7, rtol: 1e-6, label: "bce grad" });
  }
});

gpuTest("losses: errors name the op and shapes", (gpu) => {
  const logits = Tensor.empty(gpu, [2, 3, 4], "f32", "logits");
  const flat = Tensor.empty(gpu, [6, 4], "f32", "flat");
  const lab = Tensor.empty(gpu, [2, 4], "i32", "labels");
  const labF = Tensor.empty(gpu, [2, 3], "f32", "labelsF");
  const labels = Tensor.empty(gpu, [2, 3], "i32", "labels");
  const q = Tensor.empty(gpu, [2], "f32", "q"), t = Tensor.empty(gpu, [4], "f32", "t");
  const enc = new Encoder(gpu);
  const o = { lossType: TYPES[0], gradScale: 1 };
  const qs = { q_halt_logits: q, q_continue_logits: q };
  assertThrows(
    () => actLoss(enc, { logits: flat, labels: lab, ...qs }, o),
    RangeError,
    "actLoss: logits flat [6,4] must be",
  );
  assertThrows(
    () => actLoss(enc, { logits, labels: lab, ...qs }, o),
    RangeError,
    "actLoss: labels labels [2,4] do not match logits [2,3,4]",
  );
  assertThrows(() => actLoss(enc, { logits, labels: labF, ...qs }, o), RangeError, "must be i32");
  assertThrows(
    () => actLoss(enc, { logits, labels, ...qs, target: t }, o),
    RangeError,
    "actLoss: t [4] should be 2 f32 values, one per row of logits [2,3,4]",
  );
  enc.submit();
  for (const x of [logits, flat, lab, labF, labels, q, t]) x.release();
});

const GOLDEN = fromFileUrl(new URL("../../../shared/golden/hrm-a/", import.meta.url));

gpuTest(
  "actLoss: golden hrm-a train step (lm_loss, q losses, seq_is_correct)",
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
    const r = actLoss(enc, {
      logits: tl,
      labels: ty,
      q_halt_logits: qh,
      q_continue_logits: qc,
      target: tq,
    }, { lossType: "stablemax_cross_entropy", gradScale: 1 });
    enc.submit();
    const [rows] = await readTensors(gpu, [r.rows]);
    const row = (k: typeof LOSS_ROWS[number]) =>
      rows.slice(LOSS_ROWS.indexOf(k) * B, (LOSS_ROWS.indexOf(k) + 1) * B);
    const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
    const want = (k: string) => (get(step, k).data as Float32Array)[0];
    assertEquals([...row("seq_correct")], [
      ...(get(step, "seq_is_correct").data as Int32Array),
    ]);
    // The fixture's losses are float64 sums stored as f32.
    const lm = sum(row("lm_loss"));
    assertClose([lm], [want("lm_loss")], { atol: 0, rtol: 2e-6, label: "lm_loss" });
    console.log(`golden lm_loss rel error ${Math.abs(lm / want("lm_loss") - 1).toExponential(2)}`);
    assertClose([sum(row("q_halt_loss"))], [want("q_halt_loss")], {
      atol: 0,
      rtol: 2e-6,
      label: "q_halt_loss",
    });
    assertClose([sum(row("q_continue_loss"))], [want("q_continue_loss")], {
      atol: 0,
      rtol: 2e-6,
      label: "q_cont",
    });
    for (const t of [tl, ty, qh, qc, tq, r.rows, r.preds, r.dlogits!, r.dq!]) t.release();
  },
);
