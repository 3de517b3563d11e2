/**
 * PNG rendering of a reasoning view, drawn into an RGBA {@linkcode Canvas} without a browser:
 * a header with the colour key, then the fixed panels and one tile per segment, flowing in rows.
 * Cell sizes depend only on the grids, so one trace always gives the same bytes.
 *
 * @module
 */
import { Canvas, encodePng } from "./canvas.ts";
import { GLYPH_H, LINE_H, textWidth } from "./font.ts";
import { COLORS, contrastText } from "./palette.ts";
import type { ExampleView, Panel } from "./types.ts";
import { segmentTiles } from "./view.ts";

/** Options of {@linkcode renderCanvas}. */
export interface PngOptions {
  /** 1-based segments to draw (default all). */
  segments?: number[];
  /** Widest image before tiles wrap to a new row. @default {1200} */
  maxWidth?: number;
}

const MARGIN = 12, GAP = 14, HEADER_GAP = 4;

/**
 * Pixel size of one cell for a view: 22 for digit grids, else the largest grid fits in about
 * 216 pixels (4 to 28 per cell).
 *
 * @param view The example's view.
 * @returns Cell side in pixels.
 */
export function cellSize(view: ExampleView): number {
  const panels = [...view.fixed, ...view.segments.flatMap((s) => s.panels)];
  if (panels.some((p) => p.glyphs)) return 22;
  const dim = Math.max(1, ...panels.map((p) => Math.max(p.rows, p.cols)));
  return Math.max(4, Math.min(28, Math.floor(216 / dim)));
}

/**
 * Pixel size of a panel's grid (cells, lines and border).
 *
 * @param p The panel.
 * @param cell Cell side in pixels.
 * @returns Width and height in pixels.
 */
export function panelSize(p: Panel, cell: number): { w: number; h: number } {
  const line = p.gridLines ? 1 : 0;
  const border = p.gridLines ? 1 : 1;
  return {
    w: p.cols * cell + (p.cols - 1) * line + 2 * border,
    h: p.rows * cell + (p.rows - 1) * line + 2 * border,
  };
}

/**
 * Draws a panel's grid with its top-left corner at `(x, y)`.
 *
 * @param cv The canvas.
 * @param p The panel.
 * @param x Left edge.
 * @param y Top edge.
 * @param cell Cell side in pixels.
 */
export function drawPanel(cv: Canvas, p: Panel, x: number, y: number, cell: number): void {
  const { w, h } = panelSize(p, cell);
  const line = p.gridLines ? 1 : 0;
  cv.fillRect(
    x,
    y,
    w,
    h,
    p.gridLines ? (p.glyphs ? COLORS.gridLine : COLORS.arcLine) : COLORS.boxLine,
  );
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      const cl = p.cells[r * p.cols + c];
      const cx = x + 1 + c * (cell + line), cy = y + 1 + r * (cell + line);
      cv.fillRect(cx, cy, cell, cell, cl.bg);
      if (p.glyphs && cl.glyph !== " ") {
        const scale = cell >= 18 ? 2 : 1;
        const gx = cx + Math.floor((cell - textWidth(cl.glyph, scale)) / 2);
        const gy = cy + Math.floor((cell - GLYPH_H * scale) / 2);
        cv.text(gx, gy, cl.glyph, cl.fg, scale);
      } else if (!p.glyphs && cl.changed) {
        const d = Math.max(2, Math.floor(cell / 3)), o = Math.floor((cell - d) / 2);
        if (cell >= 7) cv.fillRect(cx + o - 1, cy + o - 1, d + 2, d + 2, [0, 0, 0]);
        cv.fillRect(cx + o, cy + o, d, d, cell >= 7 ? [255, 255, 255] : contrastText(cl.bg));
      }
    }
  }
  if (p.box) {
    for (let k = p.box; k < p.cols; k += p.box) {
      cv.fillRect(x + 1 + k * (cell + line) - line - 1, y, 2 + line, h, COLORS.boxLine);
    }
    for (let k = p.box; k < p.rows; k += p.box) {
      cv.fillRect(x, y + 1 + k * (cell + line) - line - 1, w, 2 + line, COLORS.boxLine);
    }
  }
  cv.strokeRect(x, y, w, h, COLORS.boxLine, p.box ? 2 : 1);
}

interface TileSpec {
  header: string[];
  panels: Panel[];
  w: number;
  h: number;
}

function tileSpec(header: string[], panels: Panel[], cell: number): TileSpec {
  const sizes = panels.map((p) => panelSize(p, cell));
  const w = Math.max(...header.map((t) => textWidth(t)), ...sizes.map((s) => s.w));
  const h = header.length * LINE_H + HEADER_GAP + sizes.reduce((a, s) => a + s.h, 0) +
    (sizes.length - 1) * 6;
  return { header, panels, w, h };
}

/**
 * Draws a view into a canvas.
 *
 * @param view The example's view.
 * @param opts Segment selection and wrapping width.
 * @returns The image.
 */
export function renderCanvas(view: ExampleView, opts: PngOptions = {}): Canvas {
  const cell = cellSize(view);
  const tiles = view.fixed.map((p) => tileSpec([p.title.toUpperCase(), ""], [p], cell));
  for (const { seg, title: [a, b] } of segmentTiles(view, opts.segments)) {
    tiles.push(tileSpec([a.toUpperCase(), b.toUpperCase()], seg.panels, cell));
  }
  const maxWidth = Math.max(opts.maxWidth ?? 1200, ...tiles.map((t) => t.w + 2 * MARGIN));
  const rows: TileSpec[][] = [];
  let row: TileSpec[] = [], used = MARGIN;
  for (const t of tiles) {
    if (row.length && used + t.w + MARGIN > maxWidth) {
      rows.push(row);
      row = [];
      used = MARGIN;
    }
    row.push(t);
    used += t.w + GAP;
  }
  if (row.length) rows.push(row);

  const headerLines = [view.title.toUpperCase(), ...view.notes.map((n) => n.toUpperCase())];
  const legendH = view.legend.length ? 18 : 0;
  const headerH = 2 * LINE_H + (headerLines.length - 1) * LINE_H + legendH + 10;
  const rowWidths = rows.map((r) => r.reduce((a, t) => a + t.w, 0) + (r.length - 1) * GAP);
  const width = Math.max(
    ...rowWidths.map((w) => w + 2 * MARGIN),
    textWidth(headerLines[0], 2) + 2 * MARGIN,
    ...headerLines.slice(1).map((l) => textWidth(l) + 2 * MARGIN),
    legendWidth(view) + 2 * MARGIN,
  );
  const height = MARGIN + headerH +
    rows.reduce((a, r) => a + Math.max(...r.map((t) => t.h)), 0) + (rows.length - 1) * GAP + MARGIN;
  const cv = new Canvas(width, height, COLORS.background);

  let y = MARGIN;
  cv.text(MARGIN, y, headerLines[0], COLORS.text, 2);
  y += 2 * LINE_H;
  for (const l of headerLines.slice(1)) {
    cv.text(MARGIN, y, l, COLORS.muted);
    y += LINE_H;
  }
  if (legendH) drawLegend(cv, view, MARGIN, y + 2);
  y = MARGIN + headerH;
  for (const r of rows) {
    let x = MARGIN;
    for (const t of r) {
      let ty = y;
      t.header.forEach((line, i) => {
        cv.text(x, ty, line, i === 0 ? COLORS.text : COLORS.muted);
        ty += LINE_H;
      });
      ty += HEADER_GAP;
      for (const p of t.panels) {
        drawPanel(cv, p, x, ty, cell);
        ty += panelSize(p, cell).h + 6;
      }
      x += t.w + GAP;
    }
    y += Math.max(...r.map((t) => t.h)) + GAP;
  }
  return cv;
}

function legendItems(view: ExampleView) {
  const items = view.legend.map((l) => ({ ...l, dot: false }));
  if (view.task !== "sudoku" && view.legend.length) {
    items.push({ label: "changed", bg: COLORS.open, dot: true });
  }
  return items;
}

function legendWidth(view: ExampleView): number {
  return legendItems(view).reduce((a, l) => a + 14 + 4 + textWidth(l.label.toUpperCase()) + 12, 0);
}

function drawLegend(cv: Canvas, view: ExampleView, x: number, y: number): void {
  for (const l of legendItems(view)) {
    cv.fillRect(x, y, 14, 14, l.bg);
    cv.strokeRect(x, y, 14, 14, COLORS.gridLine);
    if (l.glyph) cv.text(x + 5, y + 4, l.glyph, l.fg ?? COLORS.text);
    if (l.dot) {
      cv.fillRect(x + 4, y + 4, 6, 6, [0, 0, 0]);
      cv.fillRect(x + 5, y + 5, 4, 4, [255, 255, 255]);
    }
    x = cv.text(x + 18, y + 4, l.label.toUpperCase(), COLORS.text) + 12;
  }
}

/**
 * Renders a view as PNG bytes.
 *
 * @param view The example's view.
 * @param opts Segment selection and wrapping width.
 * @returns The PNG file.
 *
 * @example
 * ```ts
 * import { exampleView } from "./view.ts";
 * import { renderPng } from "./png_render.ts";
 * const trace = {
 *   n: 1, segments: 1, inputs: new Int32Array([3, 2, 1, 4]), labels: new Int32Array([3, 5, 1, 4]),
 *   puzzle_identifiers: new Int32Array(1), preds: new Int32Array([3, 5, 1, 4]),
 *   q_halt_logits: new Float32Array([2]), q_continue_logits: new Float32Array([0]),
 *   meta: { task: "maze" as const, vocab_size: 6, seq_len: 4, puzzle_emb_len: 0, hidden_size: 8,
 *     dataset: "", checkpoint: "" },
 * };
 * const png = renderPng(exampleView(trace, 0, "t"));
 * if (png[0] !== 0x89) throw new Error();
 * ```
 */
export function renderPng(view: ExampleView, opts: PngOptions = {}): Uint8Array {
  return encodePng(renderCanvas(view, opts));
}
