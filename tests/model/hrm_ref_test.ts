// Checks the float64 CPU reference of HRM (tests/ref/hrm.ts) itself, without a GPU: against the
// golden PyTorch fixture hrm-a (eval trace of 4 segments and one training step) and against
// central finite differences of the training loss on tiny configurations, for every parameter
// group including the puzzle embedding with duplicate ids.
import { assert, assertEquals } from "@std/assert";
import { readSafetensors, type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { archFromConfig } from "../../lib/model/dims.ts";
import {
  cloneRefModel,
  evalSegmentRef,
  initialCarryRef,
  newTrainStateRef,
  type RefBatch,
  refModelFromStateDict,
  refParamShapes,
  trainStepRef,
} from "../ref/hrm.ts";
import { assertRel, fdCheck, tiny } from "./_ref_checks.ts";

const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;

function get(m: ReadonlyMap<string, StTensor>, k: string): StTensor {
  const t = m.get(k);
  if (!t) throw new Error(`fixture has no ${k}`);
  return t;
}

async function golden() {
  const config = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));
  const arch = archFromConfig(config.arch, config.dataset_metadata);
  const weights = await readSafetensors(`${DIR}weights.safetensors`);
  const b = (await readSafetensors(`${DIR}batch.safetensors`)).tensors;
  const batch: RefBatch = {
    inputs: get(b, "inputs").data as Int32Array,
    labels: get(b, "labels").data as Int32Array,
    puzzle_identifiers: get(b, "puzzle_identifiers").data as Int32Array,
  };
  return { config, arch, model: refModelFromStateDict(arch, weights.tensors), batch };
}

// The fixture is float32 PyTorch; its README measures ≤ 5e-6 (z, logits), ≤ 2.4e-6 (q) and
// ≤ 1.5e-6 (grads, of max |grad|) between float32 and float64 on these weights. Measured here
// (max error / max |fixture|): z 1.4e-6, logits 1.6e-6, q 2.8e-7, losses ≤ 6.4e-7, target 4e-7,
// grads 1.4e-6. Tolerances are about 2.5x those.
Deno.test("ref hrm: golden hrm-a eval trace, 4 segments (x, z_H, z_L, logits, q, preds)", async () => {
  const { arch, model, batch } = await golden();
  const trace = (await readSafetensors(`${DIR}eval_trace.safetensors`)).tensors;
  const f = (k: string) => toFloat32(get(trace, k));
  const B = batch.puzzle_identifiers.length;
  const carry = initialCarryRef(model, B);
  const errs: Record<string, number> = {};
  const track = (k: string, e: number) => (errs[k] = Math.max(errs[k] ?? 0, e));
  for (let s = 0; s < arch.halt_max_steps; s++) {
    const seg = evalSegmentRef(model, carry, batch);
    if (s === 0) track("x", assertRel(seg.x, f("input_embeddings"), 1e-6, "input_embeddings"));
    track("z", assertRel(seg.z_H, f(`z_H.${s}`), 4e-6, `z_H.${s}`));
    track("z", assertRel(seg.z_L, f(`z_L.${s}`), 4e-6, `z_L.${s}`));
    track("logits", assertRel(seg.logits, f(`logits.${s}`), 4e-6, `logits.${s}`));
    track("q", assertRel(seg.q_halt, f(`q_halt_logits.${s}`), 1e-6, `q_halt.${s}`));
    track("q", assertRel(seg.q_continue, f(`q_continue_logits.${s}`), 1e-6, `q_continue.${s}`));
    assertEquals([...carry.steps], new Array(B).fill(s + 1));
    if (s === arch.halt_max_steps - 1) {
      const V = arch.vocab_size;
      const preds = Array.from({ length: seg.logits.length / V }, (_, i) => {
        let best = 0;
        for (let v = 1; v < V; v++) if (seg.logits[i * V + v] > seg.logits[i * V + best]) best = v;
        return best;
      });
      assertEquals(preds, [...(get(trace, "preds").data as Int32Array)]);
      assertEquals([...carry.halted], new Array(B).fill(1));
    }
  }
  console.log("ref vs golden eval trace, max rel errors:", errs);
});

Deno.test("ref hrm: golden hrm-a training step (losses, Q target, halting, every grad and update)", async () => {
  const { config, model, batch } = await golden();
  const step = (await readSafetensors(`${DIR}train_step.safetensors`)).tensors;
  const f = (k: string) => toFloat32(get(step, k));
  const i = (k: string) => [...(get(step, k).data as Int32Array)];
  const B = batch.puzzle_identifiers.length;
  const before = cloneRefModel(model);
  const s = newTrainStateRef(model, B, config.arch.loss.loss_type);
  const r = trainStepRef(s, batch, {
    lr: config.lr_used_for_fixture,
    puzzle_emb_lr: config.puzzle_emb_lr,
    weight_decay: config.weight_decay,
    puzzle_emb_weight_decay: config.puzzle_emb_weight_decay,
    beta1: config.beta1,
    beta2: config.beta2,
  }, new Int32Array(B));
  const errs: Record<string, number> = {};
  errs.lm_loss = assertRel([r.metrics[5]], f("lm_loss"), 2e-6, "lm_loss");
  errs.q_halt_loss = assertRel([r.metrics[6]], f("q_halt_loss"), 2e-6, "q_halt_loss");
  errs.q_continue_loss = assertRel([r.metrics[7]], f("q_continue_loss"), 2e-6, "q_continue_loss");
  errs.total_loss = assertRel([r.total_loss], f("total_loss"), 2e-6, "total_loss");
  errs.logits = assertRel(r.seg.logits, f("logits"), 4e-6, "logits");
  errs.q = Math.max(
    assertRel(r.seg.q_halt, f("q_halt_logits"), 1e-6, "q_halt_logits"),
    assertRel(r.seg.q_continue, f("q_continue_logits"), 1e-6, "q_continue_logits"),
  );
  errs.target = assertRel(r.target_q_continue!, f("target_q_continue"), 1e-6, "target");
  assertEquals([...r.seq_is_correct], i("seq_is_correct"));
  assertEquals([...s.carry.halted], i("halted"));
  assertEquals([...s.carry.steps], i("steps"));
  let gradErr = 0, updErr = 0, flips = 0;
  for (const [name] of refParamShapes(model.arch)) {
    gradErr = Math.max(gradErr, assertRel(r.grads.get(name)!, f(`grad.${name}`), 3e-6, name));
    // At t = 1 an update is p(1 − lr·wd) ∓ lr·π/4 by the sign of g alone, so an entry whose grad
    // is within float32 noise of 0 may step the other way: those are counted, not compared.
    const g = r.grads.get(name)!, gMax = g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const p0 = before.params.get(name)!, p1 = model.params.get(name)!, ref = f(`updated.${name}`);
    for (let k = 0; k < p1.length; k++) {
      const d = Math.abs(p1[k] - ref[k]);
      if (Math.abs(g[k]) < 1e-5 * gMax) {
        if (d > 1e-7 * Math.abs(p0[k]) + 1e-9) flips++;
        assert(d <= 2 * config.lr_used_for_fixture * Math.PI / 4 + 1e-7, `${name}[${k}]`);
        continue;
      }
      updErr = Math.max(updErr, d / (Math.abs(p0[k]) + 1e-3));
    }
  }
  errs.grads = gradErr;
  errs.updated_rel_p = updErr;
  // The fixture's update is a few float32 roundings of p (≤ 2^-24 relative each); the update
  // itself is 7.9e-5 (lr·π/4), so a wrong step would show as ~1e-4 / |p| here.
  assert(updErr <= 2.5e-7, `updated params differ by ${updErr} relative to |p|`);
  console.log("ref vs golden train step:", errs, `near-zero-grad sign flips: ${flips}`);
});

Deno.test("ref hrm: finite differences, rope, no puzzle emb, stablemax, cycles 2/2", () => {
  console.log(
    "worst |fd − analytic| / max|g|:",
    fdCheck(tiny({}), "stablemax_cross_entropy", [0, 1, 2], 1),
  );
});

Deno.test("ref hrm: finite differences, puzzle emb = D (duplicate ids), learned, softmax, 1/3", () => {
  const a = tiny({ puzzle_emb_ndim: 8, pos_encodings: "learned", H_cycles: 1, L_cycles: 3 });
  console.log("worst:", fdCheck(a, "softmax_cross_entropy", [2, 0, 2], 2));
});

Deno.test("ref hrm: finite differences, puzzle emb = D+3 (padded 2nd slot), none, 3/1, 2 layers", () => {
  const a = tiny({
    puzzle_emb_ndim: 11,
    pos_encodings: "none",
    H_cycles: 3,
    L_cycles: 1,
    H_layers: 2,
    L_layers: 2,
  });
  console.log("worst:", fdCheck(a, "stablemax_cross_entropy", [3, 3, 1, 3], 3));
});

Deno.test("ref hrm: finite differences, cycles 1/1 (the whole segment has gradient), rope + puzzle", () => {
  const a = tiny({ puzzle_emb_ndim: 8, H_cycles: 1, L_cycles: 1, halt_max_steps: 1 });
  console.log("worst:", fdCheck(a, "softmax_cross_entropy", [1, 1], 4));
});
