/**
 * Terminal rendering of a reasoning view: panels as 24-bit ANSI colour blocks, tiles flowing
 * left to right to the terminal's width. With colours off (NO_COLOR, or not a terminal) the same
 * layout uses characters only: `[5]` a given, `*` a changed cell, `!` a wrong one, and the
 * dataset's own characters for mazes (`#`, `S`, `G`, `o`).
 *
 * @module
 */
import { COLORS, contrastText, type Rgb } from "./palette.ts";
import type { Cell, ExampleView, Panel } from "./types.ts";
import { segmentTiles } from "./view.ts";

/** Options of {@linkcode renderTerm}. */
export interface TermOptions {
  /** Use ANSI colours. */
  color: boolean;
  /** Columns available. @default {120} */
  width?: number;
  /** 1-based segments to draw (default all). */
  segments?: number[];
}

const ESC = "\x1b[";
const RESET = `${ESC}0m`;
const fgc = (c: Rgb) => `${ESC}38;2;${c[0]};${c[1]};${c[2]}m`;
const bgc = (c: Rgb) => `${ESC}48;2;${c[0]};${c[1]};${c[2]}m`;

/**
 * Whether `hrm show` should colour its output: not when NO_COLOR is set (https://no-color.org),
 * always when FORCE_COLOR is, else when stdout is a terminal.
 *
 * @returns True to colour.
 */
export function useColor(): boolean {
  const env = (k: string) => {
    try {
      return Deno.env.get(k);
    } catch {
      return undefined;
    }
  };
  if (env("NO_COLOR")) return false;
  if (env("FORCE_COLOR")) return true;
  return Deno.stdout.isTerminal();
}

/**
 * The terminal's width in columns, or 120 when stdout is not a terminal.
 *
 * @returns Columns.
 */
export function terminalWidth(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 120;
  }
}

/**
 * Columns of visible text (ANSI escapes removed).
 *
 * @param s A line.
 * @returns Its width in terminal columns.
 *
 * @example
 * ```ts
 * import { visibleWidth } from "./term.ts";
 * if (visibleWidth("\x1b[1mab\x1b[0m") !== 2) throw new Error();
 * ```
 */
export function visibleWidth(s: string): number {
  // deno-lint-ignore no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, "")].length;
}

/** A cell's characters and colours; `bg` undefined = no colouring. */
interface Run {
  text: string;
  bg?: Rgb;
  fg?: Rgb;
  bold?: boolean;
}

function cellRun(c: Cell, p: Panel, color: boolean): Run {
  if (!color) {
    if (p.glyphs) {
      const left = c.given ? "[" : c.changed ? "*" : " ";
      const right = c.wrong ? "!" : c.given ? "]" : " ";
      return { text: left + c.plain + right };
    }
    const mark = c.changed ? "*" : c.wrong ? "!" : c.plain === "#" ? "#" : " ";
    return { text: c.plain + mark };
  }
  if (p.glyphs) return { text: ` ${c.glyph} `, bg: c.bg, fg: c.fg, bold: c.given };
  return { text: c.changed ? "\u2022 " : "  ", bg: c.bg, fg: contrastText(c.bg) };
}

/** Joins runs, emitting an escape only where the colours change. */
function joinRuns(runs: Run[]): string {
  let out = "", cur = "";
  for (const r of runs) {
    const want = r.bg ? `${bgc(r.bg)}${fgc(r.fg ?? COLORS.text)}${r.bold ? `${ESC}1m` : ""}` : "";
    if (want !== cur) {
      if (cur) out += RESET;
      out += want;
      cur = want;
    }
    out += r.text;
  }
  return cur ? out + RESET : out;
}

/** The grid lines of a panel, without its title. */
function gridLines(p: Panel, color: boolean): string[] {
  const lines: string[] = [];
  const muted = color ? COLORS.muted : undefined;
  const cw = p.glyphs ? 3 : 2;
  for (let r = 0; r < p.rows; r++) {
    if (p.box && r > 0 && r % p.box === 0) {
      const parts: string[] = [];
      for (let c = 0; c < p.cols; c += p.box) {
        parts.push("-".repeat(cw * Math.min(p.box, p.cols - c)));
      }
      const rule = parts.join("+");
      lines.push(color ? `${fgc(COLORS.muted)}${rule}${RESET}` : rule);
    }
    const runs: Run[] = [];
    for (let c = 0; c < p.cols; c++) {
      if (p.box && c > 0 && c % p.box === 0) {
        runs.push({ text: "|", fg: muted, bg: muted && COLORS.background });
      }
      runs.push(cellRun(p.cells[r * p.cols + c], p, color));
    }
    lines.push(joinRuns(runs));
  }
  return lines;
}

interface Tile {
  lines: string[];
  width: number;
}

function tile(header: string[], panels: Panel[], color: boolean): Tile {
  const lines = header.map((h, i) =>
    color && h ? (i === 0 ? `${ESC}1m${h}${RESET}` : `${fgc(COLORS.muted)}${h}${RESET}`) : h
  );
  panels.forEach((p, i) => {
    if (i > 0) lines.push("");
    lines.push(...gridLines(p, color));
  });
  return { lines, width: Math.max(...lines.map(visibleWidth)) };
}

function flow(tiles: Tile[], width: number): string[] {
  const out: string[] = [];
  let row: Tile[] = [];
  let used = 0;
  const flush = () => {
    if (!row.length) return;
    if (out.length) out.push("");
    const h = Math.max(...row.map((t) => t.lines.length));
    for (let i = 0; i < h; i++) {
      out.push(
        row.map((t) => {
          const l = t.lines[i] ?? "";
          return l + " ".repeat(t.width - visibleWidth(l));
        }).join("  ").trimEnd(),
      );
    }
    row = [];
    used = 0;
  };
  for (const t of tiles) {
    const need = (row.length ? 2 : 0) + t.width;
    if (row.length && used + need > width) flush();
    row.push(t);
    used += (row.length > 1 ? 2 : 0) + t.width;
  }
  flush();
  return out;
}

function legendLine(v: ExampleView, color: boolean): string {
  if (!color) {
    const items = v.legend.flatMap((
      l,
    ) => (l.plain ? [`${l.plain.trim() || l.plain}=${l.label}`] : []));
    if (v.task !== "sudoku") items.push("*=changed", "!=wrong");
    return items.length ? `key: ${items.join("  ")}` : "";
  }
  const items = v.legend.map((l) => {
    const sw = l.glyph
      ? `${bgc(l.bg)}${fgc(l.fg ?? COLORS.text)} ${l.glyph} ${RESET}`
      : `${bgc(l.bg)}  ${RESET}`;
    return `${sw} ${l.label}`;
  });
  if (v.task !== "sudoku") {
    items.push(`${bgc(COLORS.open)}${fgc(COLORS.text)}\u2022 ${RESET} changed`);
  }
  return items.length ? items.join("  ") : "";
}

/**
 * Renders a view for a terminal.
 *
 * @param view The example's view.
 * @param opts Colours, width and segment selection.
 * @returns Text ending in a newline.
 *
 * @example Without colours
 * ```ts
 * import { exampleView } from "./view.ts";
 * import { renderTerm } from "./term.ts";
 * const trace = {
 *   n: 1, segments: 1, inputs: new Int32Array([3, 2, 1, 4]), labels: new Int32Array([3, 5, 1, 4]),
 *   puzzle_identifiers: new Int32Array(1), preds: new Int32Array([3, 5, 1, 4]),
 *   q_halt_logits: new Float32Array([2]), q_continue_logits: new Float32Array([0]),
 *   meta: { task: "maze" as const, vocab_size: 6, seq_len: 4, puzzle_emb_len: 0, hidden_size: 8,
 *     dataset: "", checkpoint: "" },
 * };
 * const text = renderTerm(exampleView(trace, 0, "t"), { color: false });
 * if (!text.includes("S o ") || text.includes("\x1b")) throw new Error(text);
 * ```
 */
export function renderTerm(view: ExampleView, opts: TermOptions): string {
  const color = opts.color, width = opts.width ?? 120;
  const out: string[] = [color ? `${ESC}1m${view.title}${RESET}` : view.title, ...view.notes];
  const legend = legendLine(view, color);
  if (legend) out.push(legend);
  out.push("");
  const tiles: Tile[] = view.fixed.map((p) => tile([p.title, ""], [p], color));
  for (const { seg, title } of segmentTiles(view, opts.segments)) {
    tiles.push(tile(title, seg.panels, color));
  }
  out.push(...flow(tiles, width));
  return out.join("\n") + "\n";
}
