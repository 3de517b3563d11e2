// `hrm convert` turns a reference-format PyTorch checkpoint (written here from the golden
// fixture's weights) into safetensors with hrm's names; training/eval read the torch file directly.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { main } from "../../cli.ts";
import { float32ToBf16, readSafetensors, toFloat32 } from "../../lib/io/safetensors.ts";
import { buildModel } from "../../lib/train/loop.ts";
import { stateDict } from "../../lib/model/state.ts";
import { loadConfig } from "../../lib/config/load.ts";
import { torchCheckpointOf } from "../io/_torch_writer.ts";
import { gpuTest } from "../_helpers.ts";

const DIR = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;
const weights = await readSafetensors(`${DIR}weights.safetensors`);

function capture() {
  const o = { out: "", err: "" };
  return {
    o,
    io: { out: { stdout: (t: string) => (o.out += t), stderr: (t: string) => (o.err += t) } },
  };
}

Deno.test("hrm convert: a reference torch checkpoint becomes safetensors with hrm's names", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/checkpoint`, torchCheckpointOf(weights.tensors));
  const code = await main(["convert", `${dir}/checkpoint`, "--out", `${dir}/w.safetensors`]);
  assertEquals(code, 0);
  const got = await readSafetensors(`${dir}/w.safetensors`);
  assertEquals([...got.tensors.keys()].sort(), [...weights.tensors.keys()].sort());
  for (const [name, t] of weights.tensors) {
    const g = got.tensors.get(name)!;
    assertEquals(g.shape, t.shape, name);
    if (name.endsWith("_init")) {
      assertEquals(g.dtype, "BF16", name);
      assertEquals(g.data, float32ToBf16(toFloat32(t)), name);
    } else assertEquals(toFloat32(g), toFloat32(t), name);
  }
  assertStringIncludes(got.metadata.converted_from, "checkpoint (torch)");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hrm convert: a malicious pickle is refused with one line, nothing written", async () => {
  const dir = await Deno.makeTempDir();
  const { PickleWriter, torchArchive } = await import("../io/_torch_writer.ts");
  const evil = new PickleWriter().proto().global("os", "system").str("true").raw(0x85, 0x52)
    .bytes();
  await Deno.writeFile(`${dir}/checkpoint`, torchArchive("checkpoint", evil, {}));
  const { o, io } = capture();
  const code = await main(["convert", `${dir}/checkpoint`, "--out", `${dir}/w.safetensors`], io);
  assertEquals(code, 1);
  assertStringIncludes(o.err, "os.system");
  assertEquals(o.err.trim().split("\n").length, 1, o.err);
  assert(!(await Deno.stat(`${dir}/w.safetensors`).then(() => true, () => false)));
  await Deno.remove(dir, { recursive: true });
});

gpuTest(
  "--checkpoint/--init accept a reference torch checkpoint (recognised by content)",
  async (gpu) => {
    const dir = await Deno.makeTempDir();
    const torchFile = `${dir}/checkpoint`; // no extension, as released
    await Deno.writeFile(torchFile, torchCheckpointOf(weights.tensors, []));
    const golden = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ arch: golden.arch }));
    const config = await loadConfig({ file: `${dir}/c.json`, overrides: [] });
    const meta = { ...golden.dataset_metadata, mean_puzzle_examples: 1, total_groups: 1 };
    const model = await buildModel(gpu, config, meta, torchFile);
    try {
      const back = await stateDict(model);
      for (const [name, t] of weights.tensors) assertEquals(back[name].data, toFloat32(t), name);
    } finally {
      model.release();
    }
    await Deno.remove(dir, { recursive: true });
  },
);
