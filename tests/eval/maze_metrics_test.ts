// mazeMetrics: the label is valid and optimal, another shortest path too, a longer path is valid
// only, a broken path neither; real generated mazes from the fixtures score 1 on their labels.
import { assertEquals, assertThrows } from "@std/assert";
import type { Predictions } from "../../lib/eval/evaluate.ts";
import { mazeMetrics } from "../../lib/eval/maze_metrics.ts";
import { encodeMaze } from "../../datasets/maze/encoding.ts";
import { parseMazeCsv } from "../../datasets/maze/csv.ts";

// 5x5: S top-left, G bottom-right, shortest paths have 8 moves
const INPUT = ["S    ", " ### ", "     ", " ### ", "    G"];
const LABEL = ["Soooo", " ###o", "    o", " ###o", "    G"];
const OTHER_SHORTEST = ["S    ", "o### ", "ooooo", " ###o", "    G"];
const LONGER = ["Soooo", " ###o", "ooooo", "o### ", "ooooG"];
const BROKEN = ["Sooo ", " ###o", "    o", " ###o", "    G"];
const THROUGH_WALL = ["Soooo", " #o#o", "  o o", " ###o", "    G"];

/** Predictions of `rows[e]` for the maze `inputs[e]` (labels are the inputs: not read). */
function predictions(inputs: Uint8Array[], preds: Uint8Array[]): Predictions {
  const N = inputs.length;
  const flat = (xs: Uint8Array[]) => Int32Array.from(xs.flatMap((x) => [...x]));
  return {
    inputs: flat(inputs),
    labels: flat(inputs),
    preds: flat(preds),
    puzzle_identifiers: new Int32Array(N),
    q_halt_logits: new Float32Array(N),
    q_continue_logits: new Float32Array(N),
    steps: new Int32Array(N),
  };
}

const maze = (rows: string[]) => encodeMaze(rows.join(""));

function score(...preds: string[][]) {
  return mazeMetrics(predictions(preds.map(() => maze(INPUT)), preds.map(maze)), 5);
}

Deno.test("mazeMetrics: the label itself is valid and optimal", () => {
  assertEquals(score(LABEL), { valid_path: 1, optimal_path: 1 });
  assertEquals(score(OTHER_SHORTEST), { valid_path: 1, optimal_path: 1 });
});

Deno.test("mazeMetrics: a broken path is neither valid nor optimal", () => {
  assertEquals(score(BROKEN), { valid_path: 0, optimal_path: 0 });
  assertEquals(score(THROUGH_WALL), { valid_path: 0, optimal_path: 0 });
  // no path marked at all (the model copied its input)
  assertEquals(score(INPUT), { valid_path: 0, optimal_path: 0 });
});

Deno.test("mazeMetrics: a longer valid path is valid, not optimal", () => {
  assertEquals(score(LONGER), { valid_path: 1, optimal_path: 0 });
});

Deno.test("mazeMetrics: rates over a mixed batch", () => {
  const m = score(LABEL, OTHER_SHORTEST, LONGER, BROKEN, LONGER, THROUGH_WALL, LABEL, INPUT);
  assertEquals(m, { valid_path: 5 / 8, optimal_path: 3 / 8 });
  assertEquals(mazeMetrics(predictions([], []), 5), { valid_path: 0, optimal_path: 0 });
});

Deno.test("mazeMetrics: generated 10x10 mazes score 1 on their own labels", async () => {
  const file = new URL("../fixtures/maze/test.csv", import.meta.url);
  const rows = parseMazeCsv(await Deno.readTextFile(file), "test.csv");
  assertEquals(rows.length, 2);
  const inputs = rows.map((r) => r.input);
  assertEquals(mazeMetrics(predictions(inputs, rows.map((r) => r.label)), 10), {
    valid_path: 1,
    optimal_path: 1,
  });
  // the second maze given the first one's path: it changes walls, so half are valid
  const swapped = predictions(inputs, [rows[0].label, rows[0].label]);
  assertEquals(mazeMetrics(swapped, 10), { valid_path: 0.5, optimal_path: 0.5 });
});

Deno.test("mazeMetrics: a wrong size or a non-maze input is a caller error naming the example", () => {
  const p = predictions([maze(INPUT)], [maze(LABEL)]);
  assertThrows(() => mazeMetrics(p, 4), RangeError, "1 examples of 4x4 need 16 tokens");
  const noGoal = predictions([maze(INPUT), maze(INPUT.map((r) => r.replace("G", " ")))], [
    maze(LABEL),
    maze(LABEL),
  ]);
  assertThrows(
    () => mazeMetrics(noGoal, 5),
    RangeError,
    "example 1: maze input must have exactly one",
  );
});
