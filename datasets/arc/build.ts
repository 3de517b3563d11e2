/**
 * `buildArcDataset`: the whole ARC build, streamed. Loads and validates every task first (so a
 * bad file stops the build before anything is written), warns about test-set leaks, augments and
 * encodes tasks on Web Workers, and streams groups to the train and test {@linkcode SplitWriter}s
 * in task order, so memory stays bounded and the bytes do not depend on the worker count.
 *
 * Puzzle identifiers are numbered as in the reference: 0 is `<blank>`, then every puzzle of the
 * train split in order (each group: the original, then its variants); a test-split puzzle reuses
 * the identifier of the same variant's train puzzle (its demonstrations), and test-only tasks
 * (no demonstrations) come last.
 *
 * @module
 */
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import { HrmError } from "../../lib/errors.ts";
import { SplitWriter, writeIdentifiers } from "../../lib/io/dataset.ts";
import { variantName } from "./augment.ts";
import { type ArcGroupArrays, VARIANT_BYTES } from "./build_task.ts";
import { ARC_SEQ_LEN, ARC_VOCAB_SIZE, PAD_TOKEN } from "./encode.ts";
import { type ArcTestTask, gridToRows, writeArcVariants } from "./invert.ts";
import { type ArcLeak, findLeaks, leakWarning } from "./leak.ts";
import { loadArcTasks } from "./load.ts";
import { runArcTasks } from "./pool.ts";
import type { ArcTask } from "./task.ts";

/** Options of {@linkcode buildArcDataset}. */
export interface ArcBuildOptions {
  /** Task folders (searched recursively), task files, or Kaggle `*_challenges.json` files. */
  sources: string[];
  /** Output dataset directory (created if missing). */
  out: string;
  /** Augmented variants per task besides the original. @default {1000} */
  aug?: number;
  /** Seed of every random choice. @default {42} */
  seed?: number;
  /** Folder / Kaggle subset name(s) whose tasks form the test split. @default {"evaluation"} */
  testSet?: string | string[];
  /** Web Workers; 0 builds in this thread. @default {navigator.hardwareConcurrency} */
  workers?: number;
  /** Draw a progress bar on stderr. @default {true} */
  progress?: boolean;
  /** Where warnings go, one message per call. @default {a line on stderr} */
  log?: (message: string) => void;
  /** Aborting stops the build and removes partial files. */
  signal?: AbortSignal;
}

/** What {@linkcode buildArcDataset} wrote. */
export interface ArcBuildSummary {
  /** Tasks built (groups of the train split plus test-only tasks). */
  tasks: number;
  /** Test-set tasks. */
  testTasks: number;
  /** Puzzles (variants) in the train split. */
  trainPuzzles: number;
  /** Examples in the train split. */
  trainExamples: number;
  /** Puzzles in the test split. */
  testPuzzles: number;
  /** Examples in the test split. */
  testExamples: number;
  /** num_puzzle_identifiers, `<blank>` included. */
  numPuzzleIdentifiers: number;
  /** Test pairs also present in the training data. */
  leaks: ArcLeak[];
  /** Every warning logged. */
  warnings: string[];
}

/**
 * Builds an HRM ARC dataset: `<out>/{train,test}/`, `<out>/identifiers.json` and
 * `<out>/arc_variants.json` (see datasets/arc/invert.ts). The test split is only written when
 * some task is in the test set.
 *
 * @param opts See {@linkcode ArcBuildOptions}.
 * @returns Counts, leaks and warnings.
 * @throws {HrmError} For bad options, unreadable or malformed task files, or an abort; nothing is
 *   left half-written.
 *
 * @example A small build
 * ```ts ignore
 * const s = await buildArcDataset({ sources: ["ARC-AGI-1"], out: "data/arc-small", aug: 10 });
 * console.log(s.trainPuzzles, s.testPuzzles);
 * ```
 */
export async function buildArcDataset(opts: ArcBuildOptions): Promise<ArcBuildSummary> {
  const aug = opts.aug ?? 1000, seed = opts.seed ?? 42;
  const workers = opts.workers ?? navigator.hardwareConcurrency;
  const testSet = typeof opts.testSet === "string"
    ? [opts.testSet]
    : opts.testSet ?? ["evaluation"];
  const usage = (problem: string) => new HrmError(undefined, problem, { exitCode: 2 });
  if (!Number.isInteger(aug) || aug < 0) throw usage(`--aug must be an integer >= 0, got ${aug}`);
  if (!Number.isSafeInteger(seed)) throw usage(`--seed must be an integer, got ${seed}`);
  if (!Number.isInteger(workers) || workers < 0) {
    throw usage(`--workers must be an integer >= 0, got ${workers}`);
  }
  const warnings: string[] = [];
  const log = (m: string): void => {
    warnings.push(m);
    (opts.log ?? ((s: string) => console.error(`hrm: ${s}`)))(m);
  };

  const loaded = await loadArcTasks(opts.sources, testSet);
  loaded.warnings.forEach(log);
  const tasks = orderTasks(loaded.tasks, log);
  const testTaskCount = tasks.filter((t) => t.inTestSet).length;
  const leaks = findLeaks(tasks);
  const warning = leakWarning(leaks, testTaskCount);
  if (warning !== null) log(warning);

  if (opts.signal?.aborted) throw new HrmError(opts.out, "ARC build interrupted");
  await Deno.mkdir(opts.out, { recursive: true });
  const splitOpts = {
    seq_len: ARC_SEQ_LEN,
    vocab_size: ARC_VOCAB_SIZE,
    pad_id: PAD_TOKEN,
    ignore_label_id: PAD_TOKEN,
    blank_identifier_id: 0,
  };
  const train = new SplitWriter(opts.out, "train", splitOpts);
  const test = testTaskCount > 0 ? new SplitWriter(opts.out, "test", splitOpts) : null;
  const names = ["<blank>"];
  const testTasks: ArcTestTask[] = [];
  const testIds: number[] = [], testTaskIndex: number[] = [], testVariants: Uint8Array[] = [];
  const counts = { trainPuzzles: 0, trainExamples: 0, testPuzzles: 0, testExamples: 0 };
  let done = 0;
  const bar = opts.progress === false ? null : new ProgressBar({
    max: tasks.length,
    fmt: (f) =>
      `${f.styledTime} ${f.progressBar} ${f.value}/${f.max} ARC tasks, ${
        counts.trainPuzzles + counts.testPuzzles
      } puzzles`,
  });
  try {
    for await (const groups of runArcTasks(tasks, { aug, seed, workers })) {
      if (opts.signal?.aborted) throw new HrmError(opts.out, "ARC build interrupted");
      const task = tasks[done];
      const n = groups.variants.length / VARIANT_BYTES;
      const firstId = names.length;
      for (let i = 0; i < n; i++) {
        const v = groups.variants.subarray(i * VARIANT_BYTES, (i + 1) * VARIANT_BYTES);
        names.push(variantName(task.name, i === 0 ? null : { t: v[0], colours: v.subarray(1) }));
      }
      if (groups.train) {
        await train.addGroup(puzzles(groups.train, firstId, n));
        counts.trainPuzzles += n;
        counts.trainExamples += n * groups.train.examplesPerPuzzle;
      }
      if (groups.test && test) {
        await test.addGroup(puzzles(groups.test, firstId, n));
        for (let i = 0; i < n; i++) {
          testIds.push(firstId + i);
          testTaskIndex.push(testTasks.length);
        }
        testVariants.push(groups.variants);
        testTasks.push({
          name: task.name,
          file: task.file,
          test_inputs: task.test.map((p) => gridToRows(p.input)),
          test_outputs: task.test.map((p) => (p.output ? gridToRows(p.output) : null)),
        });
        counts.testPuzzles += n;
        counts.testExamples += n * groups.test.examplesPerPuzzle;
      }
      done++;
      if (bar) bar.value = done;
    }
    await train.finish({ num_puzzle_identifiers: names.length });
    await test?.finish({ num_puzzle_identifiers: names.length });
    await writeIdentifiers(opts.out, names);
    await writeArcVariants(opts.out, { seed, aug, test_set: testSet }, testTasks, {
      puzzle_identifier: testIds,
      task: testTaskIndex,
      variants: concat(testVariants),
    });
  } catch (e) {
    await train.abort();
    await test?.abort();
    throw e;
  } finally {
    await bar?.stop();
  }
  return {
    tasks: tasks.length,
    testTasks: testTaskCount,
    ...counts,
    numPuzzleIdentifiers: names.length,
    leaks,
    warnings,
  };
}

/**
 * Tasks with train-split pairs first (their order numbers the identifiers), then test-only
 * tasks; tasks with nothing to build are dropped with a warning.
 */
function orderTasks(tasks: ArcTask[], log: (m: string) => void): ArcTask[] {
  const hasTrain = (t: ArcTask): boolean =>
    t.train.length > 0 || (!t.inTestSet && t.test.some((p) => p.output !== null));
  const empty = tasks.filter((t) => !hasTrain(t) && !(t.inTestSet && t.test.length > 0));
  for (const t of empty) log(`${t.file}: task ${t.name} has no pairs with known outputs, skipped`);
  return [
    ...tasks.filter(hasTrain),
    ...tasks.filter((t) => !hasTrain(t) && t.inTestSet && t.test.length > 0),
  ];
}

/** A group's puzzles as views into the worker's buffers. */
function puzzles(part: ArcGroupArrays, firstId: number, n: number) {
  const k = part.examplesPerPuzzle;
  return Array.from({ length: n }, (_, i) => ({
    puzzle_identifier: firstId + i,
    examples: Array.from({ length: k }, (_, j) => {
      const at = (i * k + j) * ARC_SEQ_LEN;
      return {
        input: part.inputs.subarray(at, at + ARC_SEQ_LEN),
        label: part.labels.subarray(at, at + ARC_SEQ_LEN),
      };
    }),
  }));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
