/**
 * The leak guard: finds test-set tasks whose test pairs (input and output) also appear among the
 * train split's pairs of another task, e.g. ARC-AGI-1 evaluation tasks inside ARC-AGI-2
 * training. Training on those inflates the test score, so the build warns loudly.
 *
 * @module
 */
import { contentHash } from "./augment.ts";
import type { ArcPair, ArcTask } from "./task.ts";

/** One test pair found in training data. */
export interface ArcLeak {
  /** The test-set task. */
  task: string;
  /** Its file. */
  file: string;
  /** Index of the leaked test pair. */
  testIndex: number;
  /** Files of the other tasks whose train-split pairs contain it. */
  foundIn: string[];
}

/**
 * Finds every test pair of a test-set task that another task puts in the train split. A pair
 * matches on input and output; a test pair with an unknown output matches on its input alone.
 *
 * @param tasks All tasks of the build.
 * @returns The leaks, in task order.
 *
 * @example The same task in a training folder leaks
 * ```ts
 * import { findLeaks } from "./leak.ts";
 * const g = { h: 1, w: 1, data: new Uint8Array([3]) };
 * const pair = { input: g, output: g };
 * const t = (name: string, inTestSet: boolean) => ({ name, file: name, inTestSet, train: [], test: [pair] });
 * if (findLeaks([t("a", true), t("b", false)])[0]?.foundIn[0] !== "b") throw new Error();
 * ```
 */
export function findLeaks(tasks: ArcTask[]): ArcLeak[] {
  const pairs = new Map<number, number[]>();
  const inputs = new Map<number, number[]>();
  const note = (map: Map<number, number[]>, key: number, owner: number): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [owner]);
    else if (list[list.length - 1] !== owner) list.push(owner);
  };
  tasks.forEach((task, i) => {
    const train: ArcPair[] = task.inTestSet
      ? task.train
      : [...task.train, ...task.test.filter((p) => p.output !== null)];
    for (const p of train) {
      note(pairs, contentHash([p]), i);
      note(inputs, contentHash([{ input: p.input, output: null }]), i);
    }
  });
  const leaks: ArcLeak[] = [];
  tasks.forEach((task, i) => {
    if (!task.inTestSet) return;
    task.test.forEach((p, testIndex) => {
      const owners = p.output !== null
        ? pairs.get(contentHash([p]))
        : inputs.get(contentHash([{ input: p.input, output: null }]));
      const others = (owners ?? []).filter((o) => o !== i).map((o) => tasks[o].file);
      if (others.length > 0) {
        leaks.push({ task: task.name, file: task.file, testIndex, foundIn: others });
      }
    });
  });
  return leaks;
}

/**
 * The loud warning for {@linkcode findLeaks}'s result, or null when there are no leaks.
 *
 * @param leaks The leaks.
 * @param testTasks How many test-set tasks the build has.
 * @returns Warning lines for stderr.
 */
export function leakWarning(leaks: ArcLeak[], testTasks: number): string | null {
  if (leaks.length === 0) return null;
  const byTask = new Map<string, ArcLeak>();
  for (const l of leaks) if (!byTask.has(l.task)) byTask.set(l.task, l);
  const lines = [
    `WARNING: TEST-SET LEAK: ${byTask.size} of ${testTasks} test tasks have test pairs that also ` +
    `appear in the training data (${leaks.length} pairs):`,
  ];
  for (const l of [...byTask.values()].slice(0, 5)) {
    lines.push(`  ${l.file} test[${l.testIndex}] is also in ${l.foundIn.slice(0, 2).join(", ")}`);
  }
  if (byTask.size > 5) lines.push(`  ... and ${byTask.size - 5} more tasks`);
  lines.push(
    "  Scores on this test set will be inflated by what the model saw in training (for example, " +
      "ARC-AGI-2/training contains 376 of the 400 ARC-AGI-1 evaluation tasks).",
  );
  return lines.join("\n");
}
