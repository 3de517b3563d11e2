import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { loadArcTasks } from "../../datasets/arc/load.ts";

const FIXTURES = new URL("../fixtures/arc/", import.meta.url).pathname;

Deno.test("folders load recursively; evaluation tasks are the test set", async () => {
  const { tasks, warnings } = await loadArcTasks(
    [join(FIXTURES, "ARC-AGI-1"), join(FIXTURES, "ConceptARC/corpus")],
    ["evaluation"],
  );
  assertEquals(warnings, []);
  assertEquals(
    tasks.map((t) => `${t.name}:${t.inTestSet}`),
    ["00576224:true", "66e6c45b:true", "6150a2bd:false", "d631b094:false", "Center2:false"],
  );
  const center = tasks[4];
  assertEquals([center.train.length, center.test.length], [3, 3]);
  assertEquals(center.test[1].input.w, 11);
  assertEquals(Array.from(center.test[1].output!.data), [6]);
});

Deno.test("a source folder named like the test set is the test set", async () => {
  const { tasks } = await loadArcTasks([join(FIXTURES, "ARC-AGI-1/evaluation")], ["evaluation"]);
  assert(tasks.every((t) => t.inTestSet));
  const other = await loadArcTasks([join(FIXTURES, "ARC-AGI-1/evaluation")], ["held-out"]);
  assert(other.tasks.every((t) => !t.inTestSet));
});

Deno.test("Kaggle combined files load with their solutions", async () => {
  const { tasks } = await loadArcTasks([join(FIXTURES, "kaggle")], ["evaluation"]);
  assertEquals(tasks.map((t) => `${t.name}:${t.inTestSet}`), [
    "00576224:true",
    "66e6c45b:true",
    "6150a2bd:false",
    "d631b094:false",
  ]);
  const folder = await loadArcTasks([join(FIXTURES, "ARC-AGI-1/evaluation/66e6c45b.json")], []);
  assertEquals(tasks[1].test, folder.tasks[0].test);
  assertEquals(tasks[1].train, folder.tasks[0].train);
});

Deno.test("Kaggle challenges without solutions have unknown test outputs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(
      join(FIXTURES, "kaggle/arc-agi_evaluation_challenges.json"),
      join(dir, "arc-agi_evaluation_challenges.json"),
    );
    const { tasks, warnings } = await loadArcTasks([dir], ["evaluation"]);
    assertEquals(tasks[0].test[0].output, null);
    assertStringIncludes(warnings[0], "test outputs unknown");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("name clashes: test-set tasks keep their names, others are renamed", async () => {
  const { tasks, warnings } = await loadArcTasks(
    [join(FIXTURES, "ARC-AGI-2"), join(FIXTURES, "ARC-AGI-1/evaluation")],
    ["evaluation"],
  );
  assertEquals(tasks.map((t) => t.name), ["00576224-2", "00576224", "66e6c45b"]);
  assertEquals(tasks[0].inTestSet, false);
  assertStringIncludes(warnings.join("\n"), "name clash");
});

const good = {
  train: [{ input: [[1, 2]], output: [[3]] }],
  test: [{ input: [[0]], output: [[0]] }],
};

const BAD: [string, string, string][] = [
  ["malformed JSON", '{"train": [', "Cannot parse JSON"],
  [
    "grid over 30×30",
    JSON.stringify({ ...good, train: [{ input: Array(31).fill([1]), output: [[1]] }] }),
    "larger than 30×30",
  ],
  [
    "row over 30",
    JSON.stringify({ ...good, test: [{ input: [Array(31).fill(1)], output: [[1]] }] }),
    "31, larger",
  ],
  [
    "colour 10",
    JSON.stringify({ ...good, train: [{ input: [[10]], output: [[1]] }] }),
    "cell (0, 0) is 10",
  ],
  [
    "negative colour",
    JSON.stringify({ ...good, train: [{ input: [[1]], output: [[1, -1]] }] }),
    "train[0].output: cell (0, 1) is -1",
  ],
  [
    "fractional colour",
    JSON.stringify({ ...good, train: [{ input: [[1.5]], output: [[1]] }] }),
    "is 1.5",
  ],
  [
    "ragged rows",
    JSON.stringify({ ...good, train: [{ input: [[1, 2], [3]], output: [[1]] }] }),
    "ragged rows: row 1 has 1 cells",
  ],
  [
    "empty grid",
    JSON.stringify({ ...good, test: [{ input: [], output: [[1]] }] }),
    "test[0].input: empty grid",
  ],
  ["empty row", JSON.stringify({ ...good, test: [{ input: [[]], output: [[1]] }] }), "empty grid"],
  ["missing output", JSON.stringify({ ...good, train: [{ input: [[1]] }] }), 'missing "output"'],
  ["no train list", JSON.stringify({ test: good.test }), '"train" must be a list'],
  ["not an object", "[1, 2]", "expected an object"],
  ["no pairs", JSON.stringify({ train: [], test: [] }), "no pairs"],
];

for (const [label, text, problem] of BAD) {
  Deno.test(`bad input: ${label} is an HrmError naming file and task`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(dir, "training"));
      await Deno.writeTextFile(join(dir, "training", "ok.json"), JSON.stringify(good));
      await Deno.writeTextFile(join(dir, "training", "broken.json"), text);
      const e = await assertRejects(() => loadArcTasks([dir], ["evaluation"]), HrmError);
      assertStringIncludes(e.message, join(dir, "training", "broken.json"));
      if (label !== "malformed JSON") assertStringIncludes(e.message, "task broken");
      assertStringIncludes(e.message, problem);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("bad input: a missing source or an empty folder is an HrmError", async () => {
  await assertRejects(() => loadArcTasks(["/nonexistent/arc"], []), HrmError, "Cannot read source");
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => loadArcTasks([dir], []), HrmError, "no ARC task JSON files");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: a Kaggle solutions file given as a source is an HrmError", async () => {
  await assertRejects(
    () => loadArcTasks([join(FIXTURES, "kaggle/arc-agi_training_solutions.json")], []),
    HrmError,
    "pass its arc-agi_*_challenges.json",
  );
});

Deno.test("bad input: a Kaggle solutions file that disagrees is an HrmError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "arc-agi_evaluation_challenges.json"),
      JSON.stringify({ abc: { train: good.train, test: [{ input: [[1]] }, { input: [[2]] }] } }),
    );
    await Deno.writeTextFile(join(dir, "arc-agi_evaluation_solutions.json"), '{"abc": [[[1]]]}');
    await assertRejects(
      () => loadArcTasks([dir], ["evaluation"]),
      HrmError,
      "task abc: 1 test outputs for 2 test inputs",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
