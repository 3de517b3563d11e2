/**
 * HTML rendering of a reasoning view: one self-contained file (inline CSS, no scripts, no
 * external resources), grids as tables whose cell colours come from a few generated classes.
 * Class names are assigned in drawing order, so one trace always gives the same text.
 *
 * @module
 */
import { COLORS, contrastText, hex, type Rgb } from "./palette.ts";
import { cellSize } from "./png_render.ts";
import type { ExampleView, Panel } from "./types.ts";
import { segmentTiles } from "./view.ts";

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @param s Any text.
 * @returns The text with `&<>"'` escaped.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * if (escapeHtml('<a href="x">') !== "&lt;a href=&quot;x&quot;&gt;") throw new Error();
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** Colour classes for one page: each distinct (background, text) pair gets `k0`, `k1`, ... */
export class HtmlStyles {
  #classes = new Map<string, string>();

  /** The class for a background and text colour. */
  classFor(bg: Rgb, fg: Rgb): string {
    const key = `${hex(bg)}${hex(fg)}`;
    let c = this.#classes.get(key);
    if (!c) {
      c = `k${this.#classes.size}`;
      this.#classes.set(key, c);
    }
    return c;
  }

  /** CSS rules for every class handed out. */
  css(): string {
    return [...this.#classes].map(([key, c]) =>
      `.${c}{background:${key.slice(0, 7)};color:${key.slice(7)}}`
    ).join("\n");
  }
}

/** CSS shared by `hrm show` and `hrm report` pages. */
export const BASE_CSS =
  `body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:20px;color:${
    hex(COLORS.text)
  };background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.notes{color:${hex(COLORS.muted)};margin:0 0 6px}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 14px;font-size:13px}
.legend span.sw{display:inline-block;width:16px;height:16px;border:1px solid ${
    hex(COLORS.gridLine)
  };vertical-align:middle;margin-right:4px;text-align:center;font:bold 11px/16px monospace}
.tiles{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.tile .t1{font-size:12px;font-weight:600;margin:0;white-space:nowrap}
.tile .t2{font-size:11px;color:${hex(COLORS.muted)};margin:0 0 4px;white-space:nowrap}
.tile .halt{color:${hex(COLORS.wrong)};font-weight:600}
table.g{border-collapse:collapse;border:1px solid ${hex(COLORS.boxLine)}}
table.g td{width:var(--c);height:var(--c);min-width:var(--c);padding:0;text-align:center;
font:bold 13px/1 ui-monospace,monospace;box-sizing:border-box}
table.gl td{border:1px solid ${hex(COLORS.arcLine)}}
table.gy td{border:1px solid ${hex(COLORS.gridLine)}}
table.g td.gv{font-weight:900}
table.g td.br{border-right:2px solid ${hex(COLORS.boxLine)}}
table.g td.bb{border-bottom:2px solid ${hex(COLORS.boxLine)}}
table.bx{border-width:2px}
td.chg::after{content:"";display:block;width:34%;height:34%;margin:auto;background:#fff;
outline:1px solid #000}`;

function panelHtml(p: Panel, styles: HtmlStyles, cell: number): string {
  const cls = ["g", p.gridLines ? (p.glyphs ? "gy" : "gl") : "", p.box ? "bx" : ""].filter(Boolean);
  const rows: string[] = [];
  for (let r = 0; r < p.rows; r++) {
    let tr = "<tr>";
    for (let c = 0; c < p.cols; c++) {
      const cl = p.cells[r * p.cols + c];
      const k = [styles.classFor(cl.bg, p.glyphs ? cl.fg : contrastText(cl.bg))];
      if (p.glyphs && cl.given) k.push("gv");
      if (!p.glyphs && cl.changed) k.push("chg");
      if (p.box && (c + 1) % p.box === 0 && c + 1 < p.cols) k.push("br");
      if (p.box && (r + 1) % p.box === 0 && r + 1 < p.rows) k.push("bb");
      tr += `<td class="${k.join(" ")}">${
        p.glyphs && cl.glyph !== " " ? escapeHtml(cl.glyph) : ""
      }</td>`;
    }
    rows.push(tr + "</tr>");
  }
  return `<table class="${cls.join(" ")}" style="--c:${cell}px">${rows.join("")}</table>`;
}

function tileHtml(
  t1: string,
  t2: string,
  panels: Panel[],
  styles: HtmlStyles,
  cell: number,
): string {
  return `<div class="tile"><p class="t1">${t1}</p><p class="t2">${t2 || "&nbsp;"}</p>${
    panels.map((p) => panelHtml(p, styles, cell)).join("")
  }</div>`;
}

/** Options of {@linkcode exampleHtml}. */
export interface HtmlOptions {
  /** 1-based segments to draw (default all). */
  segments?: number[];
  /** Heading element for the title. @default {"h1"} */
  heading?: "h1" | "h2" | "h3";
}

/**
 * One example's view as an HTML fragment (heading, notes, key, tiles); pages that hold several
 * share one {@linkcode HtmlStyles}.
 *
 * @param view The example's view.
 * @param styles The page's colour classes.
 * @param opts Segment selection and heading level.
 * @returns HTML.
 */
export function exampleHtml(view: ExampleView, styles: HtmlStyles, opts: HtmlOptions = {}): string {
  const cell = cellSize(view);
  const h = opts.heading ?? "h1";
  const parts = [`<${h}>${escapeHtml(view.title)}</${h}>`];
  for (const n of view.notes) parts.push(`<p class="notes">${escapeHtml(n)}</p>`);
  const legend = view.legend.map((l) => {
    const k = styles.classFor(l.bg, l.fg ?? contrastText(l.bg));
    return `<span><span class="sw ${k}">${l.glyph ? escapeHtml(l.glyph) : ""}</span>${
      escapeHtml(l.label)
    }</span>`;
  });
  if (view.task !== "sudoku" && view.legend.length) {
    legend.push(
      `<span><span class="sw chg-key ${
        styles.classFor(COLORS.open, COLORS.text)
      }">&#9635;</span>changed</span>`,
    );
  }
  if (legend.length) parts.push(`<div class="legend">${legend.join("")}</div>`);
  const tiles = view.fixed.map((p) => tileHtml(escapeHtml(p.title), "", [p], styles, cell));
  for (const { seg, title: [a, b] } of segmentTiles(view, opts.segments)) {
    const t2 = escapeHtml(b).replace(" HALT", ' <span class="halt">HALT</span>');
    tiles.push(tileHtml(escapeHtml(a), t2, seg.panels, styles, cell));
  }
  parts.push(`<div class="tiles">${tiles.join("")}</div>`);
  return parts.join("\n");
}

/**
 * A complete page around a body.
 *
 * @param title The page title.
 * @param body HTML for `<body>`.
 * @param styles The colour classes the body used.
 * @param extraCss More CSS rules.
 * @returns The file's text.
 */
export function htmlPage(title: string, body: string, styles: HtmlStyles, extraCss = ""): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${BASE_CSS}
${extraCss}${extraCss ? "\n" : ""}${styles.css()}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * Renders a view as one self-contained HTML page.
 *
 * @param view The example's view.
 * @param opts Segment selection.
 * @returns The page.
 *
 * @example
 * ```ts
 * import { exampleView } from "./view.ts";
 * import { renderHtml } from "./html.ts";
 * const trace = {
 *   n: 1, segments: 1, inputs: new Int32Array([3, 2, 1, 4]), labels: new Int32Array([3, 5, 1, 4]),
 *   puzzle_identifiers: new Int32Array(1), preds: new Int32Array([3, 5, 1, 4]),
 *   q_halt_logits: new Float32Array([2]), q_continue_logits: new Float32Array([0]),
 *   meta: { task: "maze" as const, vocab_size: 6, seq_len: 4, puzzle_emb_len: 0, hidden_size: 8,
 *     dataset: "", checkpoint: "" },
 * };
 * const html = renderHtml(exampleView(trace, 0, "t"));
 * if (!html.startsWith("<!doctype html>") || html.includes("<script")) throw new Error();
 * ```
 */
export function renderHtml(view: ExampleView, opts: HtmlOptions = {}): string {
  const styles = new HtmlStyles();
  const body = exampleHtml(view, styles, opts);
  return htmlPage(`hrm show: ${view.title}`, body, styles);
}
