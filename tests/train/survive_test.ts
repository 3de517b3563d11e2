// Runs that survive: an interrupted run (an aborted signal, as Ctrl-C gives) stops after the step
// in flight with a checkpoint and resumes bit for bit; time-based checkpoints keep the last two;
// a resume drops metrics rows logged past its checkpoint.
import { assertEquals } from "@std/assert";
import { parseConfig } from "../../lib/config/schema.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { trainRun } from "../../lib/train/loop.ts";
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { gpuTest } from "../_helpers.ts";

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "hrm-survive-" });
  await generateMiniSudokuDataset({ out: `${dir}/data`, train: 40, test: 4, aug: 1, seed: 5 });
  const config = parseConfig({
    data_path: `${dir}/data`,
    global_batch_size: 8,
    epochs: 20,
    eval_interval: 20,
    lr: 1e-3,
    lr_warmup_steps: 2,
    seed: 4,
    checkpoint_every_eval: false,
    arch: {
      hidden_size: 16,
      num_heads: 1,
      expansion: 2,
      H_layers: 1,
      L_layers: 1,
      H_cycles: 1,
      L_cycles: 1,
      halt_max_steps: 3,
      halt_exploration_prob: 0.5,
      puzzle_emb_ndim: 0,
      pos_encodings: "learned",
    },
  });
  return { dir, config };
}

async function weights(file: string): Promise<Map<string, Float32Array>> {
  const { tensors } = await readSafetensors(file);
  return new Map([...tensors].map(([k, v]) => [k, toFloat32(v)]));
}

const steps = async (file: string) =>
  (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l).step as number);

gpuTest(
  "an aborted run stops after the step in flight, checkpoints, and resumes bit for bit",
  async (gpu) => {
    const { dir, config } = await setup();
    const a = await trainRun(gpu, { config, out: `${dir}/a`, maxSteps: 6, logEvery: 1 });
    const abort = new AbortController();
    const b1 = await trainRun(gpu, {
      config,
      out: `${dir}/b`,
      logEvery: 1,
      signal: abort.signal,
      onStep: (step) => step === 2 && abort.abort(),
    });
    assertEquals([b1.step, b1.complete], [2, false]);
    const latest = JSON.parse(await Deno.readTextFile(`${dir}/b/latest.json`));
    assertEquals(latest.step, 2);
    const b = await trainRun(gpu, {
      config,
      out: `${dir}/b`,
      resume: true,
      maxSteps: 4,
      logEvery: 1,
    });
    assertEquals(b.step, 6);
    const wa = await weights(a.checkpoint), wb = await weights(b.checkpoint);
    for (const [k, v] of wa) assertEquals(wb.get(k), v, k);
    await Deno.remove(dir, { recursive: true });
  },
);

gpuTest("time-based checkpoints: the last two are kept, older ones removed", async (gpu) => {
  const { dir, config } = await setup();
  // A tiny interval makes every step's checkpoint due.
  await trainRun(gpu, { config, out: `${dir}/r`, maxSteps: 5, checkpointEveryMinutes: 1e-9 });
  const files = [...Deno.readDirSync(`${dir}/r`)].map((e) => e.name)
    .filter((n) => /^(step|state)_\d+\.safetensors$/.test(n)).sort();
  // Time-based at 1..4 (the last two kept), and the stop's own checkpoint at 5.
  assertEquals(
    files,
    [3, 4, 5].flatMap((n) => [`state_${n}.safetensors`, `step_${n}.safetensors`]).sort(),
  );
  const latest = JSON.parse(await Deno.readTextFile(`${dir}/r/latest.json`));
  assertEquals([latest.step, latest.timed], [5, [3, 4]]);
  // Off: only the checkpoint at the stop.
  await trainRun(gpu, { config, out: `${dir}/off`, maxSteps: 3, checkpointEveryMinutes: 0 });
  const off = [...Deno.readDirSync(`${dir}/off`)].map((e) => e.name)
    .filter((n) => n.startsWith("step_"));
  assertEquals(off, ["step_3.safetensors"]);
  await Deno.remove(dir, { recursive: true });
});

gpuTest("metrics.jsonl has no duplicate steps after a resume", async (gpu) => {
  const { dir, config } = await setup();
  await trainRun(gpu, { config, out: `${dir}/r`, maxSteps: 3, logEvery: 1 });
  // Rows a killed run logged after its last checkpoint (step 3).
  await Deno.writeTextFile(`${dir}/r/metrics.jsonl`, '{"step":4}\n{"step":5}\n', { append: true });
  await trainRun(gpu, { config, out: `${dir}/r`, resume: true, maxSteps: 2, logEvery: 1 });
  assertEquals(await steps(`${dir}/r/metrics.jsonl`), [1, 2, 3, 4, 5]);
  await Deno.remove(dir, { recursive: true });
});
