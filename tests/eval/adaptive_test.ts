// Segment-by-segment inference against the reference's golden eval trace (hrm-a): every segment's
// Q logits and the final predictions match with halting off; with --act a row stops at the first
// segment where q_halt > q_continue (row 0 at segment 2 in this fixture) and leaves the batch,
// and the rows still running keep matching the reference at later segments.
import { assert, assertEquals } from "@std/assert";
import { readSafetensors, type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { archFromConfig } from "../../lib/model/dims.ts";
import { createModel } from "../../lib/model/create.ts";
import { loadStateDict } from "../../lib/model/state.ts";
import { evaluateAdaptive, runSegments } from "../../lib/eval/adaptive.ts";
import { evaluate } from "../../lib/eval/evaluate.ts";
import type { SamplerSource } from "../../lib/train/sampler.ts";
import { hrm } from "../cli/_hrm.ts";
import { goldenDataset } from "../cli/_golden_dataset.ts";
import { torchCheckpointOf } from "../io/_torch_writer.ts";
import { gpuTest, maxRelError } from "../_helpers.ts";

const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));
const weights = await readSafetensors(`${DIR}weights.safetensors`);
const batch = await readSafetensors(`${DIR}batch.safetensors`);
const trace = await readSafetensors(`${DIR}eval_trace.safetensors`);
const G = config.arch.halt_max_steps as number;
const tensor = (name: string): StTensor => trace.tensors.get(name)!;

function column(name: string, row: number, B: number, segments: number[]): number[] {
  return segments.map((s) => toFloat32(tensor(`${name}.${s}`))[row] ?? NaN).slice(0, B);
}

gpuTest("runSegments: fixed and adaptive halting match the reference trace", async (gpu) => {
  const model = createModel(gpu, archFromConfig(config.arch, config.dataset_metadata));
  loadStateDict(model, weights.tensors, "weights.safetensors");
  const inputs = batch.tensors.get("inputs")!.data as Int32Array;
  const ids = batch.tensors.get("puzzle_identifiers")!.data as Int32Array;
  const B = ids.length, S = model.dims.S;
  const segs = Array.from({ length: G }, (_, s) => s);
  try {
    const fixed = await runSegments(model, inputs, ids, { segments: G, act: false, record: true });
    assertEquals([...fixed.segments], new Array(B).fill(G));
    assertEquals([...fixed.preds], [...(tensor("preds").data as Int32Array)]);
    for (let b = 0; b < B; b++) {
      const rec = fixed.record!;
      const qh = Array.from(rec.q_halt_logits.subarray(b * G, (b + 1) * G));
      const qc = Array.from(rec.q_continue_logits.subarray(b * G, (b + 1) * G));
      assert(maxRelError(qh, column("q_halt_logits", b, G, segs)) < 1e-4, `q_halt row ${b}`);
      assert(maxRelError(qc, column("q_continue_logits", b, G, segs)) < 1e-4, `q_cont row ${b}`);
    }

    // The reference's halting rule applied to its own trace: the segment each row stops at.
    const want = Array.from({ length: B }, (_, b) => {
      for (let s = 0; s < G; s++) {
        if (
          toFloat32(tensor(`q_halt_logits.${s}`))[b] >
            toFloat32(tensor(`q_continue_logits.${s}`))[b]
        ) {
          return s + 1;
        }
      }
      return G;
    });
    assert(want.some((s) => s < G) && want.some((s) => s === G), `fixture halts ${want}`);
    const act = await runSegments(model, inputs, ids, { segments: G, act: true, record: true });
    assertEquals([...act.segments], want);
    for (let b = 0; b < B; b++) {
      const s = want[b] - 1;
      const qh = toFloat32(tensor(`q_halt_logits.${s}`))[b];
      assert(Math.abs(act.q_halt_logits[b] - qh) < 1e-4 * Math.abs(qh), `act q_halt row ${b}`);
      // the answer at the halting segment is the fixed run's answer at that segment
      const fixedAt = fixed.record!.preds.subarray((b * G + s) * S, (b * G + s + 1) * S);
      assertEquals([...act.preds.subarray(b * S, (b + 1) * S)], [...fixedAt], `preds row ${b}`);
      // and it stays in the record after halting
      const last = act.record!.preds.subarray((b * G + G - 1) * S, (b * G + G) * S);
      assertEquals([...last], [...fixedAt], `recorded preds row ${b}`);
    }
  } finally {
    model.release();
  }
});

gpuTest(
  "evaluateAdaptive: equals evaluate() without halting; with --act uses fewer segments",
  async (gpu) => {
    const model = createModel(gpu, archFromConfig(config.arch, config.dataset_metadata));
    loadStateDict(model, weights.tensors, "weights.safetensors");
    const labels = batch.tensors.get("labels")!.data as Int32Array;
    const B = labels.length / 81;
    const src: SamplerSource = {
      inputs: Uint8Array.from(batch.tensors.get("inputs")!.data as Int32Array),
      labels: Uint8Array.from(labels, (l) => (l < 0 ? 0 : l)),
      puzzle_identifiers: new Int32Array(B),
      puzzle_indices: Int32Array.from({ length: B + 1 }, (_, i) => i),
      group_indices: Int32Array.from({ length: B + 1 }, (_, i) => i),
      seq_len: 81,
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
    };
    try {
      for (const g of [1, G]) {
        const opts = { batchSize: 3, haltMaxSteps: g };
        const ref = await evaluate(model, src, { ...opts, lossType: "stablemax_cross_entropy" });
        const fixed = await evaluateAdaptive(model, src, { ...opts, act: false });
        assertEquals(fixed.count, ref.metrics.count);
        assert(Math.abs(fixed.accuracy - ref.metrics.accuracy) < 1e-6, `${fixed.accuracy}`);
        assertEquals(fixed.exact_accuracy, ref.metrics.exact_accuracy);
        assertEquals(fixed.mean_segments, g);
        // the fixture's row 0 labels are segment 1's answer
        if (g === 1) assertEquals(fixed.exact_accuracy, 1 / fixed.count);
      }
      const act = await evaluateAdaptive(model, src, { batchSize: 3 });
      assertEquals(act.mean_segments, (2 + 3 * G) / 4); // row 0 stops at segment 2
      assertEquals(act.count, 4);
    } finally {
      model.release();
    }
  },
);

gpuTest(
  "hrm eval --act on a torch checkpoint adds act_* next to the fixed-step metrics",
  async () => {
    const { dir, config: cfg } = await goldenDataset(DIR, { arch: config.arch });
    await Deno.writeFile(`${dir}/checkpoint`, torchCheckpointOf(weights.tensors, []));
    const r = await hrm(
      "eval",
      "--config",
      cfg,
      "--checkpoint",
      `${dir}/checkpoint`,
      "--act",
      "--json",
    );
    assertEquals(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assertEquals(m.steps, G);
    assertEquals(m.act_mean_segments, (2 + 3 * G) / 4);
    assert(typeof m.act_exact_accuracy === "number" && typeof m.act_accuracy === "number");
    await Deno.remove(dir, { recursive: true });
  },
);
