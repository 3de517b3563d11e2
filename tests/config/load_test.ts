import { assertEquals, assertRejects } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { loadConfig, mergeLayers, readConfigFile } from "../../lib/config/load.ts";
import { getPreset } from "../../lib/config/presets.ts";

const fixture = (name: string) =>
  fromFileUrl(new URL(`../fixtures/config/${name}`, import.meta.url));

Deno.test("a reference all_config.yaml loads with every value", async () => {
  const c = await loadConfig({ file: fixture("all_config.yaml") });
  assertEquals(c.project_name, "Sudoku-extreme-1k-aug-1000 ACT-torch");
  assertEquals(c.run_name, "HierarchicalReasoningModel_ACTV1 amber-heron");
  assertEquals(
    c.checkpoint_path,
    "checkpoints/Sudoku-extreme-1k-aug-1000 ACT-torch/HierarchicalReasoningModel_ACTV1 amber-heron",
  );
  // Apart from the names it is exactly the sudoku-extreme preset.
  assertEquals(
    { ...c, project_name: null, run_name: null, checkpoint_path: null },
    getPreset("sudoku-extreme"),
  );
});

Deno.test("the reference's cfg_pretrain.yaml layout loads (Hydra keys dropped) as arc-1", async () => {
  assertEquals(await loadConfig({ file: fixture("cfg_pretrain.yaml") }), getPreset("arc-1"));
});

Deno.test("layers: preset, then file, then overrides", async () => {
  const c = await loadConfig({
    preset: "sudoku-cpu",
    file: fixture("partial.json"),
    overrides: ["arch.L_cycles=3"],
  });
  assertEquals(c.lr, 7e-5); // file over preset
  assertEquals(c.global_batch_size, getPreset("sudoku-cpu").global_batch_size); // preset kept
  assertEquals(c.arch.puzzle_emb_ndim, 64); // ${.hidden_size} resolved
  assertEquals(c.arch.L_cycles, 3); // override last
  assertEquals(await loadConfig(), getPreset("arc-1"));
});

Deno.test("file errors name the file and the key", async () => {
  await assertRejects(
    () => loadConfig({ file: fixture("bad_type.yaml") }),
    HrmError,
    'bad_type.yaml: arch.L_cycles: expected a number, got "four"',
  );
  await assertRejects(
    () => loadConfig({ file: fixture("unknown_key.yaml") }),
    HrmError,
    'unknown config key "arch.L_cylces" (did you mean "arch.L_cycles"?)',
  );
  await assertRejects(
    () => loadConfig({ file: fixture("missing.yaml") }),
    HrmError,
    "no such config file",
  );
  await assertRejects(() => loadConfig({ preset: "nope" }), HrmError, 'unknown preset "nope"');
});

Deno.test("unparsable and non-mapping files are HrmErrors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.json`, "{ lr: ");
    await assertRejects(() => readConfigFile(`${dir}/a.json`), HrmError, "cannot parse JSON");
    await Deno.writeTextFile(`${dir}/b.yaml`, "lr: [1, 2\n");
    await assertRejects(() => readConfigFile(`${dir}/b.yaml`), HrmError, "cannot parse YAML");
    await Deno.writeTextFile(`${dir}/c.yaml`, "- 1\n- 2\n");
    await assertRejects(() => readConfigFile(`${dir}/c.yaml`), HrmError, "expected a mapping");
    await Deno.writeTextFile(`${dir}/d.yaml`, "");
    assertEquals(await readConfigFile(`${dir}/d.yaml`), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mergeLayers merges mappings and replaces lists and values", () => {
  const a = {
    lr: 1,
    arch: { hidden_size: 64, loss: { name: "x" } },
    eval_save_outputs: ["a", "b"],
  };
  const b = {
    arch: { loss: { loss_type: "softmax_cross_entropy" as const } },
    eval_save_outputs: ["c"],
  };
  assertEquals(mergeLayers(a, b), {
    lr: 1,
    arch: { hidden_size: 64, loss: { name: "x", loss_type: "softmax_cross_entropy" } },
    eval_save_outputs: ["c"],
  });
  assertEquals(a.arch.loss, { name: "x" });
});
