// checkMazePath: labels pass, broken, longer, branching and tampered paths do not, and the
// dihedral augmentation maps valid mazes to valid mazes.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { checkMazePath } from "../../datasets/maze/check.ts";
import { encodeMaze, PATH, WALL } from "../../datasets/maze/encoding.ts";
import { runMazeJob } from "../../datasets/maze/job.ts";
import { dihedral } from "../../datasets/grid.ts";

// 5x5: S top-left, G bottom-right, shortest paths have 8 moves
const INPUT = encodeMaze(
  "S    " +
    " ### " +
    "     " +
    " ### " +
    "    G",
);
const grid = (rows: string[]) => encodeMaze(rows.join(""));

Deno.test("checkMazePath: a shortest path is valid and optimal", () => {
  const v = checkMazePath(INPUT, grid(["Soooo", " ###o", "    o", " ###o", "    G"]), 5);
  assertEquals(v, { valid: true, optimal: true });
  // another shortest path (not the A* label) is optimal too
  const w = checkMazePath(INPUT, grid(["S    ", "o### ", "ooooo", " ###o", "    G"]), 5);
  assertEquals(w, { valid: true, optimal: true });
});

Deno.test("checkMazePath: a longer path is valid, not optimal", () => {
  const v = checkMazePath(INPUT, grid(["Soooo", " ###o", "ooooo", "o### ", "ooooG"]), 5);
  assertEquals(v.valid, true);
  assertEquals(v.optimal, false);
  assertEquals(v.reason, "16 moves, shortest is 8");
  // a walk whose cells touch out of order (S next to the 3rd step) is still one path
  const open = encodeMaze("S  " + "   " + "G  ");
  const u = checkMazePath(open, encodeMaze("So " + "oo " + "G  "), 3);
  assertEquals(u, { valid: true, optimal: false, reason: "4 moves, shortest is 2" });
});

Deno.test("checkMazePath: broken, stray and branching marks are invalid", () => {
  const broken = checkMazePath(INPUT, grid(["Sooo ", " ###o", "    o", " ###o", "    G"]), 5);
  assertEquals(broken.valid, false);
  assertEquals(broken.reason, "the path does not connect start to goal");
  const stray = checkMazePath(INPUT, grid(["Soooo", " ###o", "o   o", " ###o", "    G"]), 5);
  assertEquals(stray.valid, false);
  assertEquals(stray.reason, "1 marked cells are not connected to the path");
  const branch = checkMazePath(INPUT, grid(["Soooo", " ###o", "   oo", " ###o", "    G"]), 5);
  assertEquals(branch.valid, false);
  assert(branch.reason!.includes("not a single path"));
  const empty = checkMazePath(INPUT, INPUT, 5);
  assertEquals(empty.valid, false);
});

Deno.test("checkMazePath: changed walls, start, goal or bad tokens are invalid", () => {
  const through = checkMazePath(INPUT, grid(["Soooo", " #o#o", "  o o", " ###o", "    G"]), 5);
  assertEquals(through.valid, false);
  assertEquals(through.reason, "wall at (1, 2) became path");
  const noWall = checkMazePath(INPUT, grid(["Soooo", "  ##o", "    o", " ###o", "    G"]), 5);
  assertEquals(noWall.reason, "wall at (1, 1) became open cell");
  const newWall = checkMazePath(INPUT, grid(["Soooo", " ###o", "#   o", " ###o", "    G"]), 5);
  assertEquals(newWall.reason, "open cell at (2, 0) became wall");
  const movedGoal = checkMazePath(INPUT, grid(["Soooo", " ###o", "    G", " ###o", "    o"]), 5);
  assertEquals(movedGoal.valid, false);
  const pad = INPUT.slice();
  pad[10] = 0;
  assertEquals(checkMazePath(INPUT, pad, 5).reason, "open cell at (2, 0) became pad");
  assertEquals(checkMazePath(INPUT, new Uint8Array(24), 5).valid, false);
});

Deno.test("checkMazePath: refuses an input that is not a maze", () => {
  assertThrows(() => checkMazePath(new Uint8Array(24), INPUT, 5), RangeError, "24 cells");
  assertThrows(() => checkMazePath(encodeMaze("S".repeat(25)), INPUT, 5), RangeError, "one start");
});

Deno.test("maze augmentation: all 8 dihedral images of a labelled maze are valid and optimal", () => {
  for (const [size, index] of [[10, 0], [10, 1], [7, 2]]) {
    const r = runMazeJob({
      key: 0,
      size,
      minPath: size + 2,
      seed: 11,
      split: "train",
      index,
      retry: 0,
      maxTrials: 1e7,
    });
    for (let t = 0; t < 8; t++) {
      const input = dihedral({ h: size, w: size, data: r.input! }, t).data;
      const label = dihedral({ h: size, w: size, data: r.label! }, t).data;
      assertEquals(checkMazePath(input, label, size), { valid: true, optimal: true }, `t=${t}`);
      assertEquals(
        input.filter((v) => v === WALL).length,
        r.input!.filter((v) => v === WALL).length,
      );
      assertEquals(label.filter((v) => v === PATH).length, r.moves! - 1);
    }
  }
});
