/**
 * `hrm gen sudoku`: generates a Sudoku-Extreme-like dataset offline (random minimal puzzles plus
 * tdoku-style local-search pools, datasets/sudoku/) or imports the published CSVs, in the layout
 * of the reference's build_sudoku_dataset.py.
 *
 * @module
 */
import { generateMiniSudokuDataset } from "../../datasets/sudoku/mini.ts";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import type { Command, CommandContext } from "./command.ts";
import { HrmError } from "../errors.ts";
import { prepareOutput } from "../io/folders.ts";
import {
  DEFAULT_MIX,
  estimateSeconds,
  generateSudokuDataset,
  generationPlan,
} from "../../datasets/sudoku/dataset.ts";
import { plural } from "./help.ts";
import { importSudokuCsv } from "../../datasets/sudoku/import.ts";

function integer(ctx: CommandContext, name: string, min: number, fallback?: number): number {
  const v = ctx.flags[name] ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new HrmError(undefined, `gen sudoku: --${name} must be an integer >= ${min}, got ${v}`, {
      exitCode: 2,
    });
  }
  return v;
}

function optionalInteger(ctx: CommandContext, name: string, min: number): number | undefined {
  return ctx.flags[name] === undefined ? undefined : integer(ctx, name, min);
}

/** `hrm gen sudoku`: generate a Sudoku dataset. */
export const genSudoku: Command = {
  name: "gen sudoku",
  summary: "generate a Sudoku dataset (or import the published CSV)",
  usage: "gen sudoku --out DIR [options]",
  description:
    "Sudoku-Extreme-like puzzles, each with exactly one solution: a --mix share of random\n" +
    "minimal puzzles (easy) and the rest from many seeded tdoku-style local-search pools\n" +
    "(hard); rating = solver guesses to the first solution, default mean about 22. Train and\n" +
    "test come from disjoint pools and no test puzzle is a symmetry of a train puzzle. Train\n" +
    "puzzles get --aug augmented copies (digits, transpose, bands/rows, stacks/columns).\n" +
    "The same --seed gives the same bytes for any --workers.\n" +
    "As in the paper (Sudoku-Extreme 1k, aug 1000):\n" +
    "  hrm gen sudoku --out data/sudoku-extreme-1k-aug-1000\n" +
    "From the published CSVs (train.csv, test.csv of sapientinc/sudoku-extreme):\n" +
    "  hrm gen sudoku --from-csv DIR --subsample 1000 --out data/sudoku-extreme-1k-aug-1000",
  flags: [
    { name: "out", type: "string", arg: "DIR", help: "output dataset folder (required)" },
    { name: "train", type: "number", arg: "N", default: 1000, help: "training puzzles" },
    { name: "test", type: "number", arg: "N", default: 1000, help: "test puzzles" },
    {
      name: "aug",
      type: "number",
      arg: "K",
      default: 1000,
      help: "augmented copies per training puzzle (test is never augmented)",
    },
    { name: "seed", type: "number", default: 0, help: "seed of every random choice" },
    {
      name: "mini",
      type: "boolean",
      help: "4×4 Sudoku as in `hrm demo` (symmetry-disjoint splits; defaults --test 200 --aug 8)",
    },
    {
      name: "workers",
      type: "number",
      default: navigator.hardwareConcurrency,
      help: "worker threads (0: generate in the main thread); output is the same for any count",
    },
    {
      name: "min-rating",
      type: "number",
      arg: "R",
      default: 0,
      help:
        "keep puzzles rated >= R (above 5 every puzzle comes from the hard pools; slow above ~50)",
    },
    {
      name: "mix",
      type: "number",
      arg: "F",
      default: DEFAULT_MIX,
      help: "share of easy (random minimal) puzzles, 0..1",
    },
    {
      name: "csv",
      type: "boolean",
      default: false,
      help: "also write train.csv and test.csv (source,question,answer,rating) in --out",
    },
    {
      name: "from-csv",
      type: "string",
      arg: "PATH",
      help: "import the published CSV instead of generating: a folder with train.csv and " +
        "test.csv, or the train CSV file (then --test-csv)",
    },
    { name: "test-csv", type: "string", arg: "FILE", help: "the test CSV for --from-csv FILE" },
    {
      name: "min-difficulty",
      type: "number",
      arg: "R",
      help: "with --from-csv: keep rows rated >= R (both splits)",
    },
    {
      name: "subsample",
      type: "number",
      arg: "N",
      help: "with --from-csv: keep N training rows, drawn with --seed",
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
      throw new HrmError(undefined, "gen sudoku needs --out DIR", { exitCode: 2 });
    }
    await prepareOutput(out, "dataset", ctx.flags.overwrite === true);
    const aug = integer(ctx, "aug", 0, 1000);
    const seed = integer(ctx, "seed", Number.MIN_SAFE_INTEGER, 0);
    const csv = ctx.flags.csv === true;
    if (ctx.flags.mini === true) {
      const r = await generateMiniSudokuDataset({
        out,
        // The 9×9 defaults (1000 test, aug 1000) do not fit 4×4 (~1200 symmetry classes with
        // this many clues): --mini uses the demo's 200 test puzzles and 8 variants instead.
        train: integer(ctx, "train", 1, 1000),
        test: ctx.flags.test === 1000 ? 200 : integer(ctx, "test", 1),
        aug: aug === 1000 ? 8 : aug,
        extraClues: 6,
        seed,
      });
      console.log(
        `wrote ${r.train} training and ${r.test} test 4×4 puzzles ` +
          `(${r.meanBlanks.toFixed(1)} blanks on average) to ${out}`,
      );
      return;
    }
    const abort = new AbortController();
    const onInterrupt = (): void => abort.abort(new HrmError(out, "gen sudoku: interrupted"));
    Deno.addSignalListener("SIGINT", onInterrupt);
    const t0 = performance.now();
    const secs = (): string => ((performance.now() - t0) / 1000).toFixed(1);
    try {
      const fromCsv = ctx.flags["from-csv"];
      if (typeof fromCsv === "string") {
        const testCsv = ctx.flags["test-csv"];
        const s = await importSudokuCsv({
          from: fromCsv,
          testCsv: typeof testCsv === "string" ? testCsv : undefined,
          out,
          aug,
          seed,
          minDifficulty: optionalInteger(ctx, "min-difficulty", 0),
          subsample: optionalInteger(ctx, "subsample", 1),
          csv,
          signal: abort.signal,
          onProgress: (split, rows) => console.error(`${split}: ${rows} rows read`),
        });
        console.log(
          `${out}: from ${fromCsv}; train ${s.train.groups} puzzles (${s.train.puzzles} with ` +
            `augmentation, mean rating ${rating(s.train.meanRating)}), test ${s.test.groups} ` +
            `(mean rating ${rating(s.test.meanRating)}); ${secs()} s`,
        );
        return;
      }
      const train = integer(ctx, "train", 0, 1000), test = integer(ctx, "test", 0, 1000);
      const mix = ctx.flags.mix ?? DEFAULT_MIX;
      if (typeof mix !== "number" || !(mix >= 0 && mix <= 1)) {
        throw new HrmError(undefined, `gen sudoku: --mix must be in [0, 1], got ${mix}`, {
          exitCode: 2,
        });
      }
      const workers = integer(ctx, "workers", 0, navigator.hardwareConcurrency);
      const minRating = integer(ctx, "min-rating", 0, 0);
      // Hard puzzles come from search pools that report only when they finish, so the bar can
      // stand still for minutes: say up front what to expect and keep an estimate on it.
      const plan = generationPlan({ train, test, mix, minRating });
      const parallel = Math.max(1, Math.min(workers, navigator.hardwareConcurrency));
      const kinds = ["easy", "moderate", "extreme"].map((k) =>
        `${plan.filter((p) => p.kind === k).reduce((a, p) => a + p.n, 0)} ${k}`
      );
      const hard = plan.some((p) => p.kind !== "easy" && p.n > 0);
      console.error(
        `generating ${train} train + ${test} test puzzles (${kinds.join(", ")})` +
          `${hard ? "; the hard ones come from search pools that report in bursts" : ""}` +
          `; estimate: about ` +
          `${duration(estimateSeconds(plan, 0, parallel))} with ${plural(parallel, "core")}` +
          `${minRating > 0 ? " (longer with --min-rating)" : ""}`,
      );
      const bar = new ProgressBar({
        max: train + test,
        fmt: (f) =>
          `[${f.styledTime}] ${f.progressBar} ${f.value}/${f.max} puzzles, ${
            timeLeft(
              estimateSeconds(plan, 0, parallel),
              estimateSeconds(plan, f.value, parallel),
              f.time / 1000,
            )
          }`,
      });
      let s;
      try {
        s = await generateSudokuDataset({
          out,
          train,
          test,
          aug,
          seed,
          mix,
          minRating,
          workers,
          csv,
          signal: abort.signal,
          onProgress: (done) => (bar.value = done),
        });
      } finally {
        await bar.stop();
      }
      console.log(
        `${out}: train ${s.train.groups} puzzles (${s.train.puzzles} with augmentation, mean ` +
          `rating ${rating(s.train.meanRating)}), test ${s.test.groups} (mean rating ` +
          `${rating(s.test.meanRating)}); ${secs()} s`,
      );
    } finally {
      Deno.removeSignalListener("SIGINT", onInterrupt);
    }
  },
};

/** A mean rating, or `-` for an empty split. */
function rating(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : "-";
}

/**
 * The bar's time note: the estimate left for the puzzles not yet made, or, once the run has taken
 * longer than the whole estimate (a busy or slower CPU), that it has, instead of a stale figure.
 *
 * @param total Estimated seconds for the whole run.
 * @param left Estimated seconds for the puzzles not yet made.
 * @param elapsed Seconds since the start.
 * @returns E.g. `about 12 s left` or `past the 12 s estimate (a busy CPU is slower)`.
 *
 * @example
 * ```ts
 * import { timeLeft } from "./gen_sudoku.ts";
 * if (timeLeft(12, 10, 3) !== "about 10 s left") throw new Error();
 * if (timeLeft(12, 10, 30) !== "past the 12 s estimate (a busy CPU is slower)") throw new Error();
 * ```
 */
export function timeLeft(total: number, left: number, elapsed: number): string {
  return elapsed > total && left > 0
    ? `past the ${duration(total)} estimate (a busy CPU is slower)`
    : `about ${duration(left)} left`;
}

/** `40 s`, `3 min`, `1 h 05 min`. */
function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const m = Math.round(seconds / 60);
  return m < 90 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
