// Ctrl-C during `hrm train`, in a real subprocess: the first SIGINT finishes the step in flight,
// checkpoints and exits 130 naming the resume command; a second one quits at once. And the first
// GPU request prints no XDG_RUNTIME_DIR warnings when the variable is unset.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { gpuTest } from "../_helpers.ts";

const CLI = fromFileUrl(new URL("../../cli.ts", import.meta.url));

function spawn(args: string[], env: Record<string, string> = {}, clearEnv = false) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: { NO_COLOR: "1", ...env },
    clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits until metrics.jsonl has a train row (the loop is running). */
async function waitForSteps(file: string, timeoutMs = 180_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      if ((await Deno.readTextFile(file)).includes('"train/lm_loss"')) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no training step within ${timeoutMs} ms`);
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "hrm-sigint-" });
  await generateMiniSudokuDataset({ out: `${dir}/data`, train: 16, test: 4, aug: 0, seed: 1 });
  // One long iteration: the run is still going when the signal comes.
  const args = [
    "train",
    "--preset",
    "tiny",
    "--data",
    `${dir}/data`,
    "--out",
    `${dir}/run`,
    "--log-every",
    "1",
    "epochs=10000",
    "eval_interval=10000",
  ];
  return { dir, args };
}

gpuTest("SIGINT: finish the step, checkpoint, print the resume command, exit 130", async () => {
  const { dir, args } = await setup();
  const child = spawn(args);
  await waitForSteps(`${dir}/run/metrics.jsonl`);
  child.kill("SIGINT");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 130, stderr);
  const latest = JSON.parse(await Deno.readTextFile(`${dir}/run/latest.json`));
  assert(latest.step >= 1);
  assertStringIncludes(
    stderr,
    `stopped at step ${latest.step}; continue with: hrm train --resume ${dir}/run`,
  );
  await Deno.stat(`${dir}/run/step_${latest.step}.safetensors`);
  await Deno.remove(dir, { recursive: true });
});

gpuTest("SIGINT twice: the second quits at once (exit 130)", async () => {
  const { dir, args } = await setup();
  const child = spawn(args);
  await waitForSteps(`${dir}/run/metrics.jsonl`);
  child.kill("SIGINT");
  child.kill("SIGINT");
  const out = await child.output();
  assertEquals(out.code, 130);
  await Deno.remove(dir, { recursive: true });
});

gpuTest("no XDG_RUNTIME_DIR: the GPU request prints no warnings about it", async () => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (k !== "XDG_RUNTIME_DIR") env[k] = v;
  }
  for (const xdg of [undefined, "relative/dir"]) {
    const child = spawn(["info"], xdg ? { ...env, XDG_RUNTIME_DIR: xdg } : env, true);
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assert(!stderr.includes("XDG_RUNTIME_DIR"), stderr);
  }
});
