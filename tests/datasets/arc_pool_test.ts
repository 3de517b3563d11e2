import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { buildTaskGroups, VARIANT_BYTES } from "../../datasets/arc/build_task.ts";
import { cropTokens } from "../../datasets/arc/encode.ts";
import { loadArcTasks } from "../../datasets/arc/load.ts";
import { runArcTasks } from "../../datasets/arc/pool.ts";
import type { ArcTask } from "../../datasets/arc/task.ts";

const FIXTURES = new URL("../fixtures/arc/", import.meta.url).pathname;
const { tasks } = await loadArcTasks(
  [join(FIXTURES, "ARC-AGI-1"), join(FIXTURES, "ConceptARC/corpus")],
  ["evaluation"],
);

async function collect(workers: number) {
  const out = [];
  for await (const g of runArcTasks(tasks, { aug: 20, seed: 42, workers })) out.push(g);
  return out;
}

Deno.test("runArcTasks gives the same bytes in order for 0, 1 and 3 workers", async () => {
  const inline = await collect(0);
  assertEquals(inline.map((g) => g.name), tasks.map((t) => t.name));
  for (const workers of [1, 3]) assertEquals(await collect(workers), inline, `${workers} workers`);
});

Deno.test("buildTaskGroups: evaluation tasks split demos and tests, others train on both", () => {
  const evalTask = buildTaskGroups(tasks[0], 5, 42); // 00576224: 2 demos, 1 test
  assertEquals(evalTask.variants.length, 6 * VARIANT_BYTES);
  assertEquals(evalTask.train!.examplesPerPuzzle, 2);
  assertEquals(evalTask.test!.examplesPerPuzzle, 1);
  const center = buildTaskGroups(tasks[4], 5, 42); // Center2: 3 demos + 3 tests, all train
  assertEquals(center.train!.examplesPerPuzzle, 6);
  assertEquals(center.test, null);
});

Deno.test("buildTaskGroups translates all but one train example; test sits at the origin", () => {
  const g = buildTaskGroups(tasks[4], 30, 42);
  const k = g.train!.examplesPerPuzzle;
  let moved = 0;
  for (let p = 0; p < g.variants.length / VARIANT_BYTES; p++) {
    let atOrigin = 0;
    for (let j = 0; j < k; j++) {
      const at = (p * k + j) * 900;
      const inp = g.train!.inputs.subarray(at, at + 900);
      if (cropTokens(inp).h > 0) atOrigin++;
    }
    // The kept example is always at (0, 0); a translated one lands there with chance ~1/300.
    if (atOrigin < 1) throw new Error(`puzzle ${p} has no example at the origin`);
    moved += k - atOrigin;
  }
  if (moved < (k - 1) * 31 * 0.9) throw new Error(`only ${moved} examples translated`);
  const t = buildTaskGroups(tasks[0], 30, 42).test!;
  for (let p = 0; p < t.inputs.length / 900; p++) {
    assertEquals(cropTokens(t.inputs.subarray(p * 900, p * 900 + 900)).h, 2);
  }
});

Deno.test("runArcTasks surfaces a worker failure", async () => {
  const broken = { ...tasks[0], train: [{ input: null, output: null }] } as unknown as ArcTask;
  await assertRejects(
    async () => {
      for await (const _ of runArcTasks([broken], { aug: 1, seed: 1, workers: 1 })) {
        // drain
      }
    },
    Error,
    "ARC worker failed on task 00576224",
  );
});
