// Building views: what each task's panels show and the per-segment numbers.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { HrmError } from "../../lib/errors.ts";
import { readTrace } from "../../lib/eval/trace.ts";
import { arcPanels, cropArc } from "../../lib/viz/arc_view.ts";
import { mazePanels } from "../../lib/viz/maze_view.ts";
import { ARC_PALETTE, COLORS } from "../../lib/viz/palette.ts";
import { sudokuPanels } from "../../lib/viz/sudoku_view.ts";
import { exampleView, segmentStats, segmentTiles, segmentTitle } from "../../lib/viz/view.ts";
import { tinyTrace, vizFixture } from "./_fixtures.ts";

Deno.test("sudoku: givens, right/wrong digits and changed cells", async () => {
  const file = vizFixture("sudoku.trace.safetensors");
  const t = await readTrace(file);
  const v = exampleView(t, 0, file);
  assertEquals(v.task, "sudoku");
  assertEquals(v.fixed.map((p) => p.title), ["puzzle", "solution"]);
  assertEquals(v.segments.length, 8);
  const givens = Array.from(t.inputs).filter((x) => x >= 2).length;
  assertEquals(v.fixed[0].cells.filter((c) => c.given).length, givens);
  for (let s = 0; s < 8; s++) {
    const cells = v.segments[s].panels[0].cells;
    const pred = t.preds.subarray(s * 81, (s + 1) * 81);
    const prev = s ? t.preds.subarray((s - 1) * 81, s * 81) : undefined;
    let changed = 0;
    cells.forEach((c, i) => {
      assertEquals(c.glyph, String(pred[i] - 1));
      assertEquals(c.wrong, pred[i] !== t.labels[i]);
      assertEquals(c.fg, c.wrong ? COLORS.wrong : c.given ? COLORS.givenFg : COLORS.predicted);
      assertEquals(c.changed, prev !== undefined && prev[i] !== pred[i]);
      if (c.changed) {
        changed++;
        assertEquals(c.bg, COLORS.changed);
      }
    });
    assertEquals(v.segments[s].stats.changed, changed);
  }
  assert(v.segments[7].stats.exact);
  assert(!v.segments[0].stats.exact);
  // The fixture backtracks: some cells right at segment 3 are wrong at 4 and right again at 6.
  const wrongAt = (s: number) =>
    new Set(v.segments[s].panels[0].cells.flatMap((c, i) => (c.wrong ? [i] : [])));
  assert([...wrongAt(3)].some((i) => !wrongAt(2).has(i)));
});

Deno.test("sudoku panels show blanks and unreadable tokens", () => {
  const inputs = new Int32Array(81).fill(1);
  const labels = new Int32Array(81).fill(5);
  const pred = new Int32Array(81).fill(5);
  pred[0] = 0; // PAD predicted
  const p = sudokuPanels({ inputs, labels, preds: [pred], seqLen: 81 });
  assertEquals(p.fixed[0].cells[0].glyph, " ");
  assertEquals(p.fixed[0].cells[0].plain, ".");
  assertEquals(p.segments[0][0].cells[0].glyph, "?");
  assert(p.segments[0][0].cells[0].wrong);
  assertEquals(p.segments[0][0].cells[1].glyph, "4");
});

Deno.test("maze: path cells coloured by whether they lie on the shortest path", () => {
  // S . # / o o . / # o G: the shortest path runs (1,0), (1,1), (2,1).
  const inputs = Int32Array.from([3, 2, 1, 2, 2, 2, 1, 2, 4]);
  const labels = Int32Array.from([3, 2, 1, 5, 5, 2, 1, 5, 4]);
  const pred = Int32Array.from([5, 5, 1, 5, 2, 2, 1, 5, 5]); // path on start/goal, off path at 1, misses 4
  const p = mazePanels({ inputs, labels, preds: [labels.slice(), pred], seqLen: 9 });
  assertEquals(p.fixed[0].rows, 3);
  assertEquals(p.fixed[0].cells[3].bg, COLORS.path);
  const cells = p.segments[1][0].cells;
  assertEquals(cells[0].bg, COLORS.start, "start stays start under a path prediction");
  assertEquals(cells[8].bg, COLORS.goal);
  assertEquals(cells[1].bg, COLORS.pathWrong);
  assertEquals(cells[1].plain, "x");
  assertEquals(cells[3].bg, COLORS.path);
  assertEquals(cells[4].bg, COLORS.pathMissed);
  assertEquals(cells[2].bg, COLORS.wall);
  assertEquals(cells.filter((c) => c.changed).length, 4);
});

Deno.test("cropArc follows the reference's largest-area crop", () => {
  const t = new Int32Array(900);
  // Rows 0-1 are 4 wide, row 2 is 1 wide: 2×4 = 8 beats 3×1 = 3.
  for (let c = 0; c < 4; c++) {
    t[c] = 2 + c;
    t[30 + c] = 3;
  }
  t[60] = 7;
  let g = cropArc(t);
  assertEquals([g.rows, g.cols], [2, 4]);
  assertEquals(Array.from(g.colors.subarray(0, 4)), [0, 1, 2, 3]);
  // Row 2 at width 3 makes 3×3 = 9 > 8.
  t[61] = t[62] = 2;
  g = cropArc(t);
  assertEquals([g.rows, g.cols], [3, 3]);
  assertEquals(cropArc(new Int32Array(900).fill(-100)).rows, 0);
});

Deno.test("arc: input, target and cropped predictions in the ARC palette", async () => {
  const file = vizFixture("arc.trace.safetensors");
  const v = exampleView(await readTrace(file), 0, file);
  assertEquals(v.fixed.map((p) => p.title), ["input 3x3", "target 6x6"]);
  assertEquals(v.fixed[0].cells[1].bg, ARC_PALETTE[1]);
  assertEquals(v.segments.map((s) => s.panels[0].title), [
    "prediction 3x3",
    "prediction 6x6",
    "prediction 6x6",
    "prediction 6x6",
  ]);
  assertEquals(v.segments[2].panels[0].cells.filter((c) => c.wrong).length, 3);
  assertEquals(v.segments[3].panels[0].cells.filter((c) => c.wrong).length, 0);
  assert(v.segments[3].stats.exact);
  assertEquals(v.legend.length, 10);
});

Deno.test("arc: an empty prediction and a wrong final size are shown, not hidden", () => {
  const inputs = new Int32Array(900), labels = new Int32Array(900).fill(-100);
  inputs[0] = 3;
  labels[0] = labels[1] = 4;
  const p = arcPanels({ inputs, labels, preds: [new Int32Array(900)], seqLen: 900 });
  assertEquals(p.segments[0][0].title, "prediction (empty)");
  assert(p.notes[0].includes("0x0, the target 1x2"));
});

Deno.test("segment numbers: accuracy over labelled positions, halting from the Q values", () => {
  const d = {
    inputs: new Int32Array(4),
    labels: Int32Array.from([-100, 1, 2, 3]),
    preds: [Int32Array.from([9, 1, 2, 0]), Int32Array.from([0, 1, 2, 3])],
    seqLen: 4,
  };
  const a = segmentStats(d, 0, 0, 1);
  assertEquals(a.accuracy, 2 / 3);
  assertEquals([a.exact, a.halts, a.changed, a.haltProb], [false, false, 0, 0.5]);
  const b = segmentStats(d, 1, 2, 1);
  assertEquals([b.exact, b.halts, b.changed, b.segment], [true, true, 2, 2]);
  assertEquals(segmentTitle(b, 16), ["seg 2/16 chg 2 solved", "acc 100.0% p_halt 0.88 HALT"]);
  const none = segmentStats({ ...d, labels: new Int32Array(4).fill(-100) }, 0, 0, 0);
  assertEquals([none.accuracy, none.exact], [null, false]);
});

Deno.test("exampleView rejects out-of-range examples and tasks that do not fit", () => {
  const t = tinyTrace();
  const e = assertThrows(() => exampleView(t, 1, "x.safetensors"), HrmError);
  assertEquals(
    e.message,
    "x.safetensors: example 1 is out of range: the trace holds 1 example (0..0)",
  );
  assertThrows(() => exampleView(t, -1, "x"), HrmError);
  const lie = { ...t, meta: { ...t.meta, task: "sudoku" as const } };
  const e2 = assertThrows(() => exampleView(lie, 0, "x.safetensors"), HrmError);
  assert(e2.message.includes("metadata says task sudoku"));
  // An unknown task still draws: raw tokens on a square grid.
  const v = exampleView(t, 0, "x");
  assertEquals([v.task, v.segments[0].panels[0].rows, v.segments[0].panels[0].cols], [
    "unknown",
    2,
    2,
  ]);
});

Deno.test("maze: the header's change count is what the uncoloured view marks with *", async () => {
  const { renderTerm } = await import("../../lib/viz/term.ts");
  const file = vizFixture("maze.trace.safetensors");
  const t = await readTrace(file);
  // A segment whose prediction changes only between non-path tokens (a wall guessed as open,
  // then wall again) must not promise changes the picture cannot show.
  const S = t.meta.seq_len, G = t.segments;
  const preds = t.preds.slice();
  const wallAt = Array.from(t.inputs.subarray(0, S)).indexOf(1);
  preds[1 * S + wallAt] = 2; // segment 2: the wall cell predicted open
  const v = exampleView({ ...t, preds }, 0, file);
  const text = renderTerm(v, { color: false, width: 40 });
  const tiles = text.split("\n\n").filter((t) => t.startsWith("seg "));
  assertEquals(tiles.length, G);
  for (let s = 1; s < G; s++) {
    const marks = (tiles[s].match(/\*/g) ?? []).length;
    assertEquals(v.segments[s].stats.changed, marks, `segment ${s + 1}`);
  }
});

Deno.test("segmentTiles: the chosen segments, titled, with the panels beside the prediction", async () => {
  const file = vizFixture("sudoku.trace.safetensors");
  const v = exampleView(await readTrace(file), 0, file);
  assertEquals(segmentTiles(v).length, 8);
  const kept = segmentTiles(v, [1, 3]);
  assertEquals(kept.map((k) => k.seg.stats.segment), [1, 3]);
  assertEquals(kept[1].title, segmentTitle(v.segments[2].stats, 8));
  const s = v.segments[1];
  const panels = [{ ...s.panels[0], title: "prediction" }, {
    ...s.panels[0],
    title: "prediction 3x3",
  }];
  const [t] = segmentTiles({ ...v, segments: [{ ...s, panels }] });
  assertEquals(t.title[0], `${segmentTitle(s.stats, 1)[0]} 3x3`);
});
