// Whole runs from the command line, tried as a new user would: data too small for a batch,
// existing run folders, stray words, missing or wrong --checkpoint, mismatched datasets.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { main } from "../../cli.ts";
import { gpuTest } from "../_helpers.ts";

/** Runs `hrm` in-process, capturing what main itself writes (errors, help). */
export async function hrm(...args: string[]) {
  let stdout = "", stderr = "";
  const code = await main(args, {
    out: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
  });
  return { code, stdout, stderr };
}

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
