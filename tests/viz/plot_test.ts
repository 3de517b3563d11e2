// Canvas primitives, the bitmap font, and line plots.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { Canvas, encodePng } from "../../lib/viz/canvas.ts";
import { glyph, textWidth } from "../../lib/viz/font.ts";
import { formatTick, linePlot, niceTicks } from "../../lib/viz/plot.ts";

const count = (cv: Canvas, c: readonly number[]) => {
  let n = 0;
  for (let i = 0; i < cv.data.length; i += 4) {
    if (cv.data[i] === c[0] && cv.data[i + 1] === c[1] && cv.data[i + 2] === c[2]) n++;
  }
  return n;
};

Deno.test("font: lower case draws as upper case, unknown characters as ?", () => {
  assertEquals(glyph("q"), glyph("Q"));
  assertEquals(glyph("\u00e9"), glyph("?"));
  assert(glyph("8").some((b) => b === 1));
  assertEquals(glyph(" ").every((b) => b === 0), true);
  assertEquals(textWidth("abc", 2), 34);
});

Deno.test("canvas: clipped rectangles, lines that reach both ends, text ink", () => {
  const cv = new Canvas(10, 8, [0, 0, 0]);
  cv.fillRect(-5, -5, 8, 7, [255, 0, 0]); // clipped to 3×2
  assertEquals(count(cv, [255, 0, 0]), 6);
  cv.line(0, 7, 9, 3, [0, 255, 0]);
  assertEquals(cv.getPixel(0, 7), [0, 255, 0]);
  assertEquals(cv.getPixel(9, 3), [0, 255, 0]);
  const t = new Canvas(20, 9, [255, 255, 255]);
  const end = t.text(1, 1, "17", [0, 0, 0]);
  assertEquals(end, 13);
  assertEquals(count(t, [0, 0, 0]), [...glyph("1"), ...glyph("7")].filter((b) => b).length);
  assertThrows(() => new Canvas(0, 3), RangeError);
  const big = new Canvas(4, 4, [9, 9, 9]);
  big.blit(cv, 2, 2);
  assertEquals(big.getPixel(2, 2), [255, 0, 0]);
  assertEquals(big.getPixel(1, 1), [9, 9, 9]);
});

Deno.test("equal canvases encode to equal PNG bytes; different ones do not", () => {
  const a = new Canvas(30, 20, [10, 20, 30]), b = new Canvas(30, 20, [10, 20, 30]);
  a.text(2, 2, "HRM", [255, 255, 255]);
  b.text(2, 2, "HRM", [255, 255, 255]);
  assertEquals(encodePng(a), encodePng(b));
  b.setPixel(29, 19, [0, 0, 0]);
  assert(encodePng(a).join() !== encodePng(b).join());
});

Deno.test("nice ticks and compact labels", () => {
  assertEquals(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assertEquals(niceTicks(0.013, 0.087, 4), [0.02, 0.04, 0.06, 0.08]);
  assertEquals(niceTicks(-3, 3, 3), [-2, 0, 2]);
  assertEquals(
    [12000, 1500, 2.5e6, 0.5, 2e-5, -0.25, 0].map(formatTick),
    ["12k", "1.5k", "2.5M", "0.5", "2e-5", "-0.25", "0"],
  );
});

Deno.test("line plots: series colours drawn, log axes skip non-positive values, empty plots say so", () => {
  const red: [number, number, number] = [200, 0, 0];
  const cv = linePlot({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{
      name: "a",
      color: red,
      points: [[1, 1], [10, 100], [20, 0], [30, 1000]],
      markers: true,
    }],
    logY: true,
    width: 300,
    height: 200,
  });
  assert(count(cv, red) > 50, "the series was not drawn");
  const empty = linePlot({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "a", points: [] }],
  });
  assertEquals([empty.width, empty.height], [640, 360]);
  const spec = {
    title: "accuracy",
    xLabel: "segments",
    yLabel: "acc",
    logX: true,
    xTicks: [1, 2, 4, 8],
    yRange: [0, 1] as [number, number],
    vLines: [{ x: 4, label: "trained" }],
    series: [{
      name: "exact",
      points: [[1, 0.1], [2, 0.3], [4, 0.5], [8, 0.55]] as [number, number][],
    }],
  };
  assertEquals(encodePng(linePlot(spec)), encodePng(linePlot(spec)));
});

Deno.test("line plots: a vertical line's label at the right edge stays inside the plot box", () => {
  const muted = [0x70, 0x70, 0x70];
  const cv = linePlot({
    title: "scaling",
    xLabel: "segments",
    yLabel: "acc",
    series: [{ name: "a", points: [[1, 0.1], [16, 0.5]] }],
    vLines: [{ x: 16, label: "trained" }],
    width: 300,
    height: 200,
  });
  // The box ends 16 px from the right edge; nothing muted may lie beyond it.
  let outside = 0, inside = 0;
  for (let y = 0; y < cv.height; y++) {
    for (let x = 0; x < cv.width; x++) {
      const p = cv.getPixel(x, y);
      if (p[0] !== muted[0] || p[1] !== muted[1] || p[2] !== muted[2]) continue;
      if (x > cv.width - 16) outside++;
      else inside++;
    }
  }
  assertEquals(outside, 0);
  assert(inside > 0);
});
