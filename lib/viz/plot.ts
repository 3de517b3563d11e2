/**
 * Line plots drawn into an RGBA {@linkcode Canvas}: axes with "nice" ticks (linear or log),
 * grid lines, a legend row under the title, lines and optional point markers. Used by
 * `hrm report` (loss, accuracy, inference-time scaling) and `hrm analyze pr` (spectra).
 *
 * @module
 */
import { Canvas } from "./canvas.ts";
import { LINE_H, textWidth } from "./font.ts";
import { COLORS, type Rgb, SERIES_COLORS } from "./palette.ts";

/** One line. */
export interface Series {
  /** Legend text. */
  name: string;
  /** `[x, y]` in data units; non-finite points (and ≤ 0 on a log axis) are skipped. */
  points: [number, number][];
  /** Line colour (default: by position). */
  color?: Rgb;
  /** Draw a square at each point. */
  markers?: boolean;
  /** Dashed line. */
  dashed?: boolean;
}

/** What to plot. */
export interface PlotSpec {
  /** Title above the plot. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Y axis label. */
  yLabel: string;
  /** The lines. */
  series: Series[];
  /** Image width. @default {640} */
  width?: number;
  /** Image height. @default {360} */
  height?: number;
  /** Logarithmic x axis. */
  logX?: boolean;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Fixed y range (e.g. `[0, 1]` for accuracies). */
  yRange?: [number, number];
  /** Tick positions on x instead of automatic ones (e.g. the segment counts measured). */
  xTicks?: number[];
  /** Vertical reference lines. */
  vLines?: { x: number; label: string }[];
}

/**
 * Round tick positions covering `[lo, hi]`: steps of 1, 2 or 5 × 10^k, about `count` of them.
 *
 * @param lo Low end.
 * @param hi High end (> lo).
 * @param count Wanted number of intervals.
 * @returns Ticks in increasing order, all within `[lo, hi]`.
 *
 * @example
 * ```ts
 * import { niceTicks } from "./plot.ts";
 * if (niceTicks(0, 1, 5).join() !== "0,0.2,0.4,0.6,0.8,1") throw new Error();
 * ```
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/**
 * A short tick label: `20k`, `1.5M`, `0.25`, `1e-4`.
 *
 * @param v The value.
 * @returns Text for the bitmap font.
 *
 * @example
 * ```ts
 * import { formatTick } from "./plot.ts";
 * if (formatTick(20000) !== "20k" || formatTick(0.25) !== "0.25" || formatTick(1e-4) !== "1e-4") {
 *   throw new Error();
 * }
 * ```
 */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = Number((v / 10 ** e).toPrecision(2));
    return m === 1 ? `1e${e}` : `${m}e${e}`;
  }
  return String(Number(v.toPrecision(3)));
}

function logTicks(lo: number, hi: number): number[] {
  const e0 = Math.floor(lo), e1 = Math.ceil(hi);
  const mults = e1 - e0 <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = e0; e <= e1; e++) {
    for (const m of mults) {
      const v = Math.log10(m * 10 ** e);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) out.push(v);
    }
  }
  return out;
}

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
}

function axis(values: number[], log: boolean, fixed?: [number, number], ticks?: number[]): Axis {
  const vs = (fixed ?? values).filter((v) => Number.isFinite(v) && (!log || v > 0)).map((v) =>
    log ? Math.log10(v) : v
  );
  let lo = vs.length ? Math.min(...vs) : 0, hi = vs.length ? Math.max(...vs) : 1;
  if (hi - lo < 1e-12) {
    const pad = log ? 0.5 : Math.max(Math.abs(lo) * 0.1, 0.5);
    lo -= pad;
    hi += pad;
  }
  if (!fixed && !log) {
    const t = niceTicks(lo, hi);
    const step = t.length > 1 ? t[1] - t[0] : hi - lo;
    lo = Math.min(lo, t[0] ?? lo);
    hi = Math.max(hi, t[t.length - 1] ?? hi);
    if (t[0] > lo + 1e-12) lo = t[0] - step;
  }
  const tk = ticks
    ? ticks.filter((v) => !log || v > 0).map((v) => (log ? Math.log10(v) : v))
    : log
    ? logTicks(lo, hi)
    : niceTicks(lo, hi);
  return { lo, hi, log, ticks: tk };
}

/**
 * Draws a line plot.
 *
 * @param spec What to draw.
 * @returns The image.
 *
 * @example
 * ```ts
 * import { linePlot } from "./plot.ts";
 * const cv = linePlot({ title: "loss", xLabel: "step", yLabel: "loss",
 *   series: [{ name: "train", points: [[0, 2], [10, 1], [20, 0.5]] }] });
 * if (cv.width !== 640 || cv.height !== 360) throw new Error();
 * ```
 */
export function linePlot(spec: PlotSpec): Canvas {
  const W = spec.width ?? 640, H = spec.height ?? 360;
  const cv = new Canvas(W, H, COLORS.background);
  const legendRows = legendLayout(spec, W - 80);
  const top = 12 + LINE_H + 4 + legendRows.length * (LINE_H + 3) + 6;
  const left = 62, right = 16, bottom = 34;
  const pw = W - left - right, ph = H - top - bottom;
  cv.text(
    Math.max(4, Math.floor((W - textWidth(spec.title.toUpperCase())) / 2)),
    8,
    spec.title.toUpperCase(),
    COLORS.text,
  );
  legendRows.forEach((row, i) => {
    let x = left;
    for (const s of row) {
      const y = 12 + LINE_H + 4 + i * (LINE_H + 3);
      cv.line(x, y + 3, x + 14, y + 3, s.color, 2, s.dashed ? 3 : 0);
      x = cv.text(x + 18, y, s.name.toUpperCase(), COLORS.text) + 14;
    }
  });
  const pts = spec.series.flatMap((s) => s.points);
  const ax = axis(pts.map((p) => p[0]), spec.logX ?? false, undefined, spec.xTicks);
  const ay = axis(pts.map((p) => p[1]), spec.logY ?? false, spec.yRange);
  const px = (v: number) => left + ((v - ax.lo) / (ax.hi - ax.lo)) * (pw - 1);
  const py = (v: number) => top + ph - 1 - ((v - ay.lo) / (ay.hi - ay.lo)) * (ph - 1);
  const tx = (v: number) => (ax.log ? Math.log10(v) : v);
  const ty = (v: number) => (ay.log ? Math.log10(v) : v);

  for (const t of ay.ticks) {
    const y = Math.round(py(t));
    cv.fillRect(left, y, pw, 1, [0xee, 0xee, 0xee]);
    const label = formatTick(ay.log ? 10 ** t : t);
    cv.text(left - 6 - textWidth(label), y - 3, label, COLORS.muted);
  }
  for (const t of ax.ticks) {
    const x = Math.round(px(t));
    cv.fillRect(x, top, 1, ph, [0xee, 0xee, 0xee]);
    const label = formatTick(ax.log ? 10 ** t : t);
    cv.text(x - Math.floor(textWidth(label) / 2), top + ph + 5, label, COLORS.muted);
  }
  for (const v of spec.vLines ?? []) {
    if (!Number.isFinite(v.x) || (ax.log && v.x <= 0)) continue;
    const x = Math.round(px(tx(v.x)));
    cv.line(x, top, x, top + ph - 1, COLORS.muted, 1, 3);
    // Right of the line, or left of it where the label would leave the plot box.
    const label = v.label.toUpperCase(), w = textWidth(label);
    cv.text(x + 3 + w <= left + pw - 2 ? x + 3 : x - 3 - w, top + 3, label, COLORS.muted);
  }
  cv.strokeRect(left - 1, top - 1, pw + 2, ph + 2, COLORS.boxLine);
  const xl = spec.xLabel.toUpperCase();
  cv.text(left + Math.floor((pw - textWidth(xl)) / 2), H - LINE_H - 2, xl, COLORS.text);
  const yl = spec.yLabel.toUpperCase();
  cv.textUp(4, top + Math.floor((ph + textWidth(yl)) / 2), yl, COLORS.text);

  if (!pts.some(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) {
    cv.text(left + 10, top + 10, "NO DATA", COLORS.muted);
  }
  spec.series.forEach((s, i) => {
    const color = s.color ?? SERIES_COLORS[i % SERIES_COLORS.length];
    const clampY = (v: number) => Math.min(ay.hi, Math.max(ay.lo, v));
    let prev: [number, number] | undefined;
    for (const [x, y] of s.points) {
      const ok = Number.isFinite(x) && Number.isFinite(y) && (!ax.log || x > 0) &&
        (!ay.log || y > 0);
      if (!ok) {
        prev = undefined;
        continue;
      }
      const p: [number, number] = [px(tx(x)), py(clampY(ty(y)))];
      if (prev) cv.line(prev[0], prev[1], p[0], p[1], color, 2, s.dashed ? 4 : 0);
      if (s.markers) cv.fillRect(Math.round(p[0]) - 3, Math.round(p[1]) - 3, 7, 7, color);
      prev = p;
    }
  });
  return cv;
}

function legendLayout(
  spec: PlotSpec,
  width: number,
): { name: string; color: Rgb; dashed?: boolean }[][] {
  const rows: { name: string; color: Rgb; dashed?: boolean }[][] = [];
  let row: { name: string; color: Rgb; dashed?: boolean }[] = [], used = 0;
  spec.series.forEach((s, i) => {
    const w = 18 + textWidth(s.name.toUpperCase()) + 14;
    if (row.length && used + w > width) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push({
      name: s.name,
      color: s.color ?? SERIES_COLORS[i % SERIES_COLORS.length],
      dashed: s.dashed,
    });
    used += w;
  });
  if (row.length) rows.push(row);
  return rows;
}
