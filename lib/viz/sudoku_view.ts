/**
 * Sudoku panels: the puzzle, the solution, and each segment's 9×9 (or 4×4) prediction with the givens on
 * grey, right digits in blue, wrong ones in red, and cells changed since the previous segment on
 * yellow (the paper's "depth-first search with backtracking" shows as digits that flip back).
 * Tokens: 0 PAD, 1 blank, digit d → d + 1.
 *
 * @module
 */
import { COLORS } from "./palette.ts";
import { type Cell, type ExampleData, IGNORE, type Panel, type TaskPanels } from "./types.ts";

const digit = (
  tok: number,
): string => (tok >= 2 && tok <= 10 ? String(tok - 1) : tok === 1 ? " " : "?");

// 9×9, or the demo's 4×4 (side from seq_len, box = √side).
function panel(title: string, cells: Cell[]): Panel {
  const side = Math.round(Math.sqrt(cells.length));
  return {
    title,
    rows: side,
    cols: side,
    cells,
    glyphs: true,
    box: Math.round(Math.sqrt(side)),
    gridLines: true,
  };
}

/**
 * Builds the Sudoku panels of one example.
 *
 * @param d The example's arrays (seq_len 81).
 * @returns Puzzle and solution panels, and one prediction panel per segment.
 *
 * @example
 * ```ts
 * import { sudokuPanels } from "./sudoku_view.ts";
 * const inputs = new Int32Array(81).fill(1); inputs[0] = 6; // a given 5
 * const labels = new Int32Array(81).fill(2); labels[0] = 6;
 * const p = sudokuPanels({ inputs, labels, preds: [labels.slice()], seqLen: 81 });
 * if (!p.segments[0][0].cells[0].given || p.segments[0][0].cells[0].glyph !== "5") throw new Error();
 * ```
 */
export function sudokuPanels(d: ExampleData): TaskPanels {
  const puzzle = Array.from(d.inputs, (t): Cell => {
    const given = t >= 2;
    return {
      glyph: digit(t),
      plain: given ? digit(t) : ".",
      fg: COLORS.givenFg,
      bg: given ? COLORS.givenBg : COLORS.background,
      given,
    };
  });
  const solution = Array.from(d.labels, (t, i): Cell => ({
    glyph: t === IGNORE ? " " : digit(t),
    plain: t === IGNORE ? "." : digit(t),
    fg: d.inputs[i] >= 2 ? COLORS.givenFg : COLORS.predicted,
    bg: d.inputs[i] >= 2 ? COLORS.givenBg : COLORS.background,
    given: d.inputs[i] >= 2,
  }));
  const segments = d.preds.map((pred, s) => {
    const prev = s > 0 ? d.preds[s - 1] : undefined;
    const cells = Array.from(pred, (t, i): Cell => {
      const given = d.inputs[i] >= 2;
      const wrong = d.labels[i] !== IGNORE && t !== d.labels[i];
      const changed = prev !== undefined && prev[i] !== t;
      return {
        glyph: digit(t),
        plain: digit(t) === " " ? "." : digit(t),
        fg: wrong ? COLORS.wrong : given ? COLORS.givenFg : COLORS.predicted,
        bg: changed ? COLORS.changed : given ? COLORS.givenBg : COLORS.background,
        given,
        wrong,
        changed,
      };
    });
    return [panel("prediction", cells)];
  });
  return {
    fixed: [panel("puzzle", puzzle), panel("solution", solution)],
    segments,
    legend: [
      { label: "given", bg: COLORS.givenBg, fg: COLORS.givenFg, glyph: "5", plain: "[5]" },
      { label: "right", bg: COLORS.background, fg: COLORS.predicted, glyph: "5", plain: " 5 " },
      { label: "wrong", bg: COLORS.background, fg: COLORS.wrong, glyph: "5", plain: " 5!" },
      { label: "changed", bg: COLORS.changed, fg: COLORS.predicted, glyph: "5", plain: "*5 " },
    ],
    notes: [],
  };
}
