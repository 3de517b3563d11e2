// Whole runs from the command line, tried as a new user would: data too small for a batch,
// existing run folders, stray words, missing or wrong --checkpoint, mismatched datasets.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { gpuTest } from "../_helpers.ts";
import { hrm } from "./_hrm.ts";

Deno.test("train --resume of a folder without a run says there is none to resume", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hrm-noresume-" });
  const r = await hrm("train", "--resume", `${dir}/none`);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, `${dir}/none: no run to resume here (no all_config.yaml)`);
  await Deno.remove(dir, { recursive: true });
});

gpuTest(
  "train on 5 mazes at batch 8: an error up front naming the numbers, not a hang",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "hrm-tiny-" });
    const gen = await hrm(
      "gen",
      "maze",
      "--train",
      "5",
      "--test",
      "5",
      "--size",
      "10",
      "--out",
      `${dir}/m10`,
      "--workers",
      "0",
    );
    assertEquals(gen.code, 0, gen.stderr);
    const r = await hrm(
      "train",
      "--preset",
      "tiny",
      "--data",
      `${dir}/m10`,
      "--max-steps",
      "3",
      "--out",
      `${dir}/run`,
    );
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "at most 5 examples, fewer than global_batch_size=8");
    assertStringIncludes(r.stderr, "global_batch_size=5 or lower");
    assert(r.stderr.trim().split("\n").length === 1, r.stderr);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("stray words after the options are usage errors (exit 2), with a hint for key value", async () => {
  const r = await hrm("train", "--preset", "tiny", "--data", "x", "lr", "5e-4");
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, 'unexpected argument "lr"');
  assertStringIncludes(r.stderr, "lr=5e-4");
  assertStringIncludes(r.stderr, "Usage: hrm train");
  for (const cmd of [["eval", "--checkpoint", "c.safetensors", "extra"], ["info", "extra"]]) {
    const e = await hrm(...cmd);
    assertEquals(e.code, 2, cmd.join(" "));
    assertStringIncludes(e.stderr, 'unexpected argument "extra"');
  }
});

Deno.test("eval: a missing --checkpoint is a usage error; --halt-max-steps 0 is refused", async () => {
  const r = await hrm("eval", "--data", "x");
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, "missing --checkpoint");
  assertStringIncludes(r.stderr, "Usage: hrm eval");
  const z = await hrm("eval", "--checkpoint", "c.safetensors", "--halt-max-steps", "0");
  assertEquals(z.code, 2);
  assertStringIncludes(z.stderr, "--halt-max-steps must be a positive integer, got 0");
});

Deno.test("eval: a missing file or a folder without a run as --checkpoint says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hrm-ckpt-" });
  const missing = await hrm("eval", "--checkpoint", `${dir}/nope.safetensors`);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, `${dir}/nope.safetensors: checkpoint not found`);
  const folder = await hrm("eval", "--checkpoint", dir);
  assertEquals(folder.code, 1);
  assertStringIncludes(folder.stderr, "is a folder without latest.json");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("report --segments 0,1 names the problem, not 1..9007199254740991", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hrm-report-" });
  const r = await hrm("report", dir, "--segments", "0,1");
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, "--segments: 0: segments count from 1");
  assert(!r.stderr.includes("9007199254740991"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train --help lists the presets; gen arc's default folder follows --aug", async () => {
  const { PRESETS } = await import("../../lib/config/presets.ts");
  const { defaultArcOut } = await import("../../lib/cli/gen_arc.ts");
  const h = await hrm("train", "--help");
  for (const name of Object.keys(PRESETS)) assertStringIncludes(h.stdout, name);
  assertEquals(defaultArcOut(["data/ARC-AGI/data"], 1000), "data/arc-aug-1000");
  assertEquals(defaultArcOut(["data/ARC-AGI/data"], 10), "data/arc-aug-10");
  assertEquals(defaultArcOut(["data/ARC-AGI-2/data"], 1000), "data/arc-2-aug-1000");
});

Deno.test("gen: an existing dataset folder is refused unless --overwrite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hrm-gen-" });
  const args = ["gen", "sudoku", "--mini", "--train", "8", "--test", "4", "--out", `${dir}/d`];
  assertEquals((await hrm(...args)).code, 0);
  const again = await hrm(...args);
  assertEquals(again.code, 1);
  assertStringIncludes(again.stderr, "already holds a dataset");
  assertStringIncludes(again.stderr, "--overwrite");
  assertEquals((await hrm(...args, "--overwrite")).code, 0);
  await Deno.remove(dir, { recursive: true });
});

gpuTest(
  "run folders: an existing run is refused unless --overwrite; eval takes a run folder and refuses another shape",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "hrm-runs-" });
    assertEquals(
      (await hrm(
        "gen",
        "sudoku",
        "--mini",
        "--train",
        "16",
        "--test",
        "4",
        "--aug",
        "0",
        "--out",
        `${dir}/s4`,
      )).code,
      0,
    );
    assertEquals(
      (await hrm(
        "gen",
        "maze",
        "--train",
        "5",
        "--test",
        "5",
        "--size",
        "10",
        "--workers",
        "0",
        "--out",
        `${dir}/m10`,
      )).code,
      0,
    );
    const train = [
      "train",
      "--preset",
      "tiny",
      "--data",
      `${dir}/s4`,
      "--max-steps",
      "1",
      "--out",
      `${dir}/run`,
    ];
    assertEquals((await hrm(...train)).code, 0);
    const again = await hrm(...train);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, `--resume ${dir}/run`);
    assertEquals((await hrm(...train, "--overwrite")).code, 0);
    const rows = (await Deno.readTextFile(`${dir}/run/metrics.jsonl`)).trim().split("\n");
    assertEquals(rows.map((l) => JSON.parse(l).step), [1], "the old run's rows are gone");
    // A run folder as --checkpoint: its latest checkpoint.
    const ok = await hrm("eval", "--checkpoint", `${dir}/run`, "--data", `${dir}/s4`, "--json");
    assertEquals(ok.code, 0, ok.stderr);
    // The 4×4 Sudoku model on 10×10 mazes (the same vocabulary): refused, naming both.
    const bad = await hrm("eval", "--checkpoint", `${dir}/run`, "--data", `${dir}/m10`);
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "seq_len 100");
    assertStringIncludes(bad.stderr, "seq_len 16");
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("gen sudoku says what it will make and how long it should take before the first puzzle", async () => {
  const { estimateSeconds, generationPlan } = await import("../../datasets/sudoku/dataset.ts");
  const plan = generationPlan({ train: 100, test: 100 });
  const t = [0, 50, 100, 150, 200].map((d) => estimateSeconds(plan, d, 2));
  for (let i = 1; i < t.length; i++) assert(t[i] <= t[i - 1], `${t}`);
  assertEquals(t.at(-1), 0);
  assert(t[0] > 60, "hard puzzles dominate: minutes, not seconds");
  const dir = await Deno.makeTempDir({ prefix: "hrm-gen-est-" });
  const r = await hrm(
    "gen",
    "sudoku",
    "--train",
    "4",
    "--test",
    "0",
    "--mix",
    "1",
    "--aug",
    "0",
    "--workers",
    "0",
    "--out",
    `${dir}/s`,
  );
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n"); // hrm captures console.error too
  assertStringIncludes(
    lines[0],
    "generating 4 train + 0 test puzzles (4 easy, 0 moderate, 0 extreme)",
  );
  assertStringIncludes(lines[0], "estimate: about");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainSummary: counts this invocation's steps, singular for one, and names the evaluated step", async () => {
  const { trainSummary } = await import("../../lib/cli/train.ts");
  const base = { checkpoint: "r/step_1.safetensors", complete: false };
  assertEquals(
    trainSummary({ ...base, step: 1, startStep: 0 }),
    "trained 1 step; checkpoint r/step_1.safetensors",
  );
  const resumed = trainSummary({
    ...base,
    step: 30,
    startStep: 20,
    complete: true,
    eval: { exact_accuracy: 0.5, accuracy: 0.75 },
    evalStep: 30,
  });
  assertStringIncludes(resumed, "trained 10 steps (steps 21–30 of the run); the run is complete");
  assertStringIncludes(resumed, "eval @ step 30: exact_accuracy 0.5000 accuracy 0.7500");
});
