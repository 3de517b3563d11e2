// State collection from a real (tiny, untrained) model: chunked runs see the same states as one
// run, and the sample count is examples × segments × positions. Needs a WebGPU adapter.
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { getPreset } from "../../lib/config/presets.ts";
import type { Split } from "../../lib/io/dataset.ts";
import { buildModel } from "../../lib/train/loop.ts";
import type { SamplerSource } from "../../lib/train/sampler.ts";
import { spectrum } from "../../lib/viz/pr.ts";
import { collectModelStates } from "../../lib/viz/pr_collect.ts";
import { gpuTest } from "../_helpers.ts";

const S = 16, N = 5;
const meta: Split["meta"] = {
  pad_id: 0,
  ignore_label_id: 0,
  blank_identifier_id: 0,
  vocab_size: 6,
  seq_len: S,
  num_puzzle_identifiers: 1,
  total_groups: N,
  mean_puzzle_examples: 1,
  sets: ["all"],
};
const src: SamplerSource = {
  inputs: Uint8Array.from({ length: N * S }, (_, i) => 1 + ((i * 7) % 4)),
  labels: Uint8Array.from({ length: N * S }, (_, i) => 1 + ((i * 5) % 5)),
  puzzle_identifiers: new Int32Array(N),
  puzzle_indices: Int32Array.from({ length: N + 1 }, (_, i) => i),
  group_indices: Int32Array.from({ length: N + 1 }, (_, i) => i),
  seq_len: S,
  pad_id: 0,
  ignore_label_id: 0,
  blank_identifier_id: 0,
};

gpuTest("collectModelStates: chunking does not change the states collected", async (gpu) => {
  const config = getPreset("tiny");
  const model = await buildModel(gpu, config, meta);
  try {
    const opts = {
      examples: N,
      segments: 2,
      lossType: config.arch.loss.loss_type,
      unit: "token" as const,
      maxStates: 1e9,
      seed: 0,
    };
    const whole = await collectModelStates(model, src, { ...opts, batchSize: 8 });
    const chunked = await collectModelStates(model, src, { ...opts, batchSize: 2 });
    assertEquals(whole.z_H.count, N * 2 * S);
    assertEquals(chunked.z_H.count, N * 2 * S);
    const a = spectrum(whole.z_H), b = spectrum(chunked.z_H);
    assertAlmostEquals(a.pr, b.pr, 1e-9 * a.pr);
    assert(a.pr >= 1 && a.pr <= model.dims.D, `PR ${a.pr} outside [1, D]`);
    const l = spectrum(whole.z_L);
    assert(l.pr >= 1 && l.pr <= model.dims.D);
  } finally {
    model.release();
  }
});
