// Whole runs on the GPU: the iterations, evaluations and final checkpoint of a run match the
// reference's loop (an evaluation after every iteration, the last included; no step past
// total_steps), the summary names the step its evaluation describes, and eval_save_outputs
// saves the outputs of each evaluation.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { parseConfig } from "../../lib/config/schema.ts";
import { HrmError } from "../../lib/errors.ts";
import { readSafetensors } from "../../lib/io/safetensors.ts";
import { trainRun } from "../../lib/train/loop.ts";
import { trainSummary } from "../../lib/cli/train.ts";
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { gpuTest } from "../_helpers.ts";

async function setup(train: number, overrides: Record<string, unknown> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "hrm-run-" });
  await generateMiniSudokuDataset({ out: `${dir}/data`, train, test: 4, aug: 0, seed: 2 });
  const config = parseConfig({
    data_path: `${dir}/data`,
    global_batch_size: 8,
    epochs: 4,
    eval_interval: 2,
    lr: 1e-3,
    lr_warmup_steps: 2,
    seed: 3,
    checkpoint_every_eval: false,
    arch: {
      hidden_size: 16,
      num_heads: 1,
      expansion: 2,
      H_layers: 1,
      L_layers: 1,
      H_cycles: 1,
      L_cycles: 1,
      halt_max_steps: 2,
      puzzle_emb_ndim: 0,
      pos_encodings: "learned",
    },
    ...overrides,
  });
  return { dir, config };
}

async function rows(file: string): Promise<Record<string, number>[]> {
  return (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
}

gpuTest(
  "run: 16 groups, epochs 4 / eval_interval 2, batch 8: evals at 4 and 8, the last included",
  async (gpu) => {
    const { dir, config } = await setup(16, { eval_save_outputs: ["preds", "q_halt_logits"] });
    const r = await trainRun(gpu, { config, out: `${dir}/run`, logEvery: 1 });
    assertEquals([r.step, r.evalStep, r.complete], [8, 8, true]);
    assert(r.checkpoint.endsWith("step_8.safetensors"));
    const evals = (await rows(`${dir}/run/metrics.jsonl`)).filter((x) =>
      "eval/exact_accuracy" in x
    );
    assertEquals(evals.map((x) => x.step), [4, 8]);
    for (const step of [4, 8]) {
      const { tensors } = await readSafetensors(`${dir}/run/step_${step}_all_preds.safetensors`);
      assertEquals([...tensors.keys()].sort(), ["preds", "q_halt_logits"]);
      assertEquals(tensors.get("preds")!.shape, [4, 16]);
    }
    assert(trainSummary(r).includes("eval @ step 8:"), trainSummary(r));
    // Resuming a finished run trains nothing and says so.
    const again = await trainRun(gpu, { config, out: `${dir}/run`, resume: true });
    assertEquals([again.step, again.startStep, again.complete], [8, 8, true]);
    assert(trainSummary(again).startsWith("nothing to train: the run is complete at step 8"));
    await Deno.remove(dir, { recursive: true });
  },
);

gpuTest(
  "run: dropped batches end the run at the last iteration's batch, not total_steps",
  async (gpu) => {
    // total_steps = floor(4 · 18 / 8) = 9, but each iteration yields floor(2 · 18 / 8) = 4 batches.
    const { dir, config } = await setup(18);
    const r = await trainRun(gpu, { config, out: `${dir}/run`, logEvery: 3 });
    assertEquals([r.step, r.evalStep], [8, 8]);
    const all = await rows(`${dir}/run/metrics.jsonl`);
    assertEquals(all.filter((x) => "eval/exact_accuracy" in x).map((x) => x.step), [4, 8]);
    // --max-steps is an early stop; the summary names the evaluated step.
    const s = await trainRun(gpu, { config, out: `${dir}/early`, maxSteps: 5 });
    assertEquals([s.step, s.evalStep, s.complete], [5, 4, false]);
    assert(trainSummary(s).includes("eval @ step 4:") && trainSummary(s).includes("step 5 is not"));
    await Deno.remove(dir, { recursive: true });
  },
);

gpuTest("run: eval_save_outputs refuses outputs it cannot save", async (gpu) => {
  const { dir, config } = await setup(16, { eval_save_outputs: ["logits"] });
  await assertRejects(() => trainRun(gpu, { config, out: `${dir}/run` }), HrmError, "logits");
  await Deno.remove(dir, { recursive: true });
});
