// A checkpoint that does not fit the dataset/config is a one-line user error (exit 1) naming the
// file and the tensor, before any work; and the demo runs end to end on a tiny budget.
import { assert, assertEquals } from "@std/assert";
import { main } from "../../cli.ts";
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { gpuTest } from "../_helpers.ts";

const GOLDEN = new URL("../fixtures/golden/hrm-a/", import.meta.url).pathname;

gpuTest("hrm eval: a checkpoint for another vocabulary names the file and the tensor", async () => {
  const dir = await Deno.makeTempDir();
  await generateMiniSudokuDataset({ out: `${dir}/data`, train: 10, test: 4, seed: 1 });
  const golden = JSON.parse(await Deno.readTextFile(`${GOLDEN}config.json`));
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ arch: golden.arch, data_path: `${dir}/data`, global_batch_size: 4 }),
  );
  let err = "";
  const code = await main(
    ["eval", "--config", `${dir}/config.json`, "--checkpoint", `${GOLDEN}weights.safetensors`],
    { out: { stdout: () => {}, stderr: (t) => (err += t) } },
  );
  assertEquals(code, 1);
  assert(err.includes("weights.safetensors"), err);
  assert(err.includes("inner.embed_tokens.embedding_weight has shape [11,64]"), err);
  assertEquals(err.trim().split("\n").length, 1, "one line, no stack");
  await Deno.remove(dir, { recursive: true });
});

for (const model of ["hrm", "trm"]) {
  gpuTest(`hrm demo --model ${model} runs end to end on a tiny budget`, async () => {
    const dir = await Deno.makeTempDir();
    const code = await main([
      "demo",
      "--out",
      dir,
      "--minutes",
      "0.05",
      "--train",
      "30",
      "--test",
      "8",
      "--model",
      model,
    ]);
    assertEquals(code, 0);
    const latest = JSON.parse(await Deno.readTextFile(`${dir}/run/latest.json`));
    assert(latest.step >= 1);
    // The run is the model asked for.
    const config = await Deno.readTextFile(`${dir}/run/all_config.yaml`);
    assertEquals(config.includes("TinyRecursiveReasoningModel_ACTV1"), model === "trm");
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("hrm demo --model names the choices when given another (usage error, exit 2)", async () => {
  let err = "";
  const code = await main(["demo", "--model", "gpt", "--out", "/nonexistent/x"], {
    out: { stdout: () => {}, stderr: (t) => void (err += t) },
  });
  assertEquals(code, 2);
  assert(err.includes("--model must be hrm or trm, got gpt"), err);
});
