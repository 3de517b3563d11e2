/**
 * Reads a run's `metrics.jsonl` (one JSON object per line, written by `hrm train`) into series
 * for plotting. A torn last line (the run was killed mid-write) is skipped; any other bad line
 * is an error naming its line number.
 *
 * @module
 */
import { HrmError } from "../errors.ts";

/** One logged row: `step` plus metrics such as `train/lm_loss` or `eval/exact_accuracy`. */
export type MetricRow = Record<string, number>;

/**
 * Parses the text of a metrics.jsonl file.
 *
 * @param text The file's text.
 * @param file Its name, for errors.
 * @returns Rows in file order.
 * @throws {HrmError} for a malformed line that is not the last one, or a row without `step`.
 *
 * @example
 * ```ts
 * import { parseMetrics } from "./metrics_log.ts";
 * const rows = parseMetrics('{"step": 10, "train/lm_loss": 2}\n{"step": 20, "tra', "m.jsonl");
 * if (rows.length !== 1 || rows[0]["train/lm_loss"] !== 2) throw new Error();
 * ```
 */
export function parseMetrics(text: string, file: string): MetricRow[] {
  const lines = text.split("\n");
  const rows: MetricRow[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1) return; // a torn final write (no newline after it)
      throw new HrmError(file, `line ${i + 1} is not JSON: ${(e as Error).message}`);
    }
    if (typeof row !== "object" || row === null || typeof (row as MetricRow).step !== "number") {
      throw new HrmError(file, `line ${i + 1} has no numeric "step"`);
    }
    rows.push(row as MetricRow);
  });
  return rows;
}

/**
 * Reads a metrics.jsonl file.
 *
 * @param file The file.
 * @returns Rows in file order.
 * @throws {HrmError} when the file is missing or malformed.
 */
export async function readMetrics(file: string): Promise<MetricRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new HrmError(file, "cannot read metrics (is this a run folder written by hrm train?)");
  }
  return parseMetrics(text, file);
}

/**
 * The `[step, value]` points of one metric, in step order, rows without it skipped.
 *
 * @param rows The rows.
 * @param key A metric name, e.g. `eval/exact_accuracy`.
 * @returns Points; empty when the metric never appears.
 *
 * @example
 * ```ts
 * import { metricSeries } from "./metrics_log.ts";
 * const pts = metricSeries([{ step: 2, a: 1 }, { step: 1, b: 3 }, { step: 1, a: 5 }], "a");
 * if (pts.join(";") !== "1,5;2,1") throw new Error();
 * ```
 */
export function metricSeries(rows: MetricRow[], key: string): [number, number][] {
  return rows.filter((r) => typeof r[key] === "number").map((
    r,
  ): [number, number] => [r.step, r[key]])
    .sort((a, b) => a[0] - b[0]);
}
