/**
 * GPU benchmark (issue 11), for a real GPU in at most ~8 minutes, shader compilation included:
 *
 * 1. `matmul`: every matmul variant at the paper's shapes, TFLOP/s side by side in one run;
 * 2. `steps`: training steps of the paper presets (HRM `sudoku-extreme` at batch 768,
 *    `maze-hard`, TRM `trm-sudoku-mlp`, `trm-maze`) with steps/s, first-step time and peak
 *    memory, always at the preset's global batch: a batch past the buffer limits runs in
 *    micro-batches, and an out-of-memory is retried with micro-batches of half the size;
 * 3. `train`: a few minutes of real `sudoku-extreme` training on a generated Sudoku-Extreme-like
 *    dataset (`--data`), with its loss curve and the test exact accuracy at the end;
 * 4. `profile`: GPU ms per step by kernel family of each preset (HRM_GPU_PROFILE=1).
 *
 * Each section runs as its own subprocess (`bench/_gpu_*.ts`) under a share of `--budget`, so a
 * crash, an out-of-memory or a hang costs only that section; the result file is rewritten after
 * every section. It is `bench/results/gpu_<adapter>.json`: `isFallbackAdapter`, `adapter`,
 * features and limits, `sections` (status and seconds of each) and `rows` — `{section: "matmul",
 * variant, M, K, N, tflops, ...}`, `{section: "steps", preset, batch, steps_per_s, ...}`,
 * `{section: "train", loss_curve, eval, ...}`, `{section: "profile", family_ms_per_step, ...}`.
 *
 * On a fallback or software adapter it prints why and exits 0 without measuring, unless given
 * `--allow-software --tiny`: tiny shapes, tiny models and budgets that run every section end to
 * end on lavapipe (results to `runs/bench-gpu/`, never to bench/results).
 *
 * Run: `deno task bench gpu`, or `deno run -A bench/gpu.ts [--budget 480] [--data DIR]
 * [--sections matmul,steps,train,profile] [--presets a,b] [--out FILE] [--allow-software --tiny]`.
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { dirname, fromFileUrl, join, resolve } from "@std/path";
import { requestGpu } from "../lib/gpu/device.ts";
import { atomicWriteText } from "../lib/io/atomic_write.ts";
import { adapterFacts, adapterSlug, isOutOfMemory, type SectionResult } from "./_gpu_common.ts";
import { isSoftwareAdapter } from "../lib/gpu/variants.ts";
import { gpuPlan, type PresetRun } from "./_gpu_plan.ts";

const args = parseArgs(Deno.args, {
  boolean: ["allow-software", "tiny", "help"],
  string: ["budget", "data", "out", "sections", "presets"],
});
if (args.help) {
  console.log(
    "deno run -A bench/gpu.ts [--budget SECONDS] [--data DIR] [--sections LIST] " +
      "[--presets LIST] [--out FILE] [--allow-software --tiny]",
  );
  Deno.exit(0);
}
const here = dirname(fromFileUrl(import.meta.url));
const root = dirname(here);
const gpu = await requestGpu();
const facts = adapterFacts(gpu);
const software = isSoftwareAdapter(gpu);
const info = gpu.adapter.info;
console.log(
  `adapter: ${
    info.description || info.vendor
  } (${gpu.backend}, isFallbackAdapter ${gpu.isFallbackAdapter})`,
);
console.log(`features: ${[...gpu.adapter.features].sort().join(", ")}`);
if (software && !(args["allow-software"] && args.tiny)) {
  console.log(
    `bench gpu: skipped: ${info.description || "this adapter"} is a ${
      gpu.isFallbackAdapter ? "fallback" : "software"
    } adapter, and GPU numbers are only measured on a real GPU ` +
      "(--allow-software --tiny runs the tiny end-to-end check instead)",
  );
  Deno.exit(0);
}
const tiny = Boolean(args.tiny);
const budgetS = Number(args.budget ?? (tiny ? 900 : 480));
const t0 = Date.now();
const deadline = t0 + budgetS * 1000;
const data = resolve(
  root,
  String(args.data ?? (tiny ? "runs/bench-gpu/sudoku-tiny" : "data/sudoku-gpu-bench")),
);
const wanted = new Set(String(args.sections ?? "matmul,steps,train,profile").split(","));
const plan = gpuPlan(tiny, args.presets ? String(args.presets).split(",") : undefined);
const outPath = String(
  args.out ??
    (tiny
      ? join(root, "runs", "bench-gpu", `gpu_${adapterSlug(gpu)}_tiny.json`)
      : join(here, "results", `gpu_${adapterSlug(gpu)}.json`)),
);
const work = await Deno.makeTempDir({ prefix: "hrm-bench-gpu-" });
// The sections open their own devices; this process only needed the adapter's facts.
gpu.device.destroy();

interface SectionStatus {
  name: string;
  status: "ok" | "failed" | "timeout" | "skipped";
  seconds: number;
  timeout_s?: number;
  error?: string;
}
const sections: SectionStatus[] = [];
const rows: Record<string, unknown>[] = [];
const notes: string[] = [];

async function save(): Promise<void> {
  await Deno.mkdir(dirname(outPath), { recursive: true });
  await atomicWriteText(
    outPath,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        deno: Deno.version.deno,
        tiny,
        budget_s: budgetS,
        ...facts,
        reference: plan.reference,
        goals: plan.goals,
        sections,
        notes,
        rows,
      },
      null,
      1,
    ) + "\n",
  );
}

/** Seconds left before the deadline. */
const left = () => (deadline - Date.now()) / 1000;

/**
 * Runs `bench/_gpu_<file>.ts` with `params` under `timeoutS`, echoing its output; keeps its
 * rows and notes. Returns its status and the tail of its stderr (for out-of-memory retries).
 */
async function section(
  name: string,
  file: string,
  params: unknown,
  timeoutS: number,
  env: Record<string, string> = {},
): Promise<SectionStatus & { stderr: string; code: number }> {
  if (timeoutS < 5) {
    const s = { name, status: "skipped" as const, seconds: 0, error: "budget spent" };
    sections.push(s);
    console.log(`\n--- ${name}: skipped (budget spent)`);
    await save();
    return { ...s, stderr: "", code: 0 };
  }
  console.log(`\n--- ${name} (at most ${timeoutS.toFixed(0)} s)`);
  const out = join(work, `${name.replace(/[^a-z0-9]+/gi, "_")}.json`);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutS * 1000);
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(here, `_gpu_${file}.ts`), "--call", JSON.stringify({ params, out })],
    cwd: root,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
    signal: ac.signal,
  }).spawn();
  let tail = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stderr) {
    await Deno.stderr.write(chunk);
    tail = (tail + dec.decode(chunk, { stream: true })).slice(-4000);
  }
  const { code } = await child.status;
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const timedOut = ac.signal.aborted;
  try {
    const r = JSON.parse(await Deno.readTextFile(out)) as SectionResult;
    rows.push(...r.rows);
    notes.push(...r.notes);
  } catch {
    // No result file: the section failed before writing one.
  }
  const errLine = tail.trim().split("\n").filter((l) => /error/i.test(l)).pop();
  const s: SectionStatus = {
    name,
    status: timedOut ? "timeout" : code === 0 ? "ok" : "failed",
    seconds,
    timeout_s: timeoutS,
    ...(code !== 0
      ? { error: (errLine ?? tail.trim().split("\n").pop() ?? "").slice(0, 500) }
      : {}),
  };
  sections.push(s);
  await save();
  return { ...s, stderr: tail, code };
}

/**
 * A preset's steps (or profile) at its global batch; on an out-of-memory the micro-batch is
 * halved (down to `minBatch`) while time is left.
 */
const microThatRan = new Map<string, number | undefined>();
async function presetSection(run: PresetRun, profile: boolean, capS: number, reserveS: number) {
  let micro = microThatRan.get(run.label ?? run.preset);
  while (micro === undefined || micro >= run.minBatch) {
    const label = run.label ?? run.preset;
    const name = `${profile ? "profile" : "steps"} ${label}${micro ? ` mb${micro}` : ""}`;
    const r = await section(
      name,
      "step",
      { ...run, microBatch: micro, profile, ...(profile ? run.profileRun : run.stepRun) },
      Math.min(capS, left() - reserveS),
      profile ? { HRM_GPU_PROFILE: "1" } : {},
    );
    // Out of memory shows as an allocation error, a lost device or a killed process.
    const oom = isOutOfMemory(r.stderr) || /device lost/i.test(r.stderr) || r.code >= 128;
    if (r.status === "ok") microThatRan.set(run.label ?? run.preset, micro);
    if (r.status !== "failed" || !oom) return;
    micro = (micro ?? run.batch) >> 1;
    notes.push(`${label}: failed (out of memory?); retrying in micro-batches of ${micro}`);
  }
}

await save();
if (wanted.has("matmul")) {
  await section(
    "matmul",
    "matmul",
    { ...plan.matmul, deadline: Date.now() + plan.matmulCapS * 800 },
    Math.min(plan.matmulCapS, left() - plan.reserveAfterMatmulS),
  );
}
if (wanted.has("steps")) {
  for (const [i, run] of plan.presets.entries()) {
    const later = plan.presets.length - 1 - i;
    await presetSection(run, false, plan.stepCapS, plan.reserveAfterStepsS + later * 20);
  }
}
if (wanted.has("train")) {
  let ok = true;
  try {
    await Deno.stat(join(data, "test", "dataset.json"));
  } catch {
    ok = false;
    const s: SectionStatus = {
      name: "train",
      status: "skipped",
      seconds: 0,
      error: `no dataset at ${data} (make one: ${plan.dataCommand(data)})`,
    };
    sections.push(s);
    console.log(`\n--- train: skipped: ${s.error}`);
    await save();
  }
  if (ok) {
    const avail = left() - plan.reserveAfterTrainS;
    const seconds = Math.max(plan.train.minSeconds, Math.min(plan.train.seconds, avail - 60));
    await section("train", "train", {
      ...plan.train,
      seconds,
      data,
      runDir: join(work, "train-run"),
    }, Math.min(seconds + plan.trainOverheadS, left()));
  }
}
if (wanted.has("profile")) {
  // The presets first, their variants (the float32 run) after them.
  const order = [...plan.presets].sort((a, b) => Number(!!a.label) - Number(!!b.label));
  for (const run of order) await presetSection(run, true, plan.profileCapS, 0);
}

await save();
console.log(`\n${plan.summarize(rows, sections)}`);
console.log(`\nwrote ${outPath} (${rows.length} rows, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
await Deno.remove(work, { recursive: true }).catch(() => {});
