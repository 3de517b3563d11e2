// Run by train_test.ts under `mpirun -np 2`: the golden fixture hrm-a (batch 4, rows 0–1 on rank 0
// and 2–3 on rank 1) must give the reference's numbers as the single-process golden test does:
// one data-parallel training step (losses, every summed gradient, every updated parameter, the
// halting decisions) and a split evaluation (predictions and Q logits of the last segment).
// Each rank checks and prints "golden ok <rank>"; a mismatch fails the rank (and the job).
import { assertEquals } from "@std/assert";
import { failRank, openWorld } from "../../lib/dist/world.ts";
import { requestGpu } from "../../lib/gpu/device.ts";
import { readTensors, writeTensor } from "../../lib/gpu/encoder.ts";
import { readSafetensors, type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { archFromConfig } from "../../lib/model/dims.ts";
import { createModel } from "../../lib/model/create.ts";
import { loadStateDict } from "../../lib/model/state.ts";
import { Trainer } from "../../lib/train/step.ts";
import { broadcastModel, rankRows } from "../../lib/train/distributed.ts";
import { evaluate } from "../../lib/eval/evaluate.ts";
import { maxRelError } from "../_helpers.ts";

const world = openWorld();
try {
  const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;
  const config = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));
  const weights = await readSafetensors(`${DIR}weights.safetensors`);
  const batch = (await readSafetensors(`${DIR}batch.safetensors`)).tensors;
  const stepRef = (await readSafetensors(`${DIR}train_step.safetensors`)).tensors;
  const trace = (await readSafetensors(`${DIR}eval_trace.safetensors`)).tensors;
  const get = (m: Map<string, StTensor>, k: string) => {
    const t = m.get(k);
    if (!t) throw new Error(`fixture has no ${k}`);
    return t;
  };
  const rel = (a: ArrayLike<number>, e: ArrayLike<number>, tol: number, label: string) => {
    const err = maxRelError(a, e);
    if (!(err <= tol)) throw new Error(`${label}: max error ${err.toExponential(2)} > ${tol}`);
  };
  const gpu = await requestGpu();
  const arch = archFromConfig(config.arch, config.dataset_metadata);
  const model = createModel(gpu, arch);
  // Only rank 0 loads the weights; the broadcast gives them to the others (as pretrain.py).
  if (world.rank === 0) loadStateDict(model, weights.tensors, "weights.safetensors");
  await broadcastModel(world, model);

  const inputs = get(batch, "inputs").data as Int32Array;
  const labels = get(batch, "labels").data as Int32Array;
  const ids = get(batch, "puzzle_identifiers").data as Int32Array;
  const B = ids.length, S = inputs.length / B;
  const trainer = new Trainer(model, B, config.arch.loss.loss_type, 0, {
    shard: { rank: world.rank, size: world.size },
  });
  const mine = rankRows(
    { inputs, labels, puzzle_identifiers: ids, effective: B },
    trainer.shard,
  );
  trainer.setBatch(mine.inputs, mine.labels, mine.puzzle_identifiers);
  const before = await readTensors(gpu, [model.params.flat]);
  await trainer.trainStepSynced({
    lr: config.lr_used_for_fixture,
    puzzle_emb_lr: config.puzzle_emb_lr,
    weight_decay: config.weight_decay,
    puzzle_emb_weight_decay: config.puzzle_emb_weight_decay,
    beta1: config.beta1,
    beta2: config.beta2,
  }, world);
  const [metrics, grads, params, halted, steps] = await readTensors(gpu, [
    trainer.metrics,
    trainer.grads.flat,
    model.params.flat,
    trainer.carry.halted,
    trainer.carry.steps,
  ]);
  await world.allReduceSum(metrics as Float32Array);
  const scalar = (k: string) => toFloat32(get(stepRef, k))[0];
  rel([metrics[5]], [scalar("lm_loss")], 1e-5, "lm_loss");
  rel([metrics[6]], [scalar("q_halt_loss")], 1e-4, "q_halt_loss");
  rel([metrics[7]], [scalar("q_continue_loss")], 1e-4, "q_continue_loss");
  const asI32 = (a: Float32Array | Int32Array | Uint32Array) =>
    new Int32Array(a.buffer, a.byteOffset, a.length);
  assertEquals(
    [...await world.allGather(asI32(halted))],
    [...get(stepRef, "halted").data as Int32Array],
  );
  assertEquals(
    [...await world.allGather(asI32(steps))],
    [...get(stepRef, "steps").data as Int32Array],
  );
  const w0 = before[0];
  for (const s of model.params.specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    rel(
      grads.subarray(s.offset, s.offset + n),
      toFloat32(get(stepRef, `grad.${s.name}`)),
      1e-3,
      `grad.${s.name}`,
    );
    const p = params.subarray(s.offset, s.offset + n);
    const ref = toFloat32(get(stepRef, `updated.${s.name}`));
    rel(p, ref, 1e-3, `updated.${s.name}`);
    const base = w0.subarray(s.offset, s.offset + n);
    rel(p.map((x, i) => x - base[i]), ref.map((x, i) => x - base[i]), 1e-3, `delta.${s.name}`);
  }
  trainer.release();

  // Evaluation split 2+2 from the initial weights again (sent in pieces of 1000 floats, as a
  // 2 GB table would go in pieces of 2^26).
  if (world.rank === 0) loadStateDict(model, weights.tensors, "weights.safetensors");
  else {
    for (const t of [model.params.flat, model.H_init, model.L_init]) {
      writeTensor(t, new Float32Array(t.size)); // whatever the broadcast misses stays zero
    }
  }
  await broadcastModel(world, model, 1000);
  if (labels.some((l) => l === 0)) throw new Error("fixture labels use 0, the ignore id here");
  const last = config.arch.halt_max_steps - 1;
  const r = await evaluate(model, {
    inputs: Uint8Array.from(inputs),
    labels: Uint8Array.from(labels, (l) => l === -100 ? 0 : l),
    puzzle_identifiers: Int32Array.from(ids),
    puzzle_indices: Int32Array.from({ length: B + 1 }, (_, i) => i),
    group_indices: Int32Array.from({ length: B + 1 }, (_, i) => i),
    seq_len: S,
    pad_id: 0,
    ignore_label_id: 0,
    blank_identifier_id: 0,
  }, { batchSize: B, lossType: config.arch.loss.loss_type, keepPredictions: true, world });
  const P = r.predictions!;
  assertEquals([...P.preds], [...get(trace, "preds").data as Int32Array], "preds");
  assertEquals([...P.steps], new Array(B).fill(last + 1), "steps");
  rel(P.q_halt_logits, toFloat32(get(trace, `q_halt_logits.${last}`)), 1e-4, "q_halt_logits");
  rel(
    P.q_continue_logits,
    toFloat32(get(trace, `q_continue_logits.${last}`)),
    1e-4,
    "q_continue_logits",
  );
  assertEquals(r.metrics.count, B, "every row counted once over the ranks");
  model.release();
  console.log(`golden ok ${world.rank}`);
  await world.finalize();
} catch (e) {
  failRank(world, (e as Error).message.split("\n")[0]);
}
