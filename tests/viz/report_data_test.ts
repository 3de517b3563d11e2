// metrics.jsonl parsing, the scaling cache, and the report page built from them.
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { metricSeries, parseMetrics, readMetrics } from "../../lib/viz/metrics_log.ts";
import { base64, reportHtml, scalingPlot, trainingPlots } from "../../lib/viz/report_page.ts";
import {
  measureScaling,
  readScaling,
  type ScalingKey,
  writeScaling,
} from "../../lib/viz/scaling.ts";
import { vizFixture } from "./_fixtures.ts";

Deno.test("metrics.jsonl: a torn last line is skipped, a bad middle line is an error", () => {
  assertEquals(parseMetrics('{"step":1,"a":2}\n\n{"step":2,"a":3}\n', "m").length, 2);
  assertEquals(parseMetrics('{"step":1,"a":2}\n{"step":2,"a', "m").length, 1);
  const e = assertThrows(() => parseMetrics('{"step":1}\n{"st\n{"step":3}\n', "m.jsonl"), HrmError);
  assertStringIncludes(e.message, "m.jsonl: line 2 is not JSON");
  assertThrows(() => parseMetrics('{"a":1}\n', "m"), HrmError, 'line 1 has no numeric "step"');
});

Deno.test("metric series from the fixture run", async () => {
  const rows = await readMetrics(vizFixture("run/metrics.jsonl"));
  assertEquals(metricSeries(rows, "train/lm_loss").length, 40);
  assertEquals(metricSeries(rows, "eval/exact_accuracy").map((p) => p[0]), [100, 200, 300, 400]);
  await assertRejects(() => readMetrics("/nonexistent/metrics.jsonl"), HrmError, "run folder");
  const plots = trainingPlots(rows);
  assertEquals(plots.map((p) => p.file), ["loss.png", "accuracy.png", "steps.png", "lr.png"]);
  assertEquals(trainingPlots([{ step: 1, "train/lr": 1 }]).map((p) => p.file), ["lr.png"]);
});

Deno.test("scaling cache: reused for the same checkpoint, replaced for another, saved as it goes", async () => {
  const dir = await Deno.makeTempDir();
  const key: ScalingKey = {
    checkpoint: "step_5.safetensors",
    step: 5,
    dataset: "d",
    limit: 10,
    trained_halt_max_steps: 2,
  };
  const asked: number[] = [];
  const measure = (g: number) => {
    asked.push(g);
    return Promise.resolve({ exact_accuracy: g / 10 });
  };
  let c = await measureScaling(dir, key, [4, 1, 2], measure);
  assertEquals(asked, [4, 1, 2]);
  assertEquals(c.results.map((p) => p.segments), [1, 2, 4]);
  c = await measureScaling(dir, key, [1, 8], measure);
  assertEquals(asked, [4, 1, 2, 8], "cached counts are not measured again");
  assertEquals((await readScaling(dir))!.results.length, 4);
  await measureScaling(dir, { ...key, checkpoint: "step_9.safetensors" }, [1], measure);
  assertEquals((await readScaling(dir))!.results.map((p) => p.segments), [1]);
  // A failure mid-way keeps what was measured before it.
  await assertRejects(() =>
    measureScaling(
      dir,
      { ...key, checkpoint: "x" },
      [1, 2],
      (g) => (g === 2 ? Promise.reject(new Error("boom")) : measure(g)),
    )
  );
  assertEquals((await readScaling(dir))!.checkpoint, "x");
  assertEquals(await readScaling(join(dir, "nothing")), undefined);
  await Deno.writeTextFile(join(dir, "scaling.json"), '{"checkpoint": 3}');
  await assertRejects(() => readScaling(dir), HrmError, "not a scaling cache: checkpoint");
  await writeScaling(dir, {
    ...key,
    results: [{ segments: 2, metrics: {} }, { segments: 1, metrics: {} }],
  });
  assertEquals((await readScaling(dir))!.results.map((p) => p.segments), [1, 2]);
});

Deno.test("the report page embeds its plots and is the same text for the same inputs", async () => {
  const rows = await readMetrics(vizFixture("run/metrics.jsonl"));
  const scaling = (await readScaling(vizFixture("run")))!;
  const plots = trainingPlots(rows).map((plot) => ({ plot, png: new Uint8Array([1, 2, 3]) }));
  const content = {
    runDir: "runs/<x>",
    summary: [["run", "runs/<x>"]] as [string, string][],
    plots,
    scaling: { cache: scaling, png: new Uint8Array([4, 5]), file: "scaling.png" },
    scalingNotes: ["note"],
    examples: [],
    exampleNotes: [],
  };
  const html = reportHtml(content);
  assertEquals(html, reportHtml(content));
  assertStringIncludes(html, "runs/&lt;x&gt;");
  assertEquals(html.split('src="data:image/png;base64,').length - 1, 5);
  assertStringIncludes(html, `base64,${base64(new Uint8Array([4, 5]))}`);
  assert(!html.includes("<script") && !html.includes("http"));
  assertStringIncludes(html, "<td>8</td><td>0.6250</td>");
  const cv = scalingPlot(scaling);
  assertEquals([cv.width, cv.height], [640, 360]);
});

Deno.test("scaling cache and report: the --act point is kept with its checkpoint and shown", async () => {
  const dir = await Deno.makeTempDir();
  const key: ScalingKey = {
    checkpoint: "step_5.safetensors",
    step: 5,
    dataset: "d",
    limit: 0,
    trained_halt_max_steps: 4,
  };
  const measure = (g: number) => Promise.resolve({ exact_accuracy: g / 10, accuracy: 0.5 });
  const c = await measureScaling(dir, key, [1, 4], measure);
  c.act = {
    halt_max_steps: 4,
    metrics: { exact_accuracy: 0.375, accuracy: 0.5, mean_segments: 2.5 },
  };
  await writeScaling(dir, c);
  const again = await measureScaling(dir, key, [2], measure);
  assertEquals(again.act?.metrics.mean_segments, 2.5);
  assertEquals((await readScaling(dir))!.act?.halt_max_steps, 4);
  const other = await measureScaling(
    dir,
    { ...key, checkpoint: "step_9.safetensors" },
    [1],
    measure,
  );
  assertEquals(other.act, undefined);
  const html = reportHtml({
    runDir: "r",
    summary: [],
    plots: [],
    scaling: { cache: again, png: new Uint8Array([1]), file: "scaling.png" },
    scalingNotes: [],
    examples: [],
    exampleNotes: [],
  });
  assertStringIncludes(html, "<td>--act: 2.50 on average (at most 4)</td><td>0.3750</td>");
  const withAct = scalingPlot(again), without = scalingPlot({ ...again, act: undefined });
  assert(withAct.data.some((v, i) => v !== without.data[i]), "the --act point is drawn");
});
