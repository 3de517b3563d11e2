/**
 * `hrm report RUN_DIR`: one self-contained HTML page (plus the PNGs it embeds) about a training
 * run: a summary, loss/accuracy/ACT-segment/learning-rate curves from metrics.jsonl, the
 * inference-time scaling plot (accuracy against segments run, measured with --data and cached
 * in RUN_DIR/scaling.json), and a few traced examples drawn segment by segment.
 *
 * @module
 */
import { join } from "@std/path";
import type { Command } from "./command.ts";
import { plural } from "./help.ts";
import { usageError } from "./parse.ts";
import { parseSegments } from "./show.ts";
import { HrmError } from "../errors.ts";
import type { HrmConfig } from "../config/schema.ts";
import { loadConfig } from "../config/load.ts";
import { evaluate } from "../eval/evaluate.ts";
import { evaluateAdaptive } from "../eval/adaptive.ts";
import { type Trace, traceMeta, writeTrace } from "../eval/trace.ts";
import type { Gpu } from "../gpu/device.ts";
import { requestGpu } from "../gpu/device.ts";
import { atomicWrite, atomicWriteText } from "../io/atomic_write.ts";
import { exists } from "../io/folders.ts";
import { readSplit, type Split } from "../io/dataset.ts";
import { readPosition, type RunPosition } from "../train/checkpoint.ts";
import { buildModel, samplerSource } from "../train/loop.ts";
import { encodePng } from "../viz/canvas.ts";
import { loadTrace } from "../viz/load_trace.ts";
import { type MetricRow, readMetrics } from "../viz/metrics_log.ts";
import { type ReportContent, reportHtml, scalingPlot, trainingPlots } from "../viz/report_page.ts";
import { measureScaling, readScaling, type ScalingCache, writeScaling } from "../viz/scaling.ts";
import type { ExampleView } from "../viz/types.ts";
import { exampleView } from "../viz/view.ts";

const fmt = (v: number | undefined, d = 4) => (typeof v === "number" ? v.toFixed(d) : "-");

function summary(
  runDir: string,
  rows: MetricRow[],
  pos?: RunPosition,
  config?: HrmConfig,
): [string, string][] {
  const out: [string, string][] = [["run", runDir]];
  if (pos) out.push(["latest checkpoint", `${pos.checkpoint} (step ${pos.step})`]);
  if (config) {
    const a = config.arch;
    out.push(["data", config.data_path]);
    out.push([
      "model",
      `hidden ${a.hidden_size}, H ${a.H_layers}x${a.H_cycles}, L ${a.L_layers}x${a.L_cycles}, halt_max_steps ${a.halt_max_steps}`,
    ]);
    out.push([
      "training",
      `lr ${config.lr}, global_batch_size ${config.global_batch_size}, epochs ${config.epochs}`,
    ]);
  }
  const train = rows.filter((r) => "train/lm_loss" in r);
  const evals = rows.filter((r) => "eval/exact_accuracy" in r);
  const lastTrain = train[train.length - 1];
  if (lastTrain) {
    out.push([
      `last train row (step ${lastTrain.step})`,
      `lm_loss ${fmt(lastTrain["train/lm_loss"])}, accuracy ${
        fmt(lastTrain["train/accuracy"])
      }, exact ${fmt(lastTrain["train/exact_accuracy"])}, steps ${
        fmt(lastTrain["train/steps"], 2)
      }`,
    ]);
  }
  const lastEval = evals[evals.length - 1];
  if (lastEval) {
    out.push([
      `last eval (step ${lastEval.step})`,
      `exact_accuracy ${fmt(lastEval["eval/exact_accuracy"])}, accuracy ${
        fmt(lastEval["eval/accuracy"])
      }`,
    ]);
    const best = evals.reduce((
      b,
      r,
    ) => (r["eval/exact_accuracy"] > b["eval/exact_accuracy"] ? r : b));
    out.push([
      `best eval exact_accuracy`,
      `${fmt(best["eval/exact_accuracy"])} at step ${best.step}`,
    ]);
  }
  return out;
}

interface Live {
  gpu: Gpu;
  config: HrmConfig;
  test: Split;
  checkpoint: string;
}

async function traceFromModel(live: Live, examples: number, file: string): Promise<Trace> {
  const { gpu, config, test, checkpoint } = live;
  const model = await buildModel(gpu, config, test.meta, checkpoint);
  try {
    const r = await evaluate(model, samplerSource(test), {
      batchSize: Math.min(config.global_batch_size, Math.max(1, examples)),
      lossType: config.arch.loss.loss_type,
      limit: examples,
      traceLimit: examples,
    });
    const trace: Trace = {
      ...r.trace!,
      meta: traceMeta(test, model, config.data_path, checkpoint),
    };
    await writeTrace(file, trace);
    return trace;
  } finally {
    model.release();
  }
}

/** `hrm report`. */
export const report: Command = {
  name: "report",
  summary: "write an HTML report of a training run (curves, inference-time scaling, traces)",
  positionals: "RUN_DIR",
  usage: "report RUN_DIR [--data DIR] [--segments LIST] [options]",
  description: "Writes RUN_DIR/report/report.html (self-contained) and the PNGs it embeds.\n" +
    "With --data, evaluates the latest checkpoint at each --segments count and with adaptive\n" +
    "halting (--act; all cached in RUN_DIR/scaling.json) and traces --examples test examples\n" +
    "(RUN_DIR/trace.safetensors); without it, the report uses what those files already hold.\n" +
    "Example:\n" +
    "  hrm report runs/sudoku --data data/sudoku-extreme-1k-aug-1000 --segments 1,2,4,8,16,32",
  flags: [
    {
      name: "data",
      type: "string",
      arg: "DIR",
      help: "dataset to evaluate on (enables scaling and traces)",
    },
    {
      name: "segments",
      type: "string",
      arg: "LIST",
      default: "1,2,4,8,16",
      help: "segment counts for the scaling plot (the trained one is added)",
    },
    {
      name: "limit",
      type: "number",
      arg: "N",
      default: 1000,
      help: "test examples per scaling point (0: all)",
    },
    { name: "examples", type: "number", arg: "N", default: 3, help: "traced examples to show" },
    { name: "trace", type: "string", arg: "FILE", help: "show examples from this trace instead" },
    {
      name: "batch-size",
      type: "number",
      arg: "N",
      help: "rows per batch (default: global_batch_size)",
    },
    { name: "out", type: "string", arg: "DIR", help: "output folder (default RUN_DIR/report)" },
  ],
  async run(ctx): Promise<void> {
    const f = ctx.flags;
    if (ctx.positionals.length !== 1) {
      throw usageError(ctx.positionals.length ? "expected one RUN_DIR" : "missing RUN_DIR");
    }
    const runDir = ctx.positionals[0].replace(/\/+$/, "") || "/";
    const limit = f.limit as number, nExamples = f.examples as number;
    if (!Number.isInteger(limit) || limit < 0) {
      throw usageError(`--limit must be 0 or more, got ${limit}`);
    }
    if (!Number.isInteger(nExamples) || nExamples < 0) {
      throw usageError(`--examples must be 0 or more, got ${nExamples}`);
    }
    const wanted = parseSegments(f.segments as string);
    const rows = await readMetrics(join(runDir, "metrics.jsonl"));
    const pos = await readPosition(runDir).catch(() => undefined);
    const configFile = join(runDir, "all_config.yaml");
    const hasConfig = await exists(configFile);
    const data = f.data as string | undefined;
    const config = hasConfig
      ? await loadConfig({ file: configFile, overrides: data ? [`data_path=${data}`] : [] })
      : undefined;
    if (data && !config) throw new HrmError(configFile, "missing: --data needs the run's config");
    if (data && !pos) {
      throw new HrmError(join(runDir, "latest.json"), "missing: --data needs a checkpoint");
    }

    let live: Live | undefined;
    const getLive = async (): Promise<Live> => {
      if (!live) {
        const test = await readSplit(config!.data_path, "test");
        live = {
          gpu: await requestGpu(),
          config: config!,
          test,
          checkpoint: join(runDir, pos!.checkpoint),
        };
      }
      return live;
    };

    // Inference-time scaling.
    const scalingNotes: string[] = [];
    let scaling: ScalingCache | undefined;
    if (data && config && pos) {
      const trained = config.arch.halt_max_steps;
      const segs = [...new Set([...wanted, trained])].sort((a, b) => a - b);
      const lv = await getLive();
      // A batch no larger than the examples: evaluate pads the last batch to its full size.
      const batchSize = (f["batch-size"] as number | undefined) ??
        (limit ? Math.min(config.global_batch_size, limit) : config.global_batch_size);
      const model = await buildModel(lv.gpu, config, lv.test.meta, lv.checkpoint);
      try {
        scaling = await measureScaling(
          runDir,
          {
            checkpoint: pos.checkpoint,
            step: pos.step,
            dataset: config.data_path,
            limit,
            trained_halt_max_steps: trained,
          },
          segs,
          async (g) =>
            (await evaluate(model, samplerSource(lv.test), {
              batchSize,
              haltMaxSteps: g,
              lossType: config.arch.loss.loss_type,
              limit: limit || undefined,
            })).metrics,
          (p) =>
            console.error(
              `segments ${p.segments}: exact_accuracy ${fmt(p.metrics.exact_accuracy)}`,
            ),
        );
        if (!scaling.act || scaling.act.halt_max_steps !== trained) {
          // Adaptive halting's compute/accuracy point, next to the fixed-segment curve.
          const metrics = await evaluateAdaptive(model, samplerSource(lv.test), {
            batchSize,
            haltMaxSteps: trained,
            limit: limit || undefined,
          });
          scaling.act = { halt_max_steps: trained, metrics };
          await writeScaling(runDir, scaling);
          console.error(
            `--act: exact_accuracy ${fmt(metrics.exact_accuracy)} at ${
              metrics.mean_segments.toFixed(2)
            } segments on average`,
          );
        }
      } finally {
        model.release();
      }
    } else {
      scaling = await readScaling(runDir);
      if (!scaling) {
        scalingNotes.push(
          "No measurements yet: run hrm report RUN_DIR --data DIR to evaluate the latest checkpoint at several segment counts.",
        );
      }
    }
    if (scaling) {
      scalingNotes.push(
        `${scaling.checkpoint} (step ${scaling.step}) on ${scaling.dataset}, ${
          scaling.limit ? `first ${scaling.limit} test examples` : "all test examples"
        }; trained with halt_max_steps ${scaling.trained_halt_max_steps}.`,
      );
      if (pos && scaling.checkpoint !== pos.checkpoint) {
        scalingNotes.push(
          `Measured on an older checkpoint than the latest (${pos.checkpoint}); rerun with --data.`,
        );
      }
    }

    // Traced examples.
    const exampleNotes: string[] = [];
    let trace: Trace | undefined, traceFile: string | undefined;
    const defaultTrace = join(runDir, "trace.safetensors");
    if (f.trace) {
      traceFile = f.trace as string;
      trace = await loadTrace(traceFile);
    } else if (nExamples > 0) {
      const cached = await loadTrace(defaultTrace).catch(() => undefined);
      const fresh = cached && pos && cached.meta.checkpoint === join(runDir, pos.checkpoint) &&
        cached.n >= nExamples;
      if (data && !fresh) {
        trace = await traceFromModel(await getLive(), nExamples, defaultTrace);
      } else trace = cached;
      traceFile = defaultTrace;
    }
    const examples: ExampleView[] = [];
    if (trace && traceFile) {
      const n = Math.min(trace.n, nExamples || trace.n);
      for (let i = 0; i < n; i++) examples.push(exampleView(trace, i, traceFile));
      exampleNotes.push(
        `From ${traceFile} (${trace.meta.checkpoint || "checkpoint not recorded"}).`,
      );
    } else if (nExamples > 0) {
      exampleNotes.push(
        "No trace: pass --data DIR to trace the latest checkpoint, or --trace FILE (hrm eval --trace).",
      );
    }

    // Write.
    const out = (f.out as string | undefined) ?? join(runDir, "report");
    try {
      await Deno.mkdir(out, { recursive: true });
    } catch (e) {
      throw new HrmError(out, `cannot create the report folder: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const plots = trainingPlots(rows).map((plot) => ({ plot, png: encodePng(plot.canvas) }));
    for (const { plot, png } of plots) await atomicWrite(join(out, plot.file), png);
    const content: ReportContent = {
      runDir,
      summary: summary(runDir, rows, pos, config),
      plots,
      scalingNotes,
      examples,
      exampleNotes,
    };
    if (scaling?.results.length) {
      const png = encodePng(scalingPlot(scaling));
      await atomicWrite(join(out, "scaling.png"), png);
      content.scaling = { cache: scaling, png, file: "scaling.png" };
    }
    const page = join(out, "report.html");
    await atomicWriteText(page, reportHtml(content));
    console.log(
      `wrote ${page} (${plural(plots.length + (content.scaling ? 1 : 0), "plot")}, ${
        plural(examples.length, "example")
      })`,
    );
  },
};
