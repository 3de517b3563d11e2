/**
 * Panels for a dataset of no known task: tokens as coloured cells on a square grid when the
 * length is a square, else rows of 32, so any trace can still be looked at.
 *
 * @module
 */
import { COLORS, contrastText, type Rgb, SERIES_COLORS } from "./palette.ts";
import { type Cell, type ExampleData, IGNORE, type Panel, type TaskPanels } from "./types.ts";

const GLYPHS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function tokenColor(t: number): Rgb {
  return t === 0 ? COLORS.pad : SERIES_COLORS[(t - 1) % SERIES_COLORS.length];
}

/**
 * Builds panels of raw tokens.
 *
 * @param d The example's arrays.
 * @param vocab Vocabulary size (tokens ≥ 36 show as `+`).
 * @returns A label panel and one prediction panel per segment.
 *
 * @example
 * ```ts
 * import { tokenPanels } from "./tokens_view.ts";
 * const p = tokenPanels({ inputs: new Int32Array(5), labels: new Int32Array(5),
 *   preds: [new Int32Array([1, 2, 3, 4, 5])], seqLen: 5 }, 6);
 * if (p.segments[0][0].cols !== 5 || p.segments[0][0].cells[4].glyph !== "5") throw new Error();
 * ```
 */
export function tokenPanels(d: ExampleData, vocab: number): TaskPanels {
  const side = Math.round(Math.sqrt(d.seqLen));
  const cols = side * side === d.seqLen ? side : Math.min(32, d.seqLen);
  const rows = Math.ceil(d.seqLen / cols);
  const cell = (t: number, extra: Partial<Cell> = {}): Cell => {
    const g = t === IGNORE ? " " : t >= 0 && t < GLYPHS.length ? GLYPHS[t] : "+";
    const bg = t === IGNORE ? COLORS.background : tokenColor(t);
    return { glyph: g, plain: g === " " ? "." : g, fg: contrastText(bg), bg, ...extra };
  };
  const panel = (title: string, cells: Cell[]): Panel => {
    while (cells.length < rows * cols) cells.push(cell(IGNORE));
    return { title, rows, cols, cells, glyphs: true, gridLines: true };
  };
  const segments = d.preds.map((pred, s) => {
    const prev = s > 0 ? d.preds[s - 1] : undefined;
    return [panel(
      "prediction",
      Array.from(pred, (t, i) =>
        cell(t, {
          wrong: d.labels[i] !== IGNORE && t !== d.labels[i],
          changed: prev !== undefined && prev[i] !== t,
        })),
    )];
  });
  return {
    fixed: [
      panel("input", Array.from(d.inputs, (t) => cell(t))),
      panel("label", Array.from(d.labels, (t) => cell(t))),
    ],
    segments,
    legend: [],
    notes: [`unknown task (vocab ${vocab}, seq_len ${d.seqLen}): raw token ids`],
  };
}
