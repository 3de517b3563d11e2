import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { findLeaks, leakWarning } from "../../datasets/arc/leak.ts";
import { loadArcTasks } from "../../datasets/arc/load.ts";
import type { ArcTask } from "../../datasets/arc/task.ts";

const FIXTURES = new URL("../fixtures/arc/", import.meta.url).pathname;

Deno.test("ARC-AGI-2 training's copy of an ARC-AGI-1 evaluation task is a leak", async () => {
  const { tasks } = await loadArcTasks(
    [join(FIXTURES, "ARC-AGI-1"), join(FIXTURES, "ARC-AGI-2")],
    ["evaluation"],
  );
  const leaks = findLeaks(tasks);
  assertEquals(leaks.length, 1);
  assertEquals(leaks[0].task, "00576224");
  assertEquals(leaks[0].testIndex, 0);
  assertEquals(leaks[0].foundIn, [join(FIXTURES, "ARC-AGI-2/training/00576224.json")]);
  const text = leakWarning(leaks, 2)!;
  assertStringIncludes(text, "WARNING: TEST-SET LEAK: 1 of 2 test tasks");
  assertStringIncludes(text, "ARC-AGI-1/evaluation/00576224.json test[0] is also in");
});

Deno.test("the ARC-1 build (ARC-AGI-1 + ConceptARC) has no leak", async () => {
  const { tasks } = await loadArcTasks(
    [join(FIXTURES, "ARC-AGI-1"), join(FIXTURES, "ConceptARC/corpus")],
    ["evaluation"],
  );
  assertEquals(findLeaks(tasks), []);
  assertEquals(leakWarning([], 2), null);
});

Deno.test("a test task's own demonstrations are not a leak; unknown outputs match on input", () => {
  const g = (v: number) => ({ h: 1, w: 1, data: new Uint8Array([v]) });
  const task = (
    name: string,
    inTestSet: boolean,
    train: number[][],
    test: number[][],
  ): ArcTask => ({
    name,
    file: `${name}.json`,
    inTestSet,
    train: train.map(([i, o]) => ({ input: g(i), output: g(o) })),
    test: test.map(([i, o]) => ({ input: g(i), output: o < 0 ? null : g(o) })),
  });
  // a's test pair equals its own demo; b's unknown-output input is a demo input of c.
  const tasks = [
    task("a", true, [[1, 2]], [[1, 2]]),
    task("b", true, [], [[5, -1]]),
    task("c", false, [[5, 6]], []),
  ];
  assertEquals(findLeaks(tasks).map((l) => `${l.task}<-${l.foundIn}`), ["b<-c.json"]);
  // A different output for the same input is no leak.
  assertEquals(findLeaks([task("a", true, [], [[1, 2]]), task("c", false, [[1, 3]], [])]), []);
});
