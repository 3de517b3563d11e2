/**
 * How `hrm analyze pr` shows its results: a table of participation ratios and a PNG of the
 * covariance spectra (variance fraction against rank, both axes logarithmic).
 *
 * @module
 */
import type { Canvas } from "./canvas.ts";
import { SERIES_COLORS } from "./palette.ts";
import { linePlot, type Series } from "./plot.ts";
import type { Spectrum } from "./pr.ts";

/** The spectra of one model. */
export interface PrResult {
  /** Row name, e.g. `trained`, `untrained`. */
  model: string;
  /** High-level states. */
  z_H: Spectrum;
  /** Low-level states. */
  z_L: Spectrum;
  /** What the model calls its states (TRM: y and z); default z_H and z_L. */
  names?: { z_H: string; z_L: string };
}

/**
 * How a state is labelled: `z_H` for HRM, `y (z_H)` for TRM's answer state and `z (z_L)` for its
 * latent, so pictures and tables speak the paper's language and still name the carry slot.
 */
export function stateLabel(
  names: { z_H: string; z_L: string } | undefined,
  key: "z_H" | "z_L",
): string {
  const n = names?.[key] ?? key;
  return n === key ? key : `${n} (${key})`;
}

/**
 * The results as an aligned text table.
 *
 * @param results One row per model.
 * @returns Lines ending in a newline.
 *
 * @example
 * ```ts
 * import { prTable } from "./pr_report.ts";
 * const s = (pr: number) => ({ pr, samples: 10, eigenvalues: new Float64Array(2) });
 * const t = prTable([{ model: "trained", z_H: s(90), z_L: s(30) }]);
 * if (!/trained\s+90\.00\s+30\.00\s+3\.00/.test(t)) throw new Error(t);
 * ```
 */
export function prTable(results: PrResult[]): string {
  const [h, l] = (["z_H", "z_L"] as const).map((k) => stateLabel(results[0]?.names, k));
  const head = ["model", `${h} PR`, `${l} PR`, `${h}/${l}`, "states"];
  const rows = results.map((r) => [
    r.model,
    r.z_H.pr.toFixed(2),
    r.z_L.pr.toFixed(2),
    r.z_L.pr > 0 ? (r.z_H.pr / r.z_L.pr).toFixed(2) : "-",
    String(r.z_H.samples),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("   ");
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

/**
 * A plot of the spectra: the fraction of variance on each principal axis against its rank.
 *
 * @param results One entry per model; z_H solid, z_L dashed, one colour per model.
 * @returns The image.
 */
export function spectraPlot(results: PrResult[]): Canvas {
  const series: Series[] = [];
  results.forEach((r, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length];
    const states = [["z_H", r.z_H, false], ["z_L", r.z_L, true]] as const;
    for (const [key, s, dashed] of states) {
      const name = stateLabel(r.names, key);
      let total = 0;
      for (const l of s.eigenvalues) total += Math.max(0, l);
      series.push({
        name: `${r.model} ${name} (PR ${s.pr.toFixed(1)})`,
        color,
        dashed,
        points: Array.from(
          s.eigenvalues,
          (l, k): [number, number] => [k + 1, total > 0 ? l / total : NaN],
        ),
      });
    }
  });
  return linePlot({
    title: `covariance spectra of ${stateLabel(results[0]?.names, "z_H")} and ${
      stateLabel(results[0]?.names, "z_L")
    }`,
    xLabel: "principal axis (rank)",
    yLabel: "fraction of variance",
    series,
    logX: true,
    logY: true,
    width: 720,
    height: 420,
  });
}
