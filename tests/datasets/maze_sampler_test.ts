// The maze sampler draws the reference's distribution, its labels are the reference A*'s paths,
// and both depend only on the seed.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { Rng } from "../../datasets/rng.ts";
import { astarPath } from "../../datasets/maze/astar.ts";
import { encodeMaze, GOAL, PATH, START, WALL } from "../../datasets/maze/encoding.ts";
import {
  bfsDistance,
  impossibleReason,
  labelMaze,
  MazeSampler,
  wallCountRange,
} from "../../datasets/maze/sampler.ts";
import { runMazeJob } from "../../datasets/maze/job.ts";

const FIXTURES = new URL("../fixtures/maze/", import.meta.url);

Deno.test("maze wallCountRange: the reference's len // 10 * 3 .. * 5, capped for tiny grids", () => {
  assertEquals(wallCountRange(30), [270, 450]);
  assertEquals(wallCountRange(10), [30, 50]);
  assertEquals(wallCountRange(8), [18, 30]);
  assertEquals(wallCountRange(3), [0, 0]); // 9 // 10 = 0: no walls at all
  assertEquals(wallCountRange(2), [0, 0]);
});

Deno.test("maze impossibleReason: refuses paths that cannot fit, accepts the paper's setting", () => {
  assertEquals(impossibleReason(30, 110), null);
  assertEquals(impossibleReason(2, 1), null); // 2x2, no walls: opposite corners are 2 moves
  assert(impossibleReason(2, 3)!.includes("at most 4 free cells"));
  assert(impossibleReason(10, 90)!.includes("at most 70 free cells"));
  assert(impossibleReason(1, 0)!.includes("size"));
  assert(impossibleReason(10, -1)!.includes("min path"));
  assertThrows(() => new MazeSampler(10, 90), RangeError);
});

Deno.test("maze labels: a shortest path longer than the minimum, S and G kept, walls untouched", () => {
  for (const [size, minPath] of [[8, 10], [10, 12], [12, 20], [3, 2]]) {
    const sampler = new MazeSampler(size, minPath);
    for (let i = 0; i < 20; i++) {
      const s = sampler.sample(new Rng(`label/${size}/${i}`), 1e7)!;
      const { input, label, moves } = labelMaze(s);
      assert(moves > minPath, `${moves} <= ${minPath}`);
      assertEquals(bfsDistance(s.blocked, size, s.start, s.goal), moves);
      assertEquals(label.filter((t) => t === PATH).length, moves - 1);
      assertEquals(input.filter((t) => t === START).length, 1);
      assertEquals(input.filter((t) => t === GOAL).length, 1);
      for (let c = 0; c < size * size; c++) {
        assertEquals(input[c] === WALL, s.blocked[c] === 1);
        if (label[c] !== PATH) assertEquals(label[c], input[c]);
      }
      const [lo, hi] = wallCountRange(size);
      const walls = s.blocked.reduce((n, b) => n + b, 0);
      assert(walls >= lo && walls <= hi, `${walls} walls outside [${lo}, ${hi}]`);
    }
  }
});

Deno.test("maze A*: matches paths computed by Searchformer's astar.py on 33 mazes", async () => {
  // made by running facebookresearch/searchformer's astar() on these mazes (see README.md)
  const cases: { size: number; maze: string; path: number[] }[] = JSON.parse(
    await Deno.readTextFile(new URL("astar_reference.json", FIXTURES)),
  );
  assertEquals(cases.length, 33);
  for (const { size, maze, path } of cases) {
    const t = encodeMaze(maze);
    const blocked = t.map((v) => (v === WALL ? 1 : 0));
    assertEquals(astarPath(blocked, size, t.indexOf(START), t.indexOf(GOAL)), path, maze);
  }
});

Deno.test("maze A*: ties go to the lower row, then the lower column", () => {
  const open = new Uint8Array(16);
  assertEquals(astarPath(open, 4, 0, 15), [0, 1, 2, 3, 7, 11, 15]); // along the top row first
  assertEquals(astarPath(open, 4, 15, 0), [15, 11, 7, 3, 2, 1, 0]); // up the right column
  assertEquals(astarPath(open, 4, 12, 3), [12, 8, 4, 0, 1, 2, 3]);
  const walled = new Uint8Array([0, 1, 0, 1, 0, 0, 0, 0, 0]); // the corner is cut off
  assertEquals(astarPath(walled, 3, 0, 2), null);
});

Deno.test("maze sampler: the distribution of plain rejection sampling (walls, lengths)", () => {
  // The oracle is the reference's procedure verbatim: k walls by a Fisher–Yates prefix, start
  // and goal two distinct free cells, keep when BFS length > minPath. Seeds are fixed, so the
  // comparison is deterministic; the bounds are ~4 standard errors.
  const size = 8, minPath = 10, n = 3000;
  const [lo, hi] = wallCountRange(size);
  const oracle = { walls: 0, moves: 0, trials: 0 };
  const rng = new Rng("oracle");
  for (let got = 0; got < n;) {
    oracle.trials++;
    const k = rng.range(lo, hi), perm = rng.permutation(size * size);
    const blocked = new Uint8Array(size * size);
    for (let i = 0; i < k; i++) blocked[perm[i]] = 1;
    const s = perm[k + rng.int(size * size - k)];
    let g = perm[k + rng.int(size * size - k)];
    while (g === s) g = perm[k + rng.int(size * size - k)];
    const d = bfsDistance(blocked, size, s, g);
    if (d <= minPath) continue;
    got++;
    oracle.walls += k;
    oracle.moves += d;
  }
  const ours = { walls: 0, moves: 0, trials: 0 };
  const sampler = new MazeSampler(size, minPath);
  const rng2 = new Rng("ours");
  for (let i = 0; i < n; i++) {
    const s = sampler.sample(rng2, 1e7)!;
    ours.trials += s.trials;
    ours.walls += s.blocked.reduce((a, b) => a + b, 0);
    ours.moves += s.moves;
  }
  const rate = (x: typeof ours) => n / x.trials;
  assert(Math.abs(rate(ours) / rate(oracle) - 1) < 0.08, `${rate(ours)} vs ${rate(oracle)}`);
  assert(
    Math.abs(ours.walls / n - oracle.walls / n) < 0.4,
    `${ours.walls / n} vs ${oracle.walls / n}`,
  );
  assert(
    Math.abs(ours.moves / n - oracle.moves / n) < 0.2,
    `${ours.moves / n} vs ${oracle.moves / n}`,
  );
});

Deno.test("maze jobs: same stream, same maze; another index, another maze", () => {
  const job = {
    key: 0,
    size: 10,
    minPath: 12,
    seed: 5,
    split: "train" as const,
    index: 3,
    retry: 0,
    maxTrials: 1e7,
  };
  const a = runMazeJob(job);
  runMazeJob({ ...job, size: 8, minPath: 6 }); // a different sampler in between changes nothing
  const b = runMazeJob(job);
  assertEquals(a.input, b.input);
  assertEquals(a.label, b.label);
  assertEquals(a.trials, b.trials);
  const c = runMazeJob({ ...job, index: 4 });
  assert(c.input!.join() !== a.input!.join());
});

Deno.test("maze sampler: gives up after maxTrials", () => {
  // paths > 40 moves on 8x8 exist but are far rarer than 1 in 200 trials
  assertEquals(new MazeSampler(8, 40).sample(new Rng(1), 200), null);
  const r = runMazeJob({
    key: 9,
    size: 8,
    minPath: 40,
    seed: 1,
    split: "test",
    index: 0,
    retry: 0,
    maxTrials: 200,
  });
  assertEquals(r.input, undefined);
  assertEquals(r.trials, 200);
});
