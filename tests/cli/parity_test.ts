// Parity with the reference through the CLI, as a user would run it: a dataset made from the
// golden batch, `hrm eval --checkpoint weights.safetensors` reproduces the reference's preds and
// last-segment q_halt_logits, and `hrm train --init weights.safetensors --max-steps 1
// lr_warmup_steps=0` reproduces every updated parameter.
import { assertEquals } from "@std/assert";
import { main } from "../../cli.ts";
import { readSafetensors, type StTensor, toFloat32 } from "../../lib/io/safetensors.ts";
import { writeIdentifiers, writeSplit } from "../../lib/io/dataset.ts";
import { gpuTest, maxRelError } from "../_helpers.ts";

const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;
const golden = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));

function get(m: Map<string, StTensor>, k: string): StTensor {
  const t = m.get(k);
  if (!t) throw new Error(`fixture has no ${k}`);
  return t;
}

/** A dataset whose train and test splits both hold the golden batch, one puzzle per example. */
async function goldenDataset(): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "hrm-parity-" });
  const { tensors } = await readSafetensors(`${DIR}batch.safetensors`);
  const inputs = get(tensors, "inputs").data as Int32Array;
  const labels = get(tensors, "labels").data as Int32Array;
  const B = get(tensors, "inputs").shape[0], S = get(tensors, "inputs").shape[1];
  // The reference's loader maps ignore_label_id (0, PAD) to -100; store -100 as 0.
  const arrays = {
    inputs: Uint8Array.from(inputs),
    labels: Uint8Array.from(labels, (l) => (l === -100 ? 0 : l)),
    puzzle_identifiers: new Int32Array(B),
    puzzle_indices: Int32Array.from({ length: B + 1 }, (_, i) => i),
    group_indices: Int32Array.from({ length: B + 1 }, (_, i) => i),
  };
  for (const split of ["train", "test"] as const) {
    await Deno.mkdir(`${dir}/data/${split}`, { recursive: true });
    await writeSplit(`${dir}/data`, split, {
      seq_len: S,
      vocab_size: 11,
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      num_puzzle_identifiers: 1,
    }, arrays);
  }
  await writeIdentifiers(`${dir}/data`, ["<blank>"]);
  const config = {
    arch: golden.arch,
    data_path: `${dir}/data`,
    global_batch_size: B,
    epochs: 1,
    eval_interval: 1,
    lr: golden.lr_used_for_fixture,
    lr_min_ratio: 1,
    lr_warmup_steps: 0,
    weight_decay: golden.weight_decay,
    beta1: golden.beta1,
    beta2: golden.beta2,
    puzzle_emb_lr: golden.puzzle_emb_lr,
    puzzle_emb_weight_decay: golden.puzzle_emb_weight_decay,
    seed: 0,
  };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
  return { dir, config: `${dir}/config.json` };
}

gpuTest("cli parity: hrm eval reproduces the reference's preds and q_halt_logits", async () => {
  const { dir, config } = await goldenDataset();
  const code = await main([
    "eval",
    "--config",
    config,
    "--checkpoint",
    `${DIR}weights.safetensors`,
    "--save-preds",
    `${dir}/preds.safetensors`,
  ]);
  assertEquals(code, 0);
  const preds = (await readSafetensors(`${dir}/preds.safetensors`)).tensors;
  const trace = (await readSafetensors(`${DIR}eval_trace.safetensors`)).tensors;
  assertEquals([...(get(preds, "preds").data as Int32Array)], [
    ...(get(trace, "preds").data as Int32Array),
  ]);
  const e = maxRelError(
    toFloat32(get(preds, "q_halt_logits")),
    toFloat32(get(trace, "q_halt_logits.3")),
  );
  if (!(e <= 1e-4)) throw new Error(`q_halt_logits off by ${e}`);
  assertEquals([...(get(preds, "steps").data as Int32Array)], [4, 4, 4, 4]);
  await Deno.remove(dir, { recursive: true });
});

gpuTest(
  "cli parity: hrm train --init --max-steps 1 reproduces every updated parameter",
  async () => {
    const { dir, config } = await goldenDataset();
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
      const ours = toFloat32(get(updated, name)),
        ref = toFloat32(v),
        w0 = toFloat32(get(before, name));
      const e = maxRelError(ours.map((x, i) => x - w0[i]), ref.map((x, i) => x - w0[i]));
      if (!(e <= 1e-3)) throw new Error(`${name}: update off by ${e} of its size`);
      checked++;
    }
    assertEquals(checked, 20);
    // H_init/L_init are buffers: unchanged by the step.
    assertEquals(toFloat32(get(updated, "inner.H_init")), toFloat32(get(before, "inner.H_init")));
    await Deno.remove(dir, { recursive: true });
  },
);
