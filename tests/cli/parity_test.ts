// Parity with the reference through the CLI, as a user would run it: a dataset made from the
// golden batch, `hrm eval --checkpoint weights.safetensors` reproduces the reference's preds and
// last-segment q_halt_logits, and `hrm train --init weights.safetensors --max-steps 1
// lr_warmup_steps=0` reproduces every updated parameter.
import { assertEquals } from "@std/assert";
import { main } from "../../cli.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { goldenDataset } from "./_golden_dataset.ts";
import { checkEvalParity, fixtureTensor } from "../_golden.ts";
import { gpuTest, maxRelError } from "../_helpers.ts";

const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;
const golden = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));

/** The hrm-a dataset and config (see goldenDataset). */
function hrmDataset() {
  return goldenDataset(DIR, {
    arch: golden.arch,
    lr: golden.lr_used_for_fixture,
    weight_decay: golden.weight_decay,
    beta1: golden.beta1,
    beta2: golden.beta2,
    puzzle_emb_lr: golden.puzzle_emb_lr,
    puzzle_emb_weight_decay: golden.puzzle_emb_weight_decay,
  });
}

gpuTest("cli parity: hrm eval reproduces the reference's preds and q_halt_logits", async () => {
  const { dir, config } = await hrmDataset();
  await checkEvalParity(DIR, dir, config, 4, 1e-4);
  await Deno.remove(dir, { recursive: true });
});

gpuTest(
  "cli parity: hrm train --init --max-steps 1 reproduces every updated parameter",
  async () => {
    const { dir, config } = await hrmDataset();
    const code = await main([
      "train",
      "--config",
      config,
      "--init",
      `${DIR}weights.safetensors`,
      "--max-steps",
      "1",
      "--out",
      `${dir}/run`,
      "lr_warmup_steps=0",
    ]);
    assertEquals(code, 0);
    const updated = (await readSafetensors(`${dir}/run/step_1.safetensors`)).tensors;
    const step = (await readSafetensors(`${DIR}train_step.safetensors`)).tensors;
    const before = (await readSafetensors(`${DIR}weights.safetensors`)).tensors;
    let checked = 0;
    for (const [k, v] of step) {
      if (!k.startsWith("updated.")) continue;
      const name = k.slice("updated.".length);
      const ours = toFloat32(fixtureTensor(updated, name)),
        ref = toFloat32(v),
        w0 = toFloat32(fixtureTensor(before, name));
      const e = maxRelError(ours.map((x, i) => x - w0[i]), ref.map((x, i) => x - w0[i]));
      if (!(e <= 1e-3)) throw new Error(`${name}: update off by ${e} of its size`);
      checked++;
    }
    assertEquals(checked, 20);
    // H_init/L_init are buffers: unchanged by the step.
    assertEquals(
      toFloat32(fixtureTensor(updated, "inner.H_init")),
      toFloat32(fixtureTensor(before, "inner.H_init")),
    );
    await Deno.remove(dir, { recursive: true });
  },
);
