/**
 * Sudoku benchmark: uniqueness checks per second (solve with limit 2) for hrm's solver against
 * plain cell-order backtracking, generated puzzles per second for the easy part (random minimal
 * puzzles) and the hard part (local-search pools, rating >= 20), and the whole generator with
 * workers. Rates are per wall-clock second and per CPU second (process user+system time), since
 * the machine may be shared. Prints a table and writes bench/results/sudoku.json.
 *
 * Run: `deno run -A bench/sudoku.ts [--seconds 4] [--hard 4] [--puzzles 40] [--workers 2]`.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "@std/cli";
import { dirname, fromFileUrl, join } from "@std/path";
import { Rng } from "../datasets/rng.ts";
import { SudokuSolver } from "../datasets/sudoku/solver.ts";
import { randomMinimalPuzzle } from "../datasets/sudoku/generate.ts";
import { runTask } from "../datasets/sudoku/tasks.ts";
import { generateSudokuPuzzles } from "../datasets/sudoku/dataset.ts";
import { readSudokuCsv } from "../datasets/sudoku/csv.ts";
import { applySymmetry, randomSymmetry } from "../datasets/sudoku/augment.ts";

const args = parseArgs(Deno.args, {
  string: ["seconds", "hard", "puzzles", "workers"],
  default: { seconds: "4", hard: "4", puzzles: "40", workers: "2" },
});
const seconds = Number(args.seconds), hardN = Number(args.hard);
const puzzles = Number(args.puzzles), workers = Number(args.workers);
const here = dirname(fromFileUrl(import.meta.url));

interface Row {
  what: string;
  count: number;
  unit: string;
  wall_s: number;
  cpu_s: number;
  mean_rating?: number;
}

function clock(): () => { wall_s: number; cpu_s: number } {
  const t0 = performance.now(), c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wall_s: (performance.now() - t0) / 1e3, cpu_s: (c.user + c.system) / 1e6 };
  };
}

/** Plain backtracking (first empty cell, digits in order), counting to `limit`: the baseline. */
function naiveCount(puzzle: Uint8Array, limit: number): number {
  const g = puzzle.slice();
  const ok = (i: number, v: number): boolean => {
    const r = (i / 9) | 0, c = i % 9, br = r - (r % 3), bc = c - (c % 3);
    for (let k = 0; k < 9; k++) {
      if (g[r * 9 + k] === v || g[k * 9 + c] === v) return false;
      if (g[(br + ((k / 3) | 0)) * 9 + bc + (k % 3)] === v) return false;
    }
    return true;
  };
  let count = 0;
  const go = (i: number): boolean => {
    while (i < 81 && g[i] !== 0) i++;
    if (i === 81) return ++count >= limit;
    for (let v = 1; v <= 9; v++) {
      if (!ok(i, v)) continue;
      g[i] = v;
      if (go(i + 1)) return true;
      g[i] = 0;
    }
    return false;
  };
  go(0);
  return count;
}

/** Runs `check` over `set` repeatedly for about `budget` seconds. */
function timed(what: string, set: Uint8Array[], check: (p: Uint8Array) => void): Row {
  const stop = clock();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1e3) {
    for (const p of set) {
      check(p);
      n++;
      if (n % 64 === 0 && performance.now() - t0 >= seconds * 1e3) break;
    }
  }
  return { what, count: n, unit: "checks", ...stop() };
}

const rows: Row[] = [];
const solver = new SudokuSolver();
const rng = new Rng("bench");

// The uniqueness-check workload of generation: minimal puzzles (unique) and the same puzzles
// with one clue removed (not unique), half and half.
const minimal: Uint8Array[] = [];
for (let i = 0; i < 300; i++) {
  const { puzzle } = randomMinimalPuzzle(rng, solver);
  minimal.push(puzzle);
  const q = puzzle.slice();
  q[q.findIndex((v) => v !== 0)] = 0;
  minimal.push(q);
}
rows.push(timed("uniqueness checks, minimal ± 1 clue, hrm solver", minimal, (p) => {
  solver.solve(p, 2);
}));
rows.push(timed("uniqueness checks, minimal ± 1 clue, naive backtracking", minimal, (p) => {
  naiveCount(p, 2);
}));
const famous: Uint8Array[] = [];
for await (const row of readSudokuCsv(join(here, "../tests/fixtures/sudoku/famous.csv"))) {
  for (let k = 0; k < 20; k++) famous.push(applySymmetry(randomSymmetry(rng), row.puzzle));
}
rows.push(timed("uniqueness checks, famous hard puzzles, hrm solver", famous, (p) => {
  solver.solve(p, 2);
}));

const mean = (r: { rating: number }[]): number => r.reduce((s, x) => s + x.rating, 0) / r.length;

// Easy part: random minimal puzzles, permuted, rated, re-proven unique (1 thread).
{
  const stop = clock();
  const got = [];
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < seconds * 1e3; i++) {
    got.push(...runTask({ kind: "easy", seed: 1, split: "train", index: i, minRating: 0 }, solver));
  }
  rows.push({
    what: "easy puzzles (random minimal), 1 thread",
    count: got.length,
    unit: "puzzles",
    mean_rating: mean(got),
    ...stop(),
  });
}

// Hard part: pools emitting only puzzles rated >= 20 (1 thread).
{
  const stop = clock();
  const got = [];
  for (let i = 0; got.length < hardN; i++) {
    got.push(
      ...runTask(
        {
          kind: "moderate",
          seed: 1,
          split: "train",
          index: i,
          minRating: 20,
          limit: hardN - got.length,
        },
        solver,
      ),
    );
  }
  rows.push({
    what: "hard puzzles (rating >= 20), 1 thread",
    count: got.length,
    unit: "puzzles",
    mean_rating: mean(got),
    ...stop(),
  });
}

// The whole generator at its default mix, with workers (no disk).
if (puzzles > 0) {
  const stop = clock();
  const r = await generateSudokuPuzzles({ train: puzzles, test: 0, seed: 1, workers });
  rows.push({
    what: `generateSudokuPuzzles, default mix, ${workers} workers`,
    count: r.train.length,
    unit: "puzzles",
    mean_rating: mean(r.train),
    ...stop(),
  });
}

const result = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cores: navigator.hardwareConcurrency,
  load_average: Deno.loadavg()[0],
  rows: rows.map((r) => ({
    ...r,
    per_s: r.count / r.wall_s,
    per_cpu_s: r.count / r.cpu_s,
  })),
};
console.log(
  `Sudoku; ${result.cores} cores, load ${result.load_average.toFixed(1)} ` +
    "(CPU-s counts all threads of this process)",
);
console.log("| what | count | wall s | per s | per CPU-s | mean rating |");
console.log("|---|---|---|---|---|---|");
for (const r of result.rows) {
  console.log(
    `| ${r.what} | ${r.count} ${r.unit} | ${r.wall_s.toFixed(1)} | ${r.per_s.toFixed(1)} | ` +
      `${r.per_cpu_s.toFixed(1)} | ${
        r.mean_rating === undefined ? "" : r.mean_rating.toFixed(1)
      } |`,
  );
}
await Deno.mkdir(join(here, "results"), { recursive: true });
await Deno.writeTextFile(join(here, "results/sudoku.json"), JSON.stringify(result, null, 2) + "\n");
