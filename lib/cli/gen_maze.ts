/**
 * `hrm gen maze`: generates a Maze-Hard dataset (Lehnert et al.'s generator with the HRM paper's
 * path-length filter, see datasets/maze/sampler.ts) or imports the published CSV, in the layout
 * of the reference's build_maze_dataset.py.
 *
 * @module
 */
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { Command, CommandContext } from "./command.ts";
import { HrmError } from "../errors.ts";
import { prepareOutput } from "../io/folders.ts";
import { generateMazeDataset } from "../../datasets/maze/generate.ts";
import { importMazeCsv } from "../../datasets/maze/csv.ts";
import { impossibleReason } from "../../datasets/maze/sampler.ts";

/**
 * The default `--min-path` for a size: the paper's 110 moves at 30×30, otherwise scaled with the
 * cell count (⌊110·N²/900⌋), which keeps the path's share of the grid; 110 itself is out of
 * reach below about 20×20.
 *
 * @param size Side length.
 * @returns Moves a path must exceed.
 *
 * @example
 * ```ts
 * import { defaultMinPath } from "./gen_maze.ts";
 * if (defaultMinPath(30) !== 110 || defaultMinPath(10) !== 12) throw new Error();
 * ```
 */
export function defaultMinPath(size: number): number {
  return size === 30 ? 110 : Math.floor((110 * size * size) / 900);
}

function integer(ctx: CommandContext, name: string, min: number): number {
  const v = ctx.flags[name];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new HrmError(undefined, `gen maze: --${name} must be an integer >= ${min}, got ${v}`, {
      exitCode: 2,
    });
  }
  return v;
}

/** `hrm gen maze`: generate a Maze dataset. */
export const genMaze: Command = {
  name: "gen maze",
  summary: "generate a Maze dataset (or import the published CSV)",
  usage: "gen maze --out DIR [options]",
  description:
    "Random N×N mazes (walls 30-50% of cells, random start and goal) whose shortest path has\n" +
    "more than --min-path moves; the label marks one shortest path (the Searchformer A*\n" +
    "tie-break). Writes <out>/{train,test} and identifiers.json; train and test share no wall\n" +
    "layout. The same --seed gives the same bytes for any --workers.\n" +
    "As in the paper:\n" +
    "  hrm gen maze --out data/maze-30x30-hard-1k\n" +
    "From the published CSVs (train.csv, test.csv of sapientinc/maze-30x30-hard-1k):\n" +
    "  hrm gen maze --from-csv DIR --out data/maze-30x30-hard-1k",
  flags: [
    { name: "out", type: "string", arg: "DIR", help: "output dataset folder (required)" },
    { name: "size", type: "number", arg: "N", default: 30, help: "side length of the grid" },
    {
      name: "min-path",
      type: "number",
      arg: "MOVES",
      help: "keep mazes whose shortest path has more moves than this " +
        "(default 110 at size 30, else floor(110*N*N/900))",
    },
    { name: "train", type: "number", arg: "N", default: 1000, help: "training mazes" },
    { name: "test", type: "number", arg: "N", default: 1000, help: "test mazes" },
    {
      name: "aug",
      type: "boolean",
      default: false,
      help: "add the 8 dihedral transforms of each training maze (off in the paper)",
    },
    { name: "seed", type: "number", default: 0, help: "seed of every random choice" },
    {
      name: "workers",
      type: "number",
      default: navigator.hardwareConcurrency,
      help: "worker threads (0: generate in the main thread); output is the same for any count",
    },
    {
      name: "from-csv",
      type: "string",
      arg: "PATH",
      help: "import the published CSV instead of generating: a folder with train.csv and " +
        "test.csv, or one train*.csv / test*.csv file (only --out and --aug apply)",
    },
    {
      name: "overwrite",
      type: "boolean",
      help: "replace a dataset already in --out (otherwise refused)",
    },
  ],
  async run(ctx: CommandContext): Promise<void> {
    const out = ctx.flags.out;
    if (typeof out !== "string" || out === "") {
      throw new HrmError(undefined, "gen maze needs --out DIR", { exitCode: 2 });
    }
    await prepareOutput(out, "dataset", ctx.flags.overwrite === true);
    const aug = ctx.flags.aug === true;
    const fromCsv = ctx.flags["from-csv"];
    if (typeof fromCsv === "string") {
      const s = await importMazeCsv({ from: fromCsv, out, aug });
      console.log(
        `${out}: ${s.size}x${s.size} mazes from ${fromCsv}; train ${s.mazes.train} mazes ` +
          `(${s.puzzles.train} puzzles), test ${s.mazes.test}`,
      );
      if (s.nonOptimal > 0) {
        console.warn(`warning: ${s.nonOptimal} answers are valid paths but not shortest ones`);
      }
      if (s.leaked > 0) {
        console.warn(`warning: ${s.leaked} test mazes share their wall layout with a train maze`);
      }
      return;
    }
    const size = integer(ctx, "size", 2);
    const minPath = ctx.flags["min-path"] === undefined
      ? defaultMinPath(size)
      : integer(ctx, "min-path", 0);
    const train = integer(ctx, "train", 0), test = integer(ctx, "test", 0);
    const seed = integer(ctx, "seed", Number.MIN_SAFE_INTEGER);
    const workers = integer(ctx, "workers", 0);
    const why = impossibleReason(size, minPath);
    if (why) throw new HrmError(undefined, `gen maze: ${why}`, { exitCode: 2 });
    const abort = new AbortController();
    const onInterrupt = (): void => abort.abort();
    Deno.addSignalListener("SIGINT", onInterrupt);
    const bar = new ProgressBar({
      max: train + test,
      fmt: (f) => `[${f.styledTime}] ${f.progressBar} ${f.value}/${f.max} mazes`,
    });
    const t0 = performance.now();
    try {
      const s = await generateMazeDataset({
        out,
        size,
        minPath,
        train,
        test,
        aug,
        seed,
        workers,
        signal: abort.signal,
        onProgress: (done) => (bar.value = done),
      });
      await bar.stop();
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `${out}: ${size}x${size}, paths > ${minPath} moves; train ${train} mazes ` +
          `(${s.puzzles.train} puzzles), test ${test}; moves min ${s.moves.min} mean ` +
          `${s.moves.mean.toFixed(1)} max ${s.moves.max}; ${s.trials} trials, ` +
          `${secs.toFixed(1)} s`,
      );
    } catch (e) {
      await bar.stop();
      throw e;
    } finally {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    }
  },
};
