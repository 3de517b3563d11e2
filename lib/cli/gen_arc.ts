/**
 * `hrm gen arc`: builds an HRM ARC dataset (the reference's build_arc_dataset.py) from ARC task
 * folders or Kaggle combined files. See datasets/arc/build.ts.
 *
 * @module
 */
import type { Command, CommandContext } from "./command.ts";
import { HrmError } from "../errors.ts";
import { prepareOutput } from "../io/folders.ts";
import { buildArcDataset } from "../../datasets/arc/build.ts";

/** Flag values as a list: a collected flag may arrive as one value, a list, or its default. */
function list(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `hrm gen arc`: build an ARC dataset from task JSON files. */
export const genArc: Command = {
  name: "gen arc",
  summary: "build an ARC dataset from task JSON files",
  usage: "gen arc --source DIR [--source DIR ...] [options]",
  description:
    "Augments every task (8 dihedral transforms x permutations of colours 1-9, deduplicated)\n" +
    "and writes <out>/{train,test}, identifiers.json and arc_variants.json (what evaluation\n" +
    "needs to invert each variant). Tasks under a folder (or Kaggle subset) named by --test-set\n" +
    "send their test pairs to the test split; all other test pairs are trained on.\n" +
    "ARC-1 as in the paper:\n" +
    "  hrm gen arc --source ARC-AGI-1 --source ConceptARC/corpus --out data/arc-aug-1000\n" +
    "ARC-2:\n" +
    "  hrm gen arc --source ARC-AGI-2 --out data/arc-2-aug-1000",
  flags: [
    {
      name: "source",
      type: "string",
      collect: true,
      arg: "DIR",
      help:
        "task folder (searched recursively), task file or arc-agi_*_challenges.json; repeatable",
    },
    {
      name: "out",
      type: "string",
      arg: "DIR",
      help: "output dataset folder (default data/arc-aug-N, or data/arc-2-aug-N for ARC-AGI-2 " +
        "sources, N = --aug)",
    },
    {
      name: "aug",
      type: "number",
      default: 1000,
      help: "augmented variants per task besides the original",
    },
    { name: "seed", type: "number", default: 42, help: "seed of every random choice" },
    {
      name: "test-set",
      type: "string",
      collect: true,
      arg: "NAME",
      default: "evaluation",
      help: "folder or Kaggle subset name whose tasks form the test split; repeatable",
    },
    {
      name: "workers",
      type: "number",
      default: navigator.hardwareConcurrency,
      help: "worker threads (0: build in the main thread); output is the same for any count",
    },
    {
      name: "overwrite",
      type: "boolean",
      help: "replace a dataset already in --out (otherwise refused)",
    },
  ],
  async run(ctx: CommandContext): Promise<void> {
    const sources = list(ctx.flags.source);
    if (sources.length === 0) {
      throw new HrmError(undefined, "gen arc needs at least one --source DIR", { exitCode: 2 });
    }
    const testSet = list(ctx.flags["test-set"]);
    const abort = new AbortController();
    const onInterrupt = (): void => abort.abort();
    Deno.addSignalListener("SIGINT", onInterrupt);
    try {
      const aug = Number(ctx.flags.aug ?? 1000);
      const out = String(ctx.flags.out ?? defaultArcOut(sources, aug));
      await prepareOutput(out, "dataset", ctx.flags.overwrite === true);
      const s = await buildArcDataset({
        sources,
        out,
        aug,
        seed: Number(ctx.flags.seed ?? 42),
        testSet: testSet.length > 0 ? testSet : ["evaluation"],
        workers: Number(ctx.flags.workers ?? navigator.hardwareConcurrency),
        signal: abort.signal,
      });
      console.log(
        `${out}: ${s.tasks} tasks (${s.testTasks} in the test set); train ${s.trainPuzzles} ` +
          `puzzles / ${s.trainExamples} examples; test ${s.testPuzzles} puzzles / ` +
          `${s.testExamples} examples; ${s.numPuzzleIdentifiers} puzzle identifiers`,
      );
    } finally {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    }
  },
};

/**
 * The reference's folder names: `data/arc-aug-1000` (ARC-AGI-1 sources) or
 * `data/arc-2-aug-1000` (a source path naming ARC-AGI-2), with the --aug count in the name.
 *
 * @example
 * ```ts
 * import { defaultArcOut } from "./gen_arc.ts";
 * if (defaultArcOut(["data/ARC-AGI-2/data"], 100) !== "data/arc-2-aug-100") throw new Error();
 * ```
 */
export function defaultArcOut(sources: readonly string[], aug: number): string {
  const arc2 = sources.some((s) => /arc-?agi-?2|arc-?2\b|training2|evaluation2/i.test(s));
  return `data/arc${arc2 ? "-2" : ""}-aug-${aug}`;
}
