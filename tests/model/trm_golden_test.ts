// Parity with the reference PyTorch TRM (float32) on the golden fixture trm-a (Sudoku, mlp_t,
// 16 puzzle slots, H_cycles 3 / L_cycles 2): the eval trace segment by segment from the
// fixture's own carry (the MLP variant is chaotic, README.txt), and two training steps with
// halting and refill: losses, halting, every gradient, AdamATan2 and SignSGD updates, and the EMA
// shadow. The eval part runs from tests/fixtures/golden/trm-a (copied from ../shared); the
// training part needs ../shared/golden/trm-a/train_step.safetensors (10 MB, not copied) and
// skips with a printed reason without it.
import { assertEquals, assertLess } from "@std/assert";
import { Encoder, readTensors, writeTensor } from "../../lib/gpu/encoder.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import {
  emptyBatch,
  evalSegment,
  initialCarry,
  releaseBatch,
  releaseCarry,
} from "../../lib/model/act.ts";
import { archFromConfig } from "../../lib/model/dims.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { fill } from "../../lib/ops/elementwise.ts";
import { Trainer } from "../../lib/train/step.ts";
import { gpuTest, maxRelError } from "../_helpers.ts";
import {
  argmaxRows,
  assertF16Eval,
  assertRel as assertRelShared,
  f16StepStats,
  fixtureHyper,
  fixtureTensor,
  hasF16,
  loadGoldenModel,
} from "../_golden.ts";
import type { ReasoningModel } from "../../lib/model/model.ts";
import type { Gpu } from "../../lib/gpu/device.ts";

const DIR = new URL("../fixtures/golden/trm-a/", import.meta.url).pathname;
const SHARED = new URL("../../../shared/golden/trm-a/", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));
const weights = await readSafetensors(`${DIR}weights.safetensors`);
const batch = await readSafetensors(`${DIR}batch.safetensors`);

const loadModel = (gpu: Gpu) => loadGoldenModel(gpu, config, weights.tensors);

/** Worst error per kind (label without its index), printed after the tests. */
const worst = new Map<string, number>();

/** {@linkcode assertRel} that also records the worst error of each kind. */
function assertRel(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  label: string,
) {
  const kind = label.replace(/\.\d+$/, "").replace(/^(step2\.)?(grad|updated|ema)\..*/, "$1$2");
  worst.set(kind, Math.max(worst.get(kind) ?? 0, maxRelError(actual, expected)));
  assertRelShared(actual, expected, tol, label);
}

const B = fixtureTensor(batch.tensors, "inputs").shape[0];
const ints = (k: string) => fixtureTensor(batch.tensors, k).data as Int32Array;

Deno.test("golden trm-a: the fixture's config builds TRM with its derived sizes", async () => {
  const arch = archFromConfig(config.arch, config.dataset_metadata);
  assertEquals(arch.kind, "trm");
  const { hrmDims } = await import("../../lib/model/dims.ts");
  const d = hrmDims(arch);
  assertEquals([d.P, d.T, d.Ft, d.F], [16, 97, 512, config.derived.mlp_intermediate]);
});

/** One eval segment's outputs and the carry after it. */
interface Segment {
  emb: Float32Array;
  logits: Float32Array;
  qh: Float32Array;
  qc: Float32Array;
  zH: Float32Array;
  zL: Float32Array;
  steps: Uint32Array;
  halted: Uint32Array;
}

/**
 * The fixture's evaluation (halt_max_steps segments from the initial carry). With `restart`,
 * each segment after the first starts from the reference's own carry (z_H.{s-1}, z_L.{s-1}):
 * the recurrence amplifies rounding (README.txt), so each segment is compared on its own.
 */
async function evalTrace(
  gpu: Gpu,
  model: ReasoningModel,
  ref: (k: string) => Float32Array,
  restart: boolean,
): Promise<Segment[]> {
  let enc = new Encoder(gpu);
  const carry = initialCarry(enc, model, B);
  const incoming = emptyBatch(model, B, "golden");
  enc.submit();
  writeTensor(incoming.inputs, ints("inputs"));
  writeTensor(incoming.labels, ints("labels"));
  writeTensor(incoming.puzzle_identifiers, ints("puzzle_identifiers"));
  const minSteps = Tensor.empty(gpu, [B], "u32");
  writeTensor(minSteps, new Uint32Array(B));
  const segments: Segment[] = [];
  for (let s = 0; s < config.arch.halt_max_steps; s++) {
    if (s > 0 && restart) {
      writeTensor(carry.inner.z_H, ref(`z_H.${s - 1}`));
      writeTensor(carry.inner.z_L, ref(`z_L.${s - 1}`));
    }
    enc = new Encoder(gpu);
    const { x, out } = evalSegment(
      enc,
      model,
      carry,
      incoming,
      minSteps,
      config.arch.halt_max_steps,
    );
    enc.submit();
    const [emb, logits, qh, qc, zH, zL, steps, halted] = await readTensors(gpu, [
      x,
      out.logits,
      out.q_halt_logits,
      out.q_continue_logits,
      carry.inner.z_H,
      carry.inner.z_L,
      carry.steps,
      carry.halted,
    ]);
    segments.push({ emb, logits, qh, qc, zH, zL, steps, halted } as Segment);
    for (const t of [x, out.logits, out.q_halt_logits, out.q_continue_logits]) t.release();
  }
  releaseCarry(carry);
  releaseBatch(incoming);
  minSteps.release();
  return segments;
}

gpuTest(
  "golden trm-a: eval segments from the fixture's carry (logits, q, y, z) within 1e-4",
  async (gpu) => {
    const trace = await readSafetensors(`${DIR}eval_trace.safetensors`);
    const ref = (k: string) => toFloat32(fixtureTensor(trace.tensors, k));
    const inUse0 = gpu.pool.stats().inUseBuffers;
    const model = loadModel(gpu);
    assertEquals(model.spec.stateNames, { z_H: "y", z_L: "z" });
    const segments = await evalTrace(gpu, model, ref, true);
    const last = segments.length - 1;
    segments.forEach(({ emb, logits, qh, qc, zH, zL, steps, halted }, s) => {
      if (s === 0) assertRel(emb, ref("input_embeddings"), 1e-6, "input_embeddings");
      assertRel(logits, ref(`logits.${s}`), 1e-4, `logits.${s}`);
      assertRel(qh, ref(`q_halt_logits.${s}`), 1e-4, `q_halt_logits.${s}`);
      assertRel(qc, ref(`q_continue_logits.${s}`), 1e-4, `q_continue_logits.${s}`);
      assertRel(zH, ref(`z_H.${s}`), 1e-4, `y (z_H).${s}`);
      assertRel(zL, ref(`z_L.${s}`), 1e-4, `z (z_L).${s}`);
      assertEquals([...steps], new Array(B).fill(s + 1));
      // Evaluation halts only at halt_max_steps, whatever q_halt says.
      assertEquals([...halted], new Array(B).fill(s === last ? 1 : 0));
    });
    assertEquals(
      argmaxRows(segments[last].logits, model.dims.V),
      [...(fixtureTensor(trace.tensors, "preds").data as Int32Array)],
    );
    model.release();
    assertEquals(gpu.pool.stats().inUseBuffers, inUse0, "every tensor went back to the pool");
  },
);

// float16 mixed precision, issue 10's bar (bf16-like) as for hrm-a: >= 99% of the reference's
// predictions kept and every Q-halt logit within 2e-2, each segment from the reference's carry.
// Run freely from the initial carry, segment 2 inherits segment 1's f16 error (1.2e-2 of max |y|)
// amplified ~10x by this chaotic random-init MLP variant (float32 alone: 8.6e-6 -> 8.5e-5,
// README.txt), keeping 303/324 predictions, Q-halt off by 8e-2. That is the fixture, not the f16
// path: the float32 model with only its weights rounded to f16 once keeps 307/324 (Q-halt off by
// 0.13), with only the token embedding rounded 314/324 -- no f16 forward can do better freely.
gpuTest(
  "golden trm-a: forward_dtype float16 keeps >= 99% of predictions, Q-halt within 2e-2",
  async (gpu) => {
    if (!hasF16(gpu, "float16 golden check")) return;
    const trace = await readSafetensors(`${DIR}eval_trace.safetensors`);
    const ref = (k: string) => toFloat32(fixtureTensor(trace.tensors, k));
    const inUse0 = gpu.pool.stats().inUseBuffers;
    const model = loadGoldenModel(gpu, config, weights.tensors, "float16");
    assertEquals(model.computeDtype, "float16");
    const segments = await evalTrace(gpu, model, ref, true);
    assertF16Eval(
      "trm-a",
      segments.map((s) => s.qh),
      segments.map((_, s) => ref(`q_halt_logits.${s}`)),
      argmaxRows(segments[segments.length - 1].logits, model.dims.V),
      fixtureTensor(trace.tensors, "preds").data as Int32Array,
    );
    model.release();
    assertEquals(gpu.pool.stats().inUseBuffers, inUse0, "every tensor went back to the pool");
  },
);

const haveShared = await Deno.stat(`${SHARED}train_step.safetensors`).then(() => true, () => false);
if (!haveShared) {
  console.log(`skipping golden trm-a training steps: ${SHARED}train_step.safetensors is absent`);
}

/**
 * AdamATan2 at small t is sign-like, so entries whose gradient is at rounding level may step the
 * other way (README.txt: 1 of 49,664 at step 1). Every update entry must be within 1e-3·lr of
 * the reference except at most `maxOff` of them, and those only where the reference gradient is
 * at rounding level.
 */
function assertUpdate(
  delta: Float32Array,
  refDelta: Float32Array,
  refGrad: Float32Array | undefined,
  lr: number,
  maxOff: number,
  label: string,
) {
  let off = 0;
  const gMax = refGrad ? Math.max(...Array.from(refGrad, Math.abs)) : 0;
  for (let i = 0; i < delta.length; i++) {
    if (Math.abs(delta[i] - refDelta[i]) <= 1e-3 * lr) continue;
    off++;
    if (refGrad) {
      assertLess(Math.abs(refGrad[i]), 1e-4 * gMax, `${label}[${i}] differs with a real gradient`);
    }
  }
  assertLess(off, maxOff * delta.length + 1, `${label}: ${off} of ${delta.length} entries differ`);
}

// Whole batch, then micro-batches of 1 row: the same steps up to float summation order.
for (const micro of [undefined, 1]) {
  gpuTest(
    `golden trm-a: two training steps (halting, refill, grads, AdamATan2, SignSGD, EMA)${
      micro ? `, micro-batches of ${micro}` : ""
    }`,
    async (gpu) => {
      if (!haveShared) return;
      const step = await readSafetensors(`${SHARED}train_step.safetensors`);
      const ref = (k: string) => toFloat32(fixtureTensor(step.tensors, k));
      const inUse0 = gpu.pool.stats().inUseBuffers;
      const model = loadModel(gpu);
      const trainer = new Trainer(model, B, config.arch.loss.loss_type, 0, {
        emaRate: config.ema_rate,
        microBatchSize: micro,
      });
      let prev = new Map<string, Float32Array>();
      for (const [k, v] of weights.tensors) prev.set(k, toFloat32(v));
      const lr = config.lr;
      for (const [i, pre] of [[1, ""], [2, "step2."]] as const) {
        trainer.setBatch(ints("inputs"), ints("labels"), ints("puzzle_identifiers"));
        trainer.trainStep(fixtureHyper(config, lr));
        const [metrics, grads, params, shadow, puz, halted, steps, zH] = await readTensors(gpu, [
          trainer.metrics,
          trainer.grads.flat,
          model.params.flat,
          trainer.ema!.flat,
          model.puzzle_emb!,
          trainer.carry.halted,
          trainer.carry.steps,
          trainer.carry.inner.z_H,
        ]);
        const enc = trainer.encoder();
        fill(enc, trainer.metrics, 0);
        enc.submit();
        const scalar = (k: string) => ref(pre + k)[0];
        // Step 2 continues rows 1-3 from our own carry: README.txt's segment-2 headroom (~1e-4).
        const lossTol = i === 1 ? 1e-5 : 1e-4;
        assertRel([metrics[5]], [scalar("lm_loss")], lossTol, `${pre}lm_loss`);
        assertRel([metrics[6]], [scalar("q_halt_loss")], 1e-4, `${pre}q_halt_loss`);
        assertEquals(metrics[7], 0, "no Q-continue loss");
        assertRel(
          [metrics[5] + 0.5 * metrics[6]],
          [scalar("total_loss")],
          lossTol,
          `${pre}total_loss`,
        );
        assertEquals([...halted], config.train_halted[i - 1], `${pre}halted`);
        assertEquals([...halted], [
          ...(fixtureTensor(step.tensors, `${pre}halted`).data as Int32Array),
        ]);
        assertEquals([...steps], [
          ...(fixtureTensor(step.tensors, `${pre}steps`).data as Int32Array),
        ]);
        // y after the step (rows 1-3 at step 2 ran two segments of our own carry: chaotic, README).
        assertRel(zH, ref(`${pre}z_H`), i === 1 ? 1e-4 : 2e-3, `${pre}z_H`);
        const next = new Map<string, Float32Array>();
        for (const s of model.params.specs) {
          const n = s.shape.reduce((a, b) => a * b, 1);
          const g = grads.subarray(s.offset, s.offset + n);
          if (i === 1) assertRel(g, ref(`grad.${s.name}`), 1e-3, `grad.${s.name}`);
          const p = (params as Float32Array).subarray(s.offset, s.offset + n);
          const want = ref(`${pre}updated.${s.name}`);
          // The weights themselves: checked through the update, which is ~lr and far smaller.
          const w0 = prev.get(s.name)!;
          assertUpdate(
            p.map((x, j) => x - w0[j]),
            want.map((x, j) => x - w0[j]),
            i === 1 ? ref(`grad.${s.name}`) : undefined,
            lr,
            i === 1 ? 1e-4 : 1e-2,
            `${pre}delta.${s.name}`,
          );
          // The shadow moves by (1 − ema_rate) of the updates: the same check, relative to w0.
          const sh = (shadow as Float32Array).subarray(s.offset, s.offset + n);
          assertUpdate(
            sh.map((x, j) => x - w0[j]),
            ref(`${pre}ema.${s.name}`).map((x, j) => x - w0[j]),
            i === 1 ? ref(`grad.${s.name}`) : undefined,
            lr,
            i === 1 ? 1e-4 : 1e-2,
            `${pre}ema.${s.name}`,
          );
          next.set(s.name, Float32Array.from(want));
        }
        assertRel(puz, ref(`${pre}updated.inner.puzzle_emb.weights`), 1e-5, `${pre}puzzle_emb`);
        next.set("inner.puzzle_emb.weights", ref(`${pre}updated.inner.puzzle_emb.weights`));
        prev = next;
      }
      trainer.release();
      model.release();
      assertEquals(gpu.pool.stats().inUseBuffers, inUse0, "every tensor went back to the pool");
    },
  );
}

// float16 training: the fixture's first step with f16 matmul operands and the static loss scale,
// against the float32 step. The bounds are issue 10's bf16-like bar, fixed from bfloat16's unit
// roundoff 2⁻⁸ (3.9e-3; the reference's default forward_dtype is bfloat16), not from what this
// run measures: the losses within half a bf16 ulp (2e-3 relative), every gradient and Adam's
// first moment within 2e-2 of max |grad| (five bf16 roundings, the Q-halt bar). At t = 1
// AdamATan2 steps ±lr·π/4 by the sign of g, so an update may step the other way only where the
// reference gradient is within that same 2e-2·max |grad| of zero.
gpuTest(
  "golden trm-a: one float16 training step: losses and grads near float32's, scale undone",
  async (gpu) => {
    if (!haveShared) return;
    if (!hasF16(gpu, "float16 training check")) return;
    const step = await readSafetensors(`${SHARED}train_step.safetensors`);
    const ref = (k: string) => toFloat32(fixtureTensor(step.tensors, k));
    const inUse0 = gpu.pool.stats().inUseBuffers;
    const model = loadGoldenModel(gpu, config, weights.tensors, "float16");
    const trainer = new Trainer(model, B, config.arch.loss.loss_type, 0);
    assertEquals(trainer.lossScale, 1024);
    trainer.setBatch(ints("inputs"), ints("labels"), ints("puzzle_identifiers"));
    trainer.trainStep(fixtureHyper(config, config.lr));
    const [metrics, grads, params, m, halted] = await readTensors(gpu, [
      trainer.metrics,
      trainer.grads.flat,
      model.params.flat,
      trainer.m.flat,
      trainer.carry.halted,
    ]);
    const errs: Record<string, number> = {
      lm_loss: maxRelError([metrics[5]], [ref("lm_loss")[0]]),
      q_halt_loss: maxRelError([metrics[6]], [ref("q_halt_loss")[0]]),
    };
    const before = new Map<string, Float32Array>();
    for (const [k, v] of weights.tensors) before.set(k, toFloat32(v));
    const st = f16StepStats(
      model.params.specs,
      {
        grads: grads as Float32Array,
        params: params as Float32Array,
        m: m as Float32Array,
        lossScale: trainer.lossScale,
      },
      ref,
      before,
      config,
    );
    console.log(
      "trm-a float16 step vs float32 fixture:",
      { ...errs, grads: st.grads },
      `update sign flips ${st.flips}/${st.total} (largest |g_ref| among them ` +
        `${st.flipGrad.toExponential(2)} of max)`,
    );
    assertEquals([...halted], config.train_halted[0], "halted");
    assertLess(errs.lm_loss, 2e-3, "lm_loss");
    assertLess(errs.q_halt_loss, 2e-3, "q_halt_loss");
    assertLess(st.grads, 2e-2, "grads (or Adam's m), relative to max |grad|");
    assertLess(st.flipGrad, 2e-2, "an update with a real gradient stepped the other way");
    trainer.release();
    model.release();
    assertEquals(gpu.pool.stats().inUseBuffers, inUse0, "every tensor went back to the pool");
  },
);

gpuTest(
  "golden trm-a: freeze_weights trains only the puzzle embedding (SignSGD as the reference)",
  async (gpu) => {
    if (!haveShared) return;
    const step = await readSafetensors(`${SHARED}train_step.safetensors`);
    const model = loadModel(gpu);
    const [before] = await readTensors(gpu, [model.params.flat]);
    const trainer = new Trainer(model, B, config.arch.loss.loss_type, 0, {
      emaRate: config.ema_rate,
      freezeWeights: true,
    });
    trainer.setBatch(ints("inputs"), ints("labels"), ints("puzzle_identifiers"));
    trainer.trainStep(fixtureHyper(config, config.lr));
    const [after, shadow, puz] = await readTensors(gpu, [
      model.params.flat,
      trainer.ema!.flat,
      model.puzzle_emb!,
    ]);
    assertEquals([...after], [...before], "the weights did not move");
    assertEquals([...shadow], [...before], "so neither did their EMA");
    const want = toFloat32(fixtureTensor(step.tensors, "updated.inner.puzzle_emb.weights"));
    assertRel(puz, want, 1e-5, "frozen: puzzle_emb");
    trainer.release();
    model.release();
  },
);

Deno.test("golden trm-a: worst errors measured (relative to max |ref|)", () => {
  console.log(
    JSON.stringify(Object.fromEntries([...worst].map(([k, v]) => [k, v.toExponential(2)]))),
  );
});
