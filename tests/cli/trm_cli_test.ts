// TRM through the commands a user runs after training, on the golden trm-a weights and a dataset
// made from its batch: hrm eval --trace --trace-states --halt-max-steps, hrm show, hrm analyze pr
// (from the trace and from the checkpoint) and hrm report; TRM's states are labelled y (z_H) and
// z (z_L), and a trace records TRM's halting rule (q_halt > 0).
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readTrace } from "../../lib/eval/trace.ts";
import { exampleView } from "../../lib/viz/view.ts";
import { gpuTest } from "../_helpers.ts";
import { vizFixture } from "../viz/_fixtures.ts";
import { goldenDataset } from "./_golden_dataset.ts";
import { hrm } from "./_hrm.ts";

const DIR = new URL("../fixtures/golden/trm-a/", import.meta.url).pathname;
const golden = JSON.parse(await Deno.readTextFile(`${DIR}config.json`));

gpuTest("TRM: eval --trace, show, analyze pr and report label y and z", async () => {
  const { dir, config } = await goldenDataset(DIR, { arch: golden.arch });
  const ckpt = `${DIR}weights.safetensors`, trace = `${dir}/t.safetensors`;
  const ev = await hrm(
    "eval",
    "--config",
    config,
    "--checkpoint",
    ckpt,
    "--trace",
    trace,
    "--trace-states",
    "--halt-max-steps",
    "3",
    "--json",
  );
  assertEquals(ev.code, 0, ev.stderr);
  const t = await readTrace(trace);
  assertEquals([t.meta.model, t.meta.states, t.meta.no_ACT_continue], [
    "trm",
    { z_H: "y", z_L: "z" },
    true,
  ]);
  assertEquals([t.segments, t.n, t.meta.puzzle_emb_len], [3, 4, 16]);
  assert(t.z_H && t.z_L);
  // Halting marks follow TRM's rule, q_halt > 0, whatever q_continue says.
  const view = exampleView(t, 0, trace);
  assertStringIncludes(view.title, "TRM");
  view.segments.forEach((s, i) => assertEquals(s.stats.halts, t.q_halt_logits[i] > 0));
  const show = await hrm("show", trace, "--format", "png", "--out", `${dir}/s.png`);
  assertEquals(show.code, 0, show.stderr);
  const pr = await hrm("analyze", "pr", "--trace", trace, "--out", `${dir}/pr.png`);
  assertEquals(pr.code, 0, pr.stderr);
  assertStringIncludes(pr.stdout, "y (z_H) PR");
  assertStringIncludes(pr.stdout, "z (z_L) PR");
  const prc = await hrm(
    "analyze",
    "pr",
    "--config",
    config,
    "--checkpoint",
    ckpt,
    "--samples",
    "4",
    "--json",
    "--out",
    `${dir}/pr2.png`,
  );
  assertEquals(prc.code, 0, prc.stderr);
  const j = JSON.parse(prc.stdout.trim().split("\n").at(-1)!);
  assertEquals(j.results[0].state_names, { z_H: "y", z_L: "z" });
  // A report page with this trace draws it as TRM's.
  const rep = await hrm("report", vizFixture("run"), "--out", `${dir}/report`, "--trace", trace);
  assertEquals(rep.code, 0, rep.stderr);
  assertStringIncludes(
    await Deno.readTextFile(`${dir}/report/report.html`),
    "TRM: sudoku example 0",
  );
  await Deno.remove(dir, { recursive: true });
});
