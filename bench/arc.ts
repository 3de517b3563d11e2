/**
 * ARC build benchmark: variants per second for augment + encode on one thread, and for the whole
 * streamed build (workers, SplitWriter, disk) on a sample of ARC-1 tasks at `--aug 1000`, with
 * the projected time of the full ARC-1 build (960 tasks). Prints a table and writes
 * bench/results/arc.json.
 *
 * Run: `deno run -A bench/arc.ts [--every 20] [--workers N] [--aug 1000]`. Uses
 * ../shared/arc when present, else the small test fixtures (then the projection is rough).
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { dirname, fromFileUrl, join } from "@std/path";
import { buildArcDataset } from "../datasets/arc/build.ts";
import { buildTaskGroups, VARIANT_BYTES } from "../datasets/arc/build_task.ts";
import { loadArcTasks } from "../datasets/arc/load.ts";

const args = parseArgs(Deno.args, {
  string: ["every", "workers", "aug"],
  default: { every: "20", workers: String(navigator.hardwareConcurrency), aug: "1000" },
});
const every = Number(args.every), workers = Number(args.workers), aug = Number(args.aug);
const here = dirname(fromFileUrl(import.meta.url));
const shared = join(here, "../../shared/arc");
const hasShared = await Deno.stat(shared).then(() => true, () => false);
const sources = hasShared ? [join(shared, "ARC-AGI-1"), join(shared, "ConceptARC/corpus")] : [
  join(here, "../tests/fixtures/arc/ARC-AGI-1"),
  join(here, "../tests/fixtures/arc/ConceptARC/corpus"),
];
const FULL_ARC1_TASKS = 960;

const { tasks } = await loadArcTasks(sources, ["evaluation"]);
const sample = tasks.filter((_, i) => i % every === 0);
const sampleDir = await Deno.makeTempDir({ prefix: "hrm-arc-bench-" });
const rows: { what: string; variants: number; seconds: number; mb: number }[] = [];
try {
  // One thread, no I/O: the pure cost of augmenting and encoding.
  let variants = 0, bytes = 0;
  let t0 = performance.now();
  for (const t of sample) {
    const g = buildTaskGroups(t, aug, 42);
    variants += g.variants.length / VARIANT_BYTES;
    bytes += 2 * ((g.train?.inputs.length ?? 0) + (g.test?.inputs.length ?? 0));
  }
  rows.push({
    what: "augment+encode, 1 thread",
    variants,
    seconds: (performance.now() - t0) / 1e3,
    mb: bytes / 1e6,
  });

  // The whole build of the sample: copy it to a folder so buildArcDataset loads only it.
  for (const t of sample) {
    const sub = join(sampleDir, "src", t.inTestSet ? "evaluation" : "training");
    await Deno.mkdir(sub, { recursive: true });
    await Deno.copyFile(t.file, join(sub, `${t.name}.json`));
  }
  const out = join(sampleDir, "out");
  t0 = performance.now();
  const s = await buildArcDataset({
    sources: [join(sampleDir, "src")],
    out,
    aug,
    workers,
    progress: false,
    log: () => {},
  });
  const seconds = (performance.now() - t0) / 1e3;
  const mb = 2 * 900 * (s.trainExamples + s.testExamples) / 1e6;
  rows.push({
    what: `full build, ${workers} workers, to disk`,
    variants: s.numPuzzleIdentifiers - 1,
    seconds,
    mb,
  });
} finally {
  await Deno.remove(sampleDir, { recursive: true });
}

// Every variant has one identifier (an evaluation task's test puzzles reuse its train ones);
// the full build's variant count scales with its tasks.
const perTask = rows[0].variants / sample.length;
const projectedVariants = perTask * FULL_ARC1_TASKS;
const result = {
  date: new Date().toISOString(),
  deno: Deno.version.deno,
  cores: navigator.hardwareConcurrency,
  // Timings are wall-clock: a busy machine (load above the core count) slows every row.
  load_average_1min: Deno.loadavg()[0],
  source: hasShared ? "shared/arc ARC-AGI-1 + ConceptARC/corpus" : "test fixtures",
  sample_tasks: sample.length,
  aug,
  rows: rows.map((r) => ({
    ...r,
    variants_per_s: Math.round(r.variants / r.seconds),
    mb_per_s: Math.round(r.mb / r.seconds),
    projected_full_arc1_s: Math.round(projectedVariants / (r.variants / r.seconds)),
  })),
  projected_full_arc1_variants: Math.round(projectedVariants),
};
console.log(
  `ARC build, ${sample.length} of ${tasks.length} tasks (every ${every}th), aug ${aug}, ` +
    `${result.cores} cores, load average ${result.load_average_1min.toFixed(1)}`,
);
console.log("| what | variants | s | variants/s | MB/s | projected ARC-1 (960 tasks) |");
console.log("|---|---|---|---|---|---|");
for (const r of result.rows) {
  console.log(
    `| ${r.what} | ${r.variants} | ${
      r.seconds.toFixed(2)
    } | ${r.variants_per_s} | ${r.mb_per_s} | ${(r.projected_full_arc1_s / 60).toFixed(1)} min |`,
  );
}
await Deno.mkdir(join(here, "results"), { recursive: true });
await Deno.writeTextFile(join(here, "results/arc.json"), JSON.stringify(result, null, 2) + "\n");
