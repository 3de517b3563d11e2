// A dataset made from a golden fixture's batch, for parity through the CLI.
import { readSafetensors, type StTensor } from "../../lib/io/safetensors.ts";
import { writeIdentifiers, writeSplit } from "../../lib/io/dataset.ts";

function get(m: Map<string, StTensor>, k: string): StTensor {
  const t = m.get(k);
  if (!t) throw new Error(`fixture has no ${k}`);
  return t;
}

/**
 * A dataset whose train and test splits both hold the golden batch (one puzzle per example, with
 * the batch's puzzle identifiers), and a config file over it: `overrides` (arch, optimizer
 * settings) on top of one epoch of one batch with no warm-up.
 */
export async function goldenDataset(
  fixtureDir: string,
  overrides: Record<string, unknown>,
): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "hrm-parity-" });
  const { tensors } = await readSafetensors(`${fixtureDir}batch.safetensors`);
  const inputs = get(tensors, "inputs").data as Int32Array;
  const labels = get(tensors, "labels").data as Int32Array;
  const ids = get(tensors, "puzzle_identifiers").data as Int32Array;
  const B = get(tensors, "inputs").shape[0], S = get(tensors, "inputs").shape[1];
  const numIds = Math.max(...ids) + 1;
  // The reference's loader maps ignore_label_id (0, PAD) to -100; store -100 as 0.
  const arrays = {
    inputs: Uint8Array.from(inputs),
    labels: Uint8Array.from(labels, (l) => (l === -100 ? 0 : l)),
    puzzle_identifiers: Int32Array.from(ids),
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
      num_puzzle_identifiers: numIds,
    }, arrays);
  }
  await writeIdentifiers(
    `${dir}/data`,
    ["<blank>", ...Array.from({ length: numIds - 1 }, (_, i) => `p${i + 1}`)],
  );
  const config = {
    data_path: `${dir}/data`,
    global_batch_size: B,
    epochs: 1,
    eval_interval: 1,
    lr_min_ratio: 1,
    lr_warmup_steps: 0,
    seed: 0,
    ...overrides,
  };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
  return { dir, config: `${dir}/config.json` };
}
