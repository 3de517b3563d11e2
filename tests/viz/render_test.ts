// Rendering: deterministic bytes (checked against golden hashes), what the pictures contain,
// terminal colours and NO_COLOR, self-contained HTML.
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "@std/assert";
import { decode } from "fast-png";
import { readTrace } from "../../lib/eval/trace.ts";
import { Canvas } from "../../lib/viz/canvas.ts";
import { renderHtml } from "../../lib/viz/html.ts";
import { COLORS } from "../../lib/viz/palette.ts";
import {
  cellSize,
  drawPanel,
  panelSize,
  renderCanvas,
  renderPng,
} from "../../lib/viz/png_render.ts";
import { renderTerm, visibleWidth } from "../../lib/viz/term.ts";
import type { ExampleView } from "../../lib/viz/types.ts";
import { exampleView } from "../../lib/viz/view.ts";
import { sha256, vizFixture } from "./_fixtures.ts";

const golden = JSON.parse(await Deno.readTextFile(vizFixture("golden.json"))) as Record<
  string,
  { png: string; html: string }
>;
const views: Record<string, ExampleView> = {};
for (const name of ["sudoku", "maze", "arc"]) {
  views[name] = exampleView(
    await readTrace(vizFixture(`${name}.trace.safetensors`)),
    0,
    `${name}.trace.safetensors`,
  );
}
const UPDATE = "rerun tests/fixtures/viz/make_fixtures.ts if the change is intended";

Deno.test("the same trace gives the same PNG bytes and HTML, equal to the golden hashes", async () => {
  for (const [name, v] of Object.entries(views)) {
    const png = renderPng(v);
    assertEquals(png, renderPng(v), `${name} png`);
    const html = renderHtml(v);
    assertEquals(html, renderHtml(v), `${name} html`);
    assertEquals(await sha256(png), golden[name].png, `${name}.png changed: ${UPDATE}`);
    assertEquals(await sha256(html), golden[name].html, `${name}.html changed: ${UPDATE}`);
  }
});

Deno.test("PNG decodes to the canvas that was drawn", () => {
  const cv = renderCanvas(views.maze);
  const img = decode(renderPng(views.maze));
  assertEquals([img.width, img.height, img.channels, img.depth], [cv.width, cv.height, 4, 8]);
  assertEquals(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), cv.data);
  // All 6 segments fit in the default width as two rows; selecting 2 makes it narrower.
  const two = renderCanvas(views.maze, { segments: [1, 6] });
  assert(two.width < cv.width);
});

Deno.test("a drawn panel fills each cell with its colour", () => {
  for (const v of Object.values(views)) {
    const cell = cellSize(v);
    for (const p of [...v.fixed, v.segments[1].panels[0]]) {
      const { w, h } = panelSize(p, cell);
      const cv = new Canvas(w + 4, h + 4, [1, 2, 3]);
      drawPanel(cv, p, 2, 2, cell);
      const line = p.gridLines ? 1 : 0;
      for (let r = 0; r < p.rows; r++) {
        for (let c = 0; c < p.cols; c++) {
          const cl = p.cells[r * p.cols + c];
          // Sample a corner pixel inside the cell: the centre may hold a glyph or a dot.
          const x = 2 + 1 + c * (cell + line) + cell - 2 - (p.box ? 2 : 0);
          const y = 2 + 1 + r * (cell + line) + cell - 2 - (p.box ? 2 : 0);
          assertEquals(cv.getPixel(x, y), cl.bg, `${p.title} (${r},${c})`);
        }
      }
      assertEquals(cv.getPixel(0, 0), [1, 2, 3], "nothing drawn outside the panel");
    }
  }
});

Deno.test("changed block cells carry a dot; unchanged ones do not", () => {
  const v = views.maze, cell = cellSize(v), p = v.segments[1].panels[0];
  const { w, h } = panelSize(p, cell);
  const cv = new Canvas(w, h);
  drawPanel(cv, p, 0, 0, cell);
  let checked = 0;
  p.cells.forEach((cl, i) => {
    const cx = 1 + (i % p.cols) * cell + Math.floor(cell / 2),
      cy = 1 + Math.floor(i / p.cols) * cell + Math.floor(cell / 2);
    const px = cv.getPixel(cx, cy);
    if (cl.changed) assertEquals(px, [255, 255, 255]);
    else assertEquals(px, cl.bg);
    checked++;
  });
  assertEquals(checked, 100);
});

Deno.test("terminal: 24-bit colours, or none at all with colour off", () => {
  const col = renderTerm(views.sudoku, { color: true, width: 200 });
  assertStringIncludes(col, `\x1b[48;2;${COLORS.changed.join(";")}m`);
  assertStringIncludes(col, `\x1b[38;2;${COLORS.wrong.join(";")}m`);
  const plain = renderTerm(views.sudoku, { color: false, width: 200 });
  assert(!plain.includes("\x1b"), "NO_COLOR output has escapes");
  assertStringIncludes(plain, "[4]"); // a given
  assertStringIncludes(plain, "*"); // a changed cell
  assertStringIncludes(plain, "!"); // a wrong one
  assertStringIncludes(plain, "seg 8/8 chg 0 solved");
  // Same layout either way: equal visible widths line by line.
  assertEquals(col.split("\n").map(visibleWidth).length, plain.split("\n").length);
});

Deno.test("terminal: tiles wrap to the width and segments can be picked", () => {
  for (const [name, v] of Object.entries(views)) {
    for (const color of [true, false]) {
      const text = renderTerm(v, { color, width: 100 });
      const widest = Math.max(...text.split("\n").slice(3).map(visibleWidth));
      assert(widest <= 100, `${name} color=${color}: a line is ${widest} wide`);
    }
  }
  const some = renderTerm(views.maze, { color: false, width: 300, segments: [2, 5] });
  assertStringIncludes(some, "seg 2/6");
  assertStringIncludes(some, "seg 5/6");
  assert(!some.includes("seg 1/6") && !some.includes("seg 6/6"));
  const maze = renderTerm(views.maze, { color: false, width: 300 });
  assertStringIncludes(maze, "##S ");
  assertStringIncludes(maze, "#=wall");
});

Deno.test("HTML is one self-contained file with a table per panel", () => {
  for (const [name, v] of Object.entries(views)) {
    const html = renderHtml(v);
    assert(html.startsWith("<!doctype html>"), name);
    for (const bad of ["<script", "http://", "https://", "<link", "@import", "url("]) {
      assert(!html.includes(bad), `${name} html has ${bad}`);
    }
    const panels = v.fixed.length + v.segments.reduce((a, s) => a + s.panels.length, 0);
    assertEquals(html.split("<table").length - 1, panels, name);
    for (const k of new Set(html.match(/class="(k\d+)/g)!.map((m) => m.slice(7)))) {
      assertStringIncludes(html, `.${k}{background:`);
    }
  }
  assertStringIncludes(renderHtml(views.sudoku), 'class="k');
  assertNotEquals(renderHtml(views.sudoku, { segments: [1] }), renderHtml(views.sudoku));
});
