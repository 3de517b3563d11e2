/**
 * Maze panels: walls, start and goal from the input, and each segment's predicted path: blue on
 * the shortest path, orange off it, pale blue where the shortest path is still missing (the
 * paper's "explores paths in parallel, then prunes"). Tokens "# SGo" → 1..5, 0 PAD.
 *
 * @module
 */
import { COLORS, type Rgb } from "./palette.ts";
import type { Cell, ExampleData, Panel, TaskPanels } from "./types.ts";

const WALL = 1, OPEN = 2, START = 3, GOAL = 4, PATH = 5;

function base(tok: number): { bg: Rgb; plain: string } {
  if (tok === WALL) return { bg: COLORS.wall, plain: "#" };
  if (tok === START) return { bg: COLORS.start, plain: "S" };
  if (tok === GOAL) return { bg: COLORS.goal, plain: "G" };
  if (tok === 0) return { bg: COLORS.pad, plain: "_" };
  return { bg: COLORS.open, plain: " " };
}

function panel(title: string, n: number, cells: Cell[]): Panel {
  return { title, rows: n, cols: n, cells, glyphs: false, gridLines: false };
}

/**
 * Builds the Maze panels of one example.
 *
 * @param d The example's arrays (seq_len N²).
 * @returns A target panel (the shortest path) and one prediction panel per segment.
 *
 * @example
 * ```ts
 * import { mazePanels } from "./maze_view.ts";
 * const inputs = new Int32Array([3, 2, 1, 4]); // S, open, wall, G
 * const labels = new Int32Array([3, 5, 1, 4]);
 * const p = mazePanels({ inputs, labels, preds: [new Int32Array([3, 5, 1, 4])], seqLen: 4 });
 * if (p.segments[0][0].cells[1].plain !== "o" || p.fixed[0].rows !== 2) throw new Error();
 * ```
 */
export function mazePanels(d: ExampleData): TaskPanels {
  const n = Math.round(Math.sqrt(d.seqLen));
  const target = Array.from(d.inputs, (t, i): Cell => {
    const onPath = d.labels[i] === PATH && t !== START && t !== GOAL;
    const b = base(t);
    return {
      glyph: " ",
      fg: COLORS.text,
      bg: onPath ? COLORS.path : b.bg,
      plain: onPath ? "o" : b.plain,
    };
  });
  let offPath = 0;
  const segments = d.preds.map((pred, s) => {
    const prev = s > 0 ? d.preds[s - 1] : undefined;
    let extra = 0;
    const cells = Array.from(pred, (t, i): Cell => {
      const label = d.labels[i];
      // A change is one the picture shows: a cell joining or leaving the predicted path.
      const changed = prev !== undefined && (prev[i] === PATH) !== (t === PATH);
      const b = base(d.inputs[i]);
      let bg = b.bg, plain = b.plain;
      if (t === PATH && d.inputs[i] === OPEN) {
        bg = label === PATH ? COLORS.path : COLORS.pathWrong;
        plain = label === PATH ? "o" : "x";
        if (label !== PATH) extra++;
      } else if (label === PATH && d.inputs[i] !== START && d.inputs[i] !== GOAL) {
        bg = COLORS.pathMissed;
        plain = ".";
      }
      // Errors show as path colours (x, .), not as marks: a wall predicted as open is not drawn.
      return { glyph: " ", fg: COLORS.text, bg, plain, changed };
    });
    offPath = Math.max(offPath, extra);
    return [panel("prediction", n, cells)];
  });
  return {
    fixed: [panel("shortest path", n, target)],
    segments,
    legend: [
      { label: "wall", bg: COLORS.wall, plain: "#" },
      { label: "start", bg: COLORS.start, plain: "S" },
      { label: "goal", bg: COLORS.goal, plain: "G" },
      { label: "path", bg: COLORS.path, plain: "o" },
      { label: "off path", bg: COLORS.pathWrong, plain: "x" },
      { label: "missing", bg: COLORS.pathMissed, plain: "." },
    ],
    notes: offPath > 0 ? [`up to ${offPath} predicted path cells lie off the shortest path`] : [],
  };
}
