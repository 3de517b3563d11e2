/**
 * Maze generation benchmark: accepted 30×30 mazes (shortest path > 110 moves) per second, for
 * hrm's sampler on one thread, against the naive exact sampler on the same distribution (full
 * layout, one BFS from the start, accept with probability m/(F−1)), and for the whole
 * generator (workers, A* labels, SplitWriter, disk). Rates are per wall-clock second and per
 * CPU second (process user+system time), since the machine may be shared. Prints a table and
 * writes bench/results/maze.json.
 *
 * Run: `deno run -A bench/maze.ts [--mazes 24] [--workers 2] [--seconds 6]`.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "@std/cli";
import { dirname, fromFileUrl, join } from "@std/path";
import { Rng } from "../datasets/rng.ts";
import { MazeSampler, wallCountRange } from "../datasets/maze/sampler.ts";
import { generateMazeDataset } from "../datasets/maze/generate.ts";

const args = parseArgs(Deno.args, {
  string: ["mazes", "workers", "seconds"],
  default: { mazes: "24", workers: "2", seconds: "6" },
});
const mazes = Number(args.mazes), workers = Number(args.workers), seconds = Number(args.seconds);
const SIZE = 30, MIN_PATH = 110;
const here = dirname(fromFileUrl(import.meta.url));

interface Row {
  what: string;
  mazes: number;
  trials: number;
  wall_s: number;
  cpu_s: number;
}

function clock(): () => { wall_s: number; cpu_s: number } {
  const t0 = performance.now(), c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wall_s: (performance.now() - t0) / 1e3, cpu_s: (c.user + c.system) / 1e6 };
  };
}

/** The naive sampler: every cell of every layout drawn, one full BFS per layout. */
function naiveLayouts(rng: Rng, budgetS: number): { trials: number; hits: number } {
  const n2 = SIZE * SIZE, [lo, hi] = wallCountRange(SIZE);
  const perm = Int32Array.from({ length: n2 }, (_, i) => i);
  const blocked = new Uint8Array(n2), dist = new Int32Array(n2), queue = new Int32Array(n2);
  const t0 = performance.now();
  let trials = 0, hits = 0;
  while (performance.now() - t0 < budgetS * 1e3) {
    trials++;
    const k = rng.range(lo, hi);
    blocked.fill(0);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n2 - i);
      [perm[i], perm[j]] = [perm[j], perm[i]];
      blocked[perm[i]] = 1;
    }
    const s = perm[k + rng.int(n2 - k)];
    dist.fill(-1);
    dist[s] = 0;
    queue[0] = s;
    let head = 0, tail = 1, far = 0;
    while (head < tail) {
      const c = queue[head++], x = c % SIZE, d = dist[c] + 1;
      if (d - 1 > MIN_PATH) far++;
      for (
        const nb of [
          c >= SIZE ? c - SIZE : -1,
          c < n2 - SIZE ? c + SIZE : -1,
          x > 0 ? c - 1 : -1,
          x < SIZE - 1 ? c + 1 : -1,
        ]
      ) {
        if (nb >= 0 && !blocked[nb] && dist[nb] < 0) (dist[nb] = d, queue[tail++] = nb);
      }
    }
    if (far > 0 && rng.float() * (n2 - k - 1) < far) hits++;
  }
  return { trials, hits };
}

const rows: Row[] = [];

// hrm's sampler, one thread, no labels or I/O
{
  const sampler = new MazeSampler(SIZE, MIN_PATH);
  const rng = new Rng("bench");
  const stop = clock();
  let trials = 0;
  for (let i = 0; i < mazes; i++) trials += sampler.sample(rng, 1e8)!.trials;
  rows.push({ what: "lazy bidirectional sampler, 1 thread", mazes, trials, ...stop() });
}
const acceptance = rows[0].mazes / rows[0].trials;

// the naive exact sampler: same distribution, so its maze rate is trials/s × acceptance
{
  const stop = clock();
  const { trials, hits } = naiveLayouts(new Rng("naive"), seconds);
  rows.push({
    what: `naive BFS sampler, 1 thread (${hits} hits; rate from acceptance)`,
    mazes: trials * acceptance,
    trials,
    ...stop(),
  });
}

// the whole generator: workers, labels, SplitWriter, disk
{
  const out = await Deno.makeTempDir({ prefix: "hrm-maze-bench-" });
  try {
    const stop = clock();
    const s = await generateMazeDataset({
      out,
      size: SIZE,
      minPath: MIN_PATH,
      train: mazes,
      test: mazes,
      aug: false,
      seed: 1,
      workers,
    });
    rows.push({
      what: `generateMazeDataset, ${workers} workers, to disk`,
      mazes: 2 * mazes,
      trials: s.trials,
      ...stop(),
    });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

const result = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cores: navigator.hardwareConcurrency,
  load_average: Deno.loadavg()[0],
  size: SIZE,
  min_path: MIN_PATH,
  acceptance_per_trial: acceptance,
  rows: rows.map((r) => ({
    ...r,
    mazes_per_s: r.mazes / r.wall_s,
    mazes_per_cpu_s: r.mazes / r.cpu_s,
    trials_per_cpu_s: Math.round(r.trials / r.cpu_s),
  })),
};
console.log(
  `Maze ${SIZE}x${SIZE}, paths > ${MIN_PATH} moves; ${result.cores} cores, load ` +
    `${result.load_average.toFixed(1)}; acceptance ${acceptance.toExponential(2)} per trial`,
);
console.log("| what | mazes | trials | wall s | mazes/s | mazes/CPU-s | trials/CPU-s |");
console.log("|---|---|---|---|---|---|---|");
for (const r of result.rows) {
  console.log(
    `| ${r.what} | ${r.mazes.toFixed(1)} | ${r.trials} | ${r.wall_s.toFixed(1)} | ` +
      `${r.mazes_per_s.toFixed(2)} | ${r.mazes_per_cpu_s.toFixed(2)} | ${r.trials_per_cpu_s} |`,
  );
}
await Deno.mkdir(join(here, "results"), { recursive: true });
await Deno.writeTextFile(join(here, "results/maze.json"), JSON.stringify(result, null, 2) + "\n");
