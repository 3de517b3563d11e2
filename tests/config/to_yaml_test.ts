import { assertEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { configToYaml } from "../../lib/config/to_yaml.ts";
import { loadConfig } from "../../lib/config/load.ts";
import { getPreset, presetNames } from "../../lib/config/presets.ts";
import { parseConfig } from "../../lib/config/schema.ts";
import YAML from "yaml";

Deno.test("configToYaml writes the reference's all_config.yaml layout", async () => {
  const fixture = fromFileUrl(new URL("../fixtures/config/all_config.yaml", import.meta.url));
  const c = await loadConfig({ file: fixture });
  const ours = configToYaml(c).split("\n");
  // Every line pretrain.py writes appears identically; ours adds the three arch keys the
  // reference leaves to the model class defaults.
  const ref = (await Deno.readTextFile(fixture)).split("\n");
  assertEquals(ours.filter((l) => !ref.includes(l)), [
    "  forward_dtype: bfloat16",
    "  rms_norm_eps: 0.00001",
    "  rope_theta: 10000.0",
  ]);
  assertEquals(ref.filter((l) => !ours.includes(l)), []);
});

Deno.test("configToYaml round-trips every preset", () => {
  for (const name of presetNames()) {
    const c = getPreset(name);
    assertEquals(parseConfig(YAML.parse(configToYaml(c))), c, name);
  }
});

Deno.test("configToYaml writes a TRM config as TinyRecursiveModels' all_config.yaml", async () => {
  const fixture = fromFileUrl(new URL("../fixtures/config/trm_all_config.yaml", import.meta.url));
  const ours = configToYaml(await loadConfig({ file: fixture })).split("\n");
  const ref = (await Deno.readTextFile(fixture)).split("\n");
  assertEquals(ours.filter((l) => !ref.includes(l)), [
    "  rms_norm_eps: 0.00001",
    "  rope_theta: 10000.0",
  ]);
  assertEquals(ref.filter((l) => !ours.includes(l)), []);
  // An HRM config stays free of TRM's keys unless it uses them.
  const hrm = configToYaml(getPreset("sudoku-mini"));
  for (
    const k of ["mlp_t", "puzzle_emb_len", "no_ACT_continue", "ema", "evaluators", "data_paths"]
  ) {
    assertEquals(hrm.includes(`${k}:`), false, k);
  }
  assertEquals(configToYaml(parseConfig({ ema: true })).includes("ema: true\n"), true);
});
