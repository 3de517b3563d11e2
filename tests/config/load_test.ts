import { assert, assertEquals, assertRejects } from "@std/assert";
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
    await Deno.writeTextFile(`${dir}/b2.yaml`, "{bad\n");
    const e = await assertRejects(() => readConfigFile(`${dir}/b2.yaml`), HrmError);
    assert(/line 2, column 1$/.test(e.message), `one line, no dangling colon: ${e.message}`);
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

Deno.test("a TRM all_config.yaml written by the reference loads as the trm-sudoku-mlp preset", async () => {
  const c = await loadConfig({ file: fixture("trm_all_config.yaml") });
  assertEquals(c.data_path, "data/sudoku-extreme-1k-aug-1000");
  assertEquals([c.run_name, c.ema, c.ema_rate, c.arch.mlp_t], [
    "pretrain_mlp_t_sudoku",
    true,
    0.999,
    true,
  ]);
  assertEquals(
    { ...c, project_name: null, run_name: null, checkpoint_path: null },
    getPreset("trm-sudoku-mlp"),
  );
  // Over a preset that names data_path, the file's data_paths wins like any later layer.
  const over = await loadConfig({ preset: "maze-hard", file: fixture("trm_all_config.yaml") });
  assertEquals(over.data_path, "data/sudoku-extreme-1k-aug-1000");
});

Deno.test("TRM's cfg_pretrain.yaml layout loads: defaults' arch: trm picks TRM", async () => {
  const c = await loadConfig({ file: fixture("trm_cfg_pretrain.yaml") });
  assertEquals(c.arch.name, "recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1");
  assertEquals([c.arch.H_cycles, c.arch.L_cycles, c.arch.L_layers, c.arch.puzzle_emb_len], [
    3,
    6,
    2,
    16,
  ]);
  assertEquals([c.data_path, c.evaluators, c.ema, c.freeze_weights], [
    "data/arc1concept-aug-1000",
    [{ name: "arc@ARC" }],
    false,
    false,
  ]);
  // The README's ARC-1 command line over it is exactly the trm-arc-1 preset.
  const arc = await loadConfig({
    file: fixture("trm_cfg_pretrain.yaml"),
    overrides: ["arch.L_layers=2", "arch.H_cycles=3", "arch.L_cycles=4", "+run_name=x", "ema=True"],
  });
  assertEquals({ ...arc, run_name: null }, getPreset("trm-arc-1"));
});

Deno.test("a Hydra defaults list naming an arch hrm does not know is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/c.yaml`;
    await Deno.writeTextFile(file, "defaults:\n  - arch: trm_singlez\n  - _self_\n");
    await assertRejects(
      () => loadConfig({ file }),
      HrmError,
      'defaults: arch "trm_singlez" is not a model hrm knows (hrm_v1, trm)',
    );
    // An explicit arch.name wins over the defaults list.
    await Deno.writeTextFile(
      file,
      "defaults:\n  - arch: trm\narch:\n  name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\n",
    );
    assertEquals((await loadConfig({ file })).arch.L_layers, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
