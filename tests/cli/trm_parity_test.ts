// TRM parity with the reference through the CLI, as a user would run it, on a dataset made from
// the golden trm-a batch: `hrm eval --checkpoint weights.safetensors` reproduces the reference's
// preds and last-segment q_halt_logits (from tests/fixtures), and `hrm train --init
// weights.safetensors --max-steps 1 lr_warmup_steps=0 ema=true ema_rate=0.5` writes the EMA of
// the updated weights, as the reference saves (needs ../shared/golden/trm-a/train_step, 10 MB;
// skipped with a printed reason without it).
import { assertEquals } from "@std/assert";
import { main } from "../../cli.ts";
import { readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { gpuTest, maxRelError } from "../_helpers.ts";
import { goldenDataset } from "./_golden_dataset.ts";
import { checkEvalParity, fixtureTensor } from "../_golden.ts";

const DIR = new URL("../fixtures/golden/trm-a/", import.meta.url).pathname;
const SHARED = new URL("../../../shared/golden/trm-a/", import.meta.url).pathname;
const golden = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));

function trmDataset() {
  return goldenDataset(DIR, {
    arch: golden.arch,
    lr: golden.lr,
    weight_decay: golden.weight_decay,
    beta1: golden.beta1,
    beta2: golden.beta2,
    puzzle_emb_lr: golden.puzzle_emb_lr,
    puzzle_emb_weight_decay: golden.puzzle_emb_weight_decay,
  });
}

gpuTest(
  "cli parity (TRM): hrm eval reproduces the reference's preds and q_halt_logits",
  async () => {
    const { dir, config } = await trmDataset();
    // Two chained segments of the chaotic MLP variant: README.txt's float64 headroom is 1.4e-4.
    await checkEvalParity(DIR, dir, config, 2, 2e-4);
    await Deno.remove(dir, { recursive: true });
  },
);

const haveShared = await Deno.stat(`${SHARED}train_step.safetensors`).then(() => true, () => false);
if (!haveShared) {
  console.log(`skipping TRM CLI train parity: ${SHARED}train_step.safetensors is absent`);
}

gpuTest(
  "cli parity (TRM): hrm train --init --max-steps 1 with EMA writes the EMA weights",
  async () => {
    if (!haveShared) return;
    const { dir, config } = await trmDataset();
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
      "ema=true",
      `ema_rate=${golden.ema_rate}`,
    ]);
    assertEquals(code, 0);
    const saved = (await readSafetensors(`${dir}/run/step_1.safetensors`)).tensors;
    const step = (await readSafetensors(`${SHARED}train_step.safetensors`)).tensors;
    const before = (await readSafetensors(`${DIR}weights.safetensors`)).tensors;
    let checked = 0;
    for (const [k, v] of step) {
      if (!k.startsWith("ema.")) continue;
      const name = k.slice("ema.".length);
      const ours = toFloat32(fixtureTensor(saved, name)),
        ref = toFloat32(v),
        w0 = toFloat32(fixtureTensor(before, name));
      // The EMA moves (1 − ema_rate) of the update; README.txt: one mlp_t entry whose gradient is
      // at rounding level may step the other way at t = 1, so count entries off by > 1e-3·lr.
      const lr = golden.lr;
      let off = 0;
      for (let i = 0; i < ours.length; i++) {
        if (Math.abs((ours[i] - w0[i]) - (ref[i] - w0[i])) > 1e-3 * lr) off++;
      }
      if (off > 2) throw new Error(`${name}: ${off} EMA entries differ by more than 1e-3·lr`);
      checked++;
    }
    assertEquals(checked, 12);
    // The puzzle embedding is a buffer: saved as trained (SignSGD), not averaged.
    const puz = maxRelError(
      toFloat32(fixtureTensor(saved, "inner.puzzle_emb.weights")),
      toFloat32(fixtureTensor(step, "updated.inner.puzzle_emb.weights")),
    );
    if (!(puz <= 1e-5)) throw new Error(`puzzle_emb off by ${puz}`);
    assertEquals(
      toFloat32(fixtureTensor(saved, "inner.H_init")),
      toFloat32(fixtureTensor(before, "inner.H_init")),
    );
    // The raw weights and the shadow are in the state file, for an exact resume.
    const state = (await readSafetensors(`${dir}/run/state_1.safetensors`)).tensors;
    assertEquals(state.has("params.raw") && state.has("ema.shadow"), true);
    await Deno.remove(dir, { recursive: true });
  },
);
