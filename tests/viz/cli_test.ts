// hrm show, hrm report and hrm analyze pr run in-process on the synthetic fixtures (no GPU).
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { readTrace } from "../../lib/eval/trace.ts";
import { renderHtml } from "../../lib/viz/html.ts";
import { renderPng } from "../../lib/viz/png_render.ts";
import { exampleView } from "../../lib/viz/view.ts";
import { vizFixture } from "./_fixtures.ts";
import { hrm } from "../cli/_hrm.ts";

Deno.test("hrm show writes the same PNG and HTML the renderers make", async () => {
  const dir = await Deno.makeTempDir();
  const file = vizFixture("sudoku.trace.safetensors");
  const view = exampleView(await readTrace(file), 0, file);
  const png = join(dir, "s.png"), html = join(dir, "s.html");
  assertEquals((await hrm("show", file, "--out", png)).code, 0);
  assertEquals(await Deno.readFile(png), renderPng(view));
  const r = await hrm("show", file, "--format", "html", "--out", html, "--segments", "1-3");
  assertEquals(r.code, 0);
  assertStringIncludes(r.stdout, `wrote ${html}`);
  assertEquals(await Deno.readTextFile(html), renderHtml(view, { segments: [1, 2, 3] }));
});

Deno.test("hrm show: usage errors exit 2, file errors exit 1, both say what is wrong", async () => {
  const file = vizFixture("maze.trace.safetensors");
  const cases: [string[], number, string][] = [
    [["show"], 2, "missing TRACE file"],
    [["show", file, "--format", "gif"], 2, "--format must be term, png or html, got gif"],
    [["show", file, "--segments", "0-3"], 2, "--segments: 0-3: segments count from 1"],
    [["show", file, "--segments", "3-9"], 2, "--segments: 3-9 is outside 1..6"],
    [["show", file, "--segments", "two"], 2, '--segments: cannot read "two"'],
    [["show", file, "--example", "4"], 1, "example 4 is out of range: the trace holds 1 example"],
    [["show", "/nonexistent/t.safetensors"], 1, "/nonexistent/t.safetensors"],
    [["show", vizFixture("run/metrics.jsonl")], 1, "not a readable trace"],
  ];
  for (const [args, code, text] of cases) {
    const r = await hrm(...args);
    assertEquals(r.code, code, args.join(" "));
    assertStringIncludes(r.stderr, text);
    assert(!/\n\s+at /.test(r.stderr), "stack trace printed");
  }
});

Deno.test("hrm report without --data: curves, the cached scaling plot, a given trace", async () => {
  const out = await Deno.makeTempDir();
  const run = vizFixture("run");
  const args = ["report", run, "--out", out, "--trace", vizFixture("arc.trace.safetensors")];
  const r = await hrm(...args);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "(5 plots, 1 example)");
  const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assertEquals(files, [
    "accuracy.png",
    "loss.png",
    "lr.png",
    "report.html",
    "scaling.png",
    "steps.png",
  ]);
  const html = await Deno.readTextFile(join(out, "report.html"));
  assertStringIncludes(html, "step_400.safetensors (step 400)");
  assertStringIncludes(html, "best eval exact_accuracy");
  assertStringIncludes(html, "arc example 0 of 1");
  assert(!html.includes("<script") && !html.includes("http"));
  // Same inputs, same page.
  await hrm(...args);
  assertEquals(await Deno.readTextFile(join(out, "report.html")), html);
  // No trace and no --data: a note saying how to get one.
  const bare = await hrm("report", run, "--out", out);
  assertEquals(bare.code, 0);
  assertStringIncludes(
    await Deno.readTextFile(join(out, "report.html")),
    "No trace: pass --data DIR",
  );
  const missing = await hrm("report", out);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, "metrics.jsonl: cannot read metrics");
});

Deno.test("hrm analyze pr --trace: known dimensionality, a spectra PNG, clear refusals", async () => {
  const out = join(await Deno.makeTempDir(), "spectra.png");
  const trace = vizFixture("states.trace.safetensors");
  const r = await hrm("analyze", "pr", "--trace", trace, "--out", out, "--json");
  assertEquals(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assertEquals(j.results[0].model, "trace");
  assert(Math.abs(j.results[0].z_H.pr - 8) < 1e-5 && Math.abs(j.results[0].z_L.pr - 2) < 1e-5);
  assertEquals(j.results[0].z_H.states, 128);
  assertEquals((await Deno.readFile(out)).subarray(1, 4), new TextEncoder().encode("PNG"));
  const table = await hrm("analyze", "pr", "--trace", trace, "--out", out, "--unit", "segment");
  assert(/trace\s+\d+\.\d\d\s+\d+\.\d\d/.test(table.stdout), table.stdout);
  const cases: [string[], number, string][] = [
    [["analyze", "pr"], 2, "missing --checkpoint FILE (or --trace FILE)"],
    [
      ["analyze", "pr", "--trace", trace, "--baseline-untrained"],
      2,
      "--baseline-untrained needs --checkpoint",
    ],
    [["analyze", "pr", "--trace", trace, "--unit", "cell"], 2, "--unit must be token or segment"],
    [
      ["analyze", "pr", "--trace", vizFixture("maze.trace.safetensors")],
      1,
      "trace has no z_H/z_L states",
    ],
    [["analyze", "pr", "--checkpoint", "/nonexistent/step_1.safetensors"], 1, "no config found"],
  ];
  for (const [args, code, text] of cases) {
    const c = await hrm(...args);
    assertEquals(c.code, code, args.join(" "));
    assertStringIncludes(c.stderr, text);
  }
});
