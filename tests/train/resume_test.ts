// Run folders: a run stopped and resumed ends bit-identical to one that never stopped, and a
// non-finite loss stops the run without replacing the last good checkpoint.
import { assertEquals, assertRejects } from "@std/assert";
import { parseConfig } from "../../lib/config/schema.ts";
import { HrmError } from "../../lib/errors.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { trainRun } from "../../lib/train/loop.ts";
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { gpuTest } from "../_helpers.ts";

async function setup(extra: Record<string, unknown> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "hrm-resume-" });
  await generateMiniSudokuDataset({ out: `${dir}/data`, train: 40, test: 8, aug: 1, seed: 2 });
  const config = parseConfig({
    data_path: `${dir}/data`,
    global_batch_size: 8,
    epochs: 20,
    eval_interval: 20,
    lr: 1e-3,
    lr_warmup_steps: 2,
    seed: 3,
    arch: {
      hidden_size: 32,
      num_heads: 2,
      expansion: 2,
      H_layers: 1,
      L_layers: 1,
      H_cycles: 1,
      L_cycles: 2,
      halt_max_steps: 3,
      halt_exploration_prob: 0.5,
      puzzle_emb_ndim: 0,
      pos_encodings: "learned",
      ...(extra.arch as object ?? {}),
    },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "arch")),
  });
  return { dir, config };
}

async function weights(file: string): Promise<Map<string, ArrayLike<number>>> {
  const { tensors } = await readSafetensors(file);
  return new Map(
    [...tensors].map(([k, v]) => [k, v.dtype === "F32" ? toFloat32(v) : v.data as Int32Array]),
  );
}

for (
  const [what, extra] of [
    ["HRM", {}],
    ["TRM with mlp_t, EMA and a puzzle prefix", {
      ema: true,
      ema_rate: 0.9,
      arch: {
        name: "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1",
        mlp_t: true,
        L_layers: 2,
        H_cycles: 2,
        pos_encodings: "none",
        puzzle_emb_ndim: 32,
        puzzle_emb_len: 2,
      },
    }],
  ] as const
) {
  gpuTest(
    `resume (${what}): 3 steps + 4 resumed steps equal 7 uninterrupted steps, bit for bit`,
    async (gpu) => {
      const { dir, config } = await setup(extra);
      const a = await trainRun(gpu, { config, out: `${dir}/a`, maxSteps: 7, logEvery: 2 });
      await trainRun(gpu, { config, out: `${dir}/b`, maxSteps: 3, logEvery: 2 });
      const b = await trainRun(gpu, {
        config,
        out: `${dir}/b`,
        resume: true,
        maxSteps: 4,
        logEvery: 2,
      });
      assertEquals([a.step, b.step], [7, 7]);
      const wa = await weights(a.checkpoint), wb = await weights(b.checkpoint);
      for (const [k, v] of wa) assertEquals(wb.get(k), v, k);
      // With EMA, the state keeps the raw weights and the shadow: equal too.
      const sa = await weights(`${dir}/a/state_7.safetensors`);
      const sb = await weights(`${dir}/b/state_7.safetensors`);
      for (const [k, v] of sa) assertEquals(sb.get(k), v, k);
      const steps = (await Deno.readTextFile(`${dir}/b/metrics.jsonl`)).trim().split("\n")
        .map((l) => JSON.parse(l).step as number);
      assertEquals(steps.at(-1), 7);
      await Deno.remove(dir, { recursive: true });
    },
  );
}

gpuTest("a non-finite loss stops the run and keeps the last good checkpoint", async (gpu) => {
  const { dir, config } = await setup();
  await trainRun(gpu, { config, out: `${dir}/run`, maxSteps: 2, logEvery: 1 });
  const before = await Deno.readTextFile(`${dir}/run/latest.json`);
  const bad = { ...config, lr: 1e30, lr_warmup_steps: 0 };
  await assertRejects(
    () => trainRun(gpu, { config: bad, out: `${dir}/run`, resume: true, maxSteps: 5, logEvery: 1 }),
    HrmError,
    "non-finite loss",
  );
  assertEquals(await Deno.readTextFile(`${dir}/run/latest.json`), before);
  await Deno.remove(dir, { recursive: true });
});

gpuTest("resume without a checkpoint names the missing file", async (gpu) => {
  const { dir, config } = await setup();
  await assertRejects(
    () => trainRun(gpu, { config, out: `${dir}/empty`, resume: true, maxSteps: 1 }),
    HrmError,
    "latest.json",
  );
  await Deno.remove(dir, { recursive: true });
});
