/**
 * The pieces of `hrm report`: training-curve plots from metrics.jsonl, the inference-time
 * scaling plot, and the self-contained HTML page that embeds them (as PNG data URIs) with a
 * summary and a few traced examples.
 *
 * @module
 */
import type { Canvas } from "./canvas.ts";
import { escapeHtml, exampleHtml, htmlPage, HtmlStyles } from "./html.ts";
import { type MetricRow, metricSeries } from "./metrics_log.ts";
import { linePlot, type Series } from "./plot.ts";
import type { ScalingCache } from "./scaling.ts";
import type { ExampleView } from "./types.ts";

/** A plot with the file name it is saved under. */
export interface NamedPlot {
  /** File name, e.g. `loss.png`. */
  file: string;
  /** Heading. */
  title: string;
  /** The image. */
  canvas: Canvas;
}

const CURVES: {
  file: string;
  title: string;
  yLabel: string;
  logY?: boolean;
  range?: [number, number];
  keys: string[];
}[] = [
  {
    file: "loss.png",
    title: "Losses",
    yLabel: "loss",
    logY: true,
    keys: [
      "train/lm_loss",
      "train/q_halt_loss",
      "train/q_continue_loss",
      "eval/lm_loss",
      "eval/q_halt_loss",
    ],
  },
  {
    file: "accuracy.png",
    title: "Accuracy",
    yLabel: "accuracy",
    range: [0, 1],
    keys: [
      "train/accuracy",
      "train/exact_accuracy",
      "train/q_halt_accuracy",
      "eval/accuracy",
      "eval/exact_accuracy",
      "eval/q_halt_accuracy",
    ],
  },
  {
    file: "steps.png",
    title: "ACT segments used",
    yLabel: "mean segments",
    keys: ["train/steps", "eval/steps"],
  },
  { file: "lr.png", title: "Learning rate", yLabel: "lr", keys: ["train/lr"] },
];

/**
 * The training-curve plots that have data: losses (log scale), accuracies, ACT segments and
 * learning rate against the optimizer step. Eval series are dashed with markers.
 *
 * @param rows metrics.jsonl rows.
 * @returns Plots in page order; a plot whose metrics never appear is left out.
 */
export function trainingPlots(rows: MetricRow[]): NamedPlot[] {
  const out: NamedPlot[] = [];
  for (const c of CURVES) {
    const series: Series[] = c.keys.map((k) => ({
      name: k,
      points: metricSeries(rows, k),
      markers: k.startsWith("eval/"),
      dashed: k.startsWith("eval/"),
    })).filter((s) => s.points.length > 0);
    if (!series.length) continue;
    out.push({
      file: c.file,
      title: c.title,
      canvas: linePlot({
        title: c.title,
        xLabel: "step",
        yLabel: c.yLabel,
        series,
        logY: c.logY,
        yRange: c.range,
      }),
    });
  }
  return out;
}

/**
 * The inference-time scaling plot: exact and token accuracy against segments (log₂ axis), the
 * trained halt_max_steps marked, and adaptive halting's point (exact accuracy at the mean
 * segments it used) when measured.
 *
 * @param cache Measurements.
 * @returns The image.
 */
export function scalingPlot(cache: ScalingCache): Canvas {
  const pts = (k: string) =>
    cache.results.filter((p) => typeof p.metrics[k] === "number").map((p): [number, number] => [
      p.segments,
      p.metrics[k],
    ]);
  return linePlot({
    title: "Inference-time scaling",
    xLabel: "segments run (halt_max_steps at evaluation)",
    yLabel: "accuracy",
    series: [
      { name: "exact_accuracy", points: pts("exact_accuracy"), markers: true },
      { name: "accuracy", points: pts("accuracy"), markers: true, dashed: true },
      ...(cache.act
        ? [{
          name: `--act exact (max ${cache.act.halt_max_steps})`,
          points: [[cache.act.metrics.mean_segments, cache.act.metrics.exact_accuracy]] as [
            number,
            number,
          ][],
          markers: true,
        }]
        : []),
    ],
    logX: true,
    xTicks: cache.results.map((p) => p.segments),
    yRange: [0, 1],
    vLines: [{ x: cache.trained_halt_max_steps, label: "trained" }],
  });
}

/**
 * Base64 of bytes (for data URIs).
 *
 * @param bytes Any bytes.
 * @returns Standard base64 with padding.
 *
 * @example
 * ```ts
 * import { base64 } from "./report_page.ts";
 * if (base64(new TextEncoder().encode("hrm!")) !== "aHJtIQ==") throw new Error();
 * ```
 */
export function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Everything the report page shows. */
export interface ReportContent {
  /** The run folder (heading). */
  runDir: string;
  /** Summary rows (label, value). */
  summary: [string, string][];
  /** Training plots with their PNG bytes. */
  plots: { plot: NamedPlot; png: Uint8Array }[];
  /** Scaling measurements and plot, when there are any. */
  scaling?: { cache: ScalingCache; png: Uint8Array; file: string };
  /** Why there is no scaling plot, or remarks about it. */
  scalingNotes: string[];
  /** Traced examples. */
  examples: ExampleView[];
  /** Why there are no examples, or where they came from. */
  exampleNotes: string[];
}

const REPORT_CSS = `table.sum{border-collapse:collapse;margin:8px 0}
table.sum td,table.sum th{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:left;
font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plots figure{margin:0}
.plots figcaption{font-size:12px;color:#707070}
section.ex{margin:10px 0 26px}`;

/**
 * The report as one self-contained HTML page.
 *
 * @param c What to show.
 * @returns The page's text (no timestamps: the same inputs give the same text).
 */
export function reportHtml(c: ReportContent): string {
  const styles = new HtmlStyles();
  const img = (png: Uint8Array, alt: string) =>
    `<img alt="${escapeHtml(alt)}" src="data:image/png;base64,${base64(png)}">`;
  const parts = [`<h1>hrm report: ${escapeHtml(c.runDir)}</h1>`];
  parts.push(
    `<table class="sum">${
      c.summary.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join(
        "",
      )
    }</table>`,
  );
  parts.push("<h2>Training</h2>");
  if (c.plots.length) {
    parts.push(
      `<div class="plots">${
        c.plots.map(({ plot, png }) =>
          `<figure>${img(png, plot.title)}<figcaption>${
            escapeHtml(plot.file)
          }</figcaption></figure>`
        ).join("")
      }</div>`,
    );
  } else parts.push('<p class="notes">metrics.jsonl has no rows to plot yet.</p>');
  parts.push("<h2>Inference-time scaling</h2>");
  for (const n of c.scalingNotes) parts.push(`<p class="notes">${escapeHtml(n)}</p>`);
  if (c.scaling) {
    const s = c.scaling.cache;
    parts.push(
      `<div class="plots"><figure>${img(c.scaling.png, "inference-time scaling")}<figcaption>${
        escapeHtml(c.scaling.file)
      }</figcaption></figure></div>`,
    );
    const keys = ["exact_accuracy", "accuracy", "q_halt_accuracy", "steps"];
    parts.push(
      `<table class="sum"><tr><th>segments</th>${keys.map((k) => `<th>${k}</th>`).join("")}</tr>${
        s.results.map((p) =>
          `<tr><td>${p.segments}</td>${
            keys.map((k) =>
              `<td>${typeof p.metrics[k] === "number" ? p.metrics[k].toFixed(4) : "-"}</td>`
            ).join("")
          }</tr>`
        ).join("")
      }${
        s.act
          ? `<tr><td>--act: ${
            s.act.metrics.mean_segments.toFixed(2)
          } on average (at most ${s.act.halt_max_steps})</td>${
            keys.map((k) =>
              `<td>${
                typeof s.act!.metrics[k] === "number" ? s.act!.metrics[k].toFixed(4) : "-"
              }</td>`
            ).join("")
          }</tr>`
          : ""
      }</table>`,
    );
  }
  parts.push("<h2>Reasoning, segment by segment</h2>");
  for (const n of c.exampleNotes) parts.push(`<p class="notes">${escapeHtml(n)}</p>`);
  for (const v of c.examples) {
    parts.push(`<section class="ex">${exampleHtml(v, styles, { heading: "h3" })}</section>`);
  }
  return htmlPage(`hrm report: ${c.runDir}`, parts.join("\n"), styles, REPORT_CSS);
}
