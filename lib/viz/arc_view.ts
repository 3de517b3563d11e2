/**
 * ARC panels in the standard palette: input and target once, then each segment's prediction,
 * cropped the way the reference's ARC evaluation crops (the largest top-left rectangle of colour
 * tokens), so a wrong output size shows as a wrongly sized grid. Tokens: 0 PAD, 1 EOS,
 * colour c → c + 2, on a 30×30 canvas.
 *
 * @module
 */
import { ARC_PALETTE, COLORS } from "./palette.ts";
import { type Cell, type ExampleData, IGNORE, type Panel, type TaskPanels } from "./types.ts";

/** Side of the ARC canvas. */
export const ARC_SIDE = 30;

/** A cropped grid: colours 0-9, row-major. */
export interface ArcGrid {
  /** Rows. */
  rows: number;
  /** Columns. */
  cols: number;
  /** `rows × cols` ARC colours. */
  colors: Int32Array;
}

/**
 * Crops a 30×30 token canvas to its grid as the reference's `arc_eval` does: for each row count,
 * the width is cut at the first non-colour token seen so far, and the largest-area rectangle wins.
 *
 * @param tokens `[900]` tokens (values outside 2..11, −100 included, end the grid).
 * @returns The grid's colours (token − 2); 0×0 when the top-left token is not a colour.
 *
 * @example
 * ```ts
 * import { cropArc } from "./arc_view.ts";
 * const t = new Int32Array(900); // PAD everywhere
 * t[0] = 3; t[1] = 4; t[2] = 1; t[30] = 5; t[31] = 6; t[60] = 1;
 * const g = cropArc(t);
 * if (g.rows !== 2 || g.cols !== 2 || g.colors[3] !== 4) throw new Error();
 * ```
 */
export function cropArc(tokens: ArrayLike<number>): ArcGrid {
  let width = ARC_SIDE, best = 0, rows = 0, cols = 0;
  for (let r = 1; r <= ARC_SIDE; r++) {
    for (let c = 0; c < width; c++) {
      const t = tokens[(r - 1) * ARC_SIDE + c];
      if (t < 2 || t > 11) {
        width = c;
        break;
      }
    }
    if (r * width > best) {
      best = r * width;
      rows = r;
      cols = width;
    }
  }
  const colors = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) colors[r * cols + c] = tokens[r * ARC_SIDE + c] - 2;
  }
  return { rows, cols, colors };
}

function gridPanel(
  title: string,
  g: ArcGrid,
  mark?: (r: number, c: number) => { wrong?: boolean; changed?: boolean },
): Panel {
  if (g.rows === 0 || g.cols === 0) {
    return {
      title: `${title} (empty)`,
      rows: 1,
      cols: 1,
      cells: [{ glyph: " ", fg: COLORS.text, bg: COLORS.pad, plain: "_" }],
      glyphs: false,
      gridLines: true,
    };
  }
  const cells: Cell[] = [];
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.cols; c++) {
      const k = g.colors[r * g.cols + c];
      cells.push({
        glyph: " ",
        fg: COLORS.text,
        bg: ARC_PALETTE[k],
        plain: String(k),
        ...mark?.(r, c),
      });
    }
  }
  return {
    title: `${title} ${g.rows}x${g.cols}`,
    rows: g.rows,
    cols: g.cols,
    cells,
    glyphs: false,
    gridLines: true,
  };
}

/**
 * Builds the ARC panels of one example.
 *
 * @param d The example's arrays (seq_len 900).
 * @returns Input and target panels, and one cropped prediction panel per segment.
 */
export function arcPanels(d: ExampleData): TaskPanels {
  const input = cropArc(d.inputs);
  const target = cropArc(Array.from(d.labels, (t) => (t === IGNORE ? 0 : t)));
  const notes: string[] = [];
  const segments = d.preds.map((pred, s) => {
    const prev = s > 0 ? d.preds[s - 1] : undefined;
    const g = cropArc(pred);
    const sameShape = g.rows === target.rows && g.cols === target.cols;
    const p = gridPanel("prediction", g, (r, c) => ({
      wrong: sameShape && g.colors[r * g.cols + c] !== target.colors[r * target.cols + c],
      changed: prev !== undefined && prev[r * ARC_SIDE + c] !== pred[r * ARC_SIDE + c],
    }));
    return [p];
  });
  const last = cropArc(d.preds[d.preds.length - 1] ?? new Int32Array(900));
  if (last.rows !== target.rows || last.cols !== target.cols) {
    notes.push(
      `the last prediction is ${last.rows}x${last.cols}, the target ${target.rows}x${target.cols}`,
    );
  }
  return {
    fixed: [gridPanel("input", input), gridPanel("target", target)],
    segments,
    legend: ARC_PALETTE.map((bg, k) => ({ label: String(k), bg, plain: String(k) })),
    notes,
  };
}
