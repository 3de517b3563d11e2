/**
 * Data-parallel training cost: the all-reduce of the model's flat gradient (MPI, host memory)
 * at 1 and 2 ranks on this machine, the GPU → host readback and host → GPU upload of that
 * buffer (once per step), and their share of a training step of the CPU preset measured in the
 * same run. Paper-width models (27M parameters) are timed for the transfers only: their steps
 * take minutes on a software adapter. Last, whole `hrm train` runs of the demo preset on 1 and 2
 * ranks: seconds per step and the exchange's share (metrics.jsonl `step_time_s`, `sync_time_s`).
 * Writes bench/results/dist.json. `--quick` runs fewer repetitions.
 *
 * @module
 */
import { fromFileUrl } from "@std/path";
import { getPreset } from "../lib/config/presets.ts";
import { requestGpu } from "../lib/gpu/device.ts";
import { readTensors, writeTensor } from "../lib/gpu/encoder.ts";
import { Tensor } from "../lib/gpu/tensor.ts";
import { archFromConfig } from "../lib/model/dims.ts";
import { createModel } from "../lib/model/create.ts";
import { initHrm } from "../lib/model/state.ts";
import { Trainer } from "../lib/train/step.ts";
import { mpiLibraryName } from "../lib/dist/mpi.ts";
import { generateMiniSudokuDataset } from "../datasets/sudoku/mini.ts";
import { BENCH_HYPER } from "./_step.ts";

const quick = Deno.args.includes("--quick");
const reps = quick ? 3 : 7;
const gpu = await requestGpu();
const info = gpu.adapter.info;
console.log(`adapter: ${info.description} (fallback ${gpu.isFallbackAdapter}, ${gpu.backend})`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Flat gradient length of a preset's model for a dataset shape. */
function gradLength(preset: string, vocab: number, seqLen: number): number {
  const cfg = getPreset(preset);
  const arch = archFromConfig(cfg.arch, {
    vocab_size: vocab,
    seq_len: seqLen,
    num_puzzle_identifiers: 1,
  });
  const model = createModel(gpu, arch); // allocated, not initialised: only its size is needed
  const n = model.params.flat.size;
  model.release();
  return n;
}

async function mpiReason(): Promise<string | undefined> {
  try {
    const r = await new Deno.Command("mpirun", { args: ["--version"], stdout: "null" }).output();
    if (!r.success) return "mpirun --version failed";
    Deno.dlopen(mpiLibraryName(), { MPI_Initialized: { parameters: ["buffer"], result: "i32" } })
      .close();
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

const worker = fromFileUrl(new URL("./_allreduce_worker.ts", import.meta.url));
async function allReduceMs(ranks: number, n: number): Promise<number> {
  const r = await new Deno.Command("mpirun", {
    args: [
      "-np",
      String(ranks),
      "--oversubscribe",
      "--allow-run-as-root",
      Deno.execPath(),
      "run",
      "-A",
      worker,
      String(n),
      String(reps),
    ],
    stdin: "null",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`mpirun -np ${ranks} failed`);
  return JSON.parse(new TextDecoder().decode(r.stdout).trim().split("\n").pop()!).ms;
}

/** Median ms of one readback and one upload of an n-float buffer (what a step adds). */
async function transferMs(n: number): Promise<{ readback: number; upload: number }> {
  const t = Tensor.empty(gpu, [n], "f32", "grads");
  const host = new Float32Array(n).fill(1);
  const rb: number[] = [], up: number[] = [];
  for (let r = 0; r <= reps; r++) {
    let t0 = performance.now();
    writeTensor(t, host);
    await readTensors(gpu, [Tensor.view(t, 0, [1])]); // the upload is done when this returns
    const upMs = performance.now() - t0;
    t0 = performance.now();
    await readTensors(gpu, [t]);
    if (r > 0) {
      up.push(upMs);
      rb.push(performance.now() - t0);
    }
  }
  t.release();
  return { readback: median(rb), upload: median(up) };
}

/** ms per training step of a preset's model at its batch size (random tokens). */
async function stepMs(preset: string): Promise<{ ms: number; n: number; B: number }> {
  const cfg = getPreset(preset);
  const S = 81, V = 11;
  const arch = archFromConfig(cfg.arch, { vocab_size: V, seq_len: S, num_puzzle_identifiers: 1 });
  const B = cfg.global_batch_size;
  const model = createModel(gpu, arch);
  initHrm(model, 0);
  const trainer = new Trainer(model, B, cfg.arch.loss.loss_type, 0);
  const inputs = Int32Array.from({ length: B * S }, (_, i) => 1 + (i * 7) % 10);
  const h = BENCH_HYPER;
  const sync = () => readTensors(gpu, [trainer.metrics]);
  trainer.setBatch(inputs, inputs, new Int32Array(B));
  trainer.trainStep(h);
  await sync();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    trainer.setBatch(inputs, inputs, new Int32Array(B));
    trainer.trainStep(h);
  }
  await sync();
  const ms = (performance.now() - t0) / reps;
  const n = model.params.flat.size;
  trainer.release();
  model.release();
  return { ms, n, B };
}

const why = await mpiReason();
if (why) console.log(`all-reduce rows skipped: MPI unavailable (${why})`);
const rows: Record<string, unknown>[] = [];
const step = await stepMs("sudoku-cpu");
console.log(`sudoku-cpu step (B ${step.B}): ${step.ms.toFixed(0)} ms, ${step.n} gradient floats`);
const sizes = [
  { what: "sudoku-cpu", n: step.n, stepMs: step.ms as number | undefined },
  {
    what: "sudoku-extreme (paper, 27M)",
    n: gradLength("sudoku-extreme", 11, 81),
    stepMs: undefined,
  },
  { what: "arc-1 (paper, 27M)", n: gradLength("arc-1", 12, 900), stepMs: undefined },
];
for (const s of sizes) {
  const t = await transferMs(s.n);
  const ar1 = why ? undefined : await allReduceMs(1, s.n);
  const ar2 = why ? undefined : await allReduceMs(2, s.n);
  const total2 = ar2 === undefined ? undefined : t.readback + ar2 + t.upload;
  const row = {
    model: s.what,
    gradient_floats: s.n,
    mb: s.n * 4 / 2 ** 20,
    readback_ms: t.readback,
    upload_ms: t.upload,
    allreduce_1_rank_ms: ar1,
    allreduce_2_ranks_ms: ar2,
    sync_2_ranks_ms: total2,
    step_ms: s.stepMs,
    share_of_step: total2 !== undefined && s.stepMs ? total2 / s.stepMs : undefined,
  };
  const f = (x: number | undefined) => x === undefined ? "-" : x.toFixed(1);
  console.log(
    `${s.what}: ${row.mb.toFixed(1)} MB; readback ${f(t.readback)} ms, upload ${f(t.upload)} ms, ` +
      `all-reduce 1 rank ${f(ar1)} ms, 2 ranks ${f(ar2)} ms` +
      (row.share_of_step !== undefined
        ? `; per step ${f(total2)} ms = ${(100 * row.share_of_step).toFixed(1)}% of a ${
          f(s.stepMs)
        } ms step`
        : ""),
  );
  rows.push(row);
}

/** `hrm train --preset sudoku-mini` on `ranks` ranks; the last metrics row (after compiling). */
async function trainRow(ranks: number, data: string, out: string, steps: number) {
  const cli = fromFileUrl(new URL("../cli.ts", import.meta.url));
  const args = [
    "run",
    "-A",
    cli,
    "train",
    "--preset",
    "sudoku-mini",
    "--data",
    data,
    "--out",
    out,
    "--max-steps",
    String(steps),
    "--log-every",
    String(steps / 2),
  ];
  const cmd = ranks === 1
    ? new Deno.Command(Deno.execPath(), { args, stdin: "null", stdout: "null", stderr: "null" })
    : new Deno.Command("mpirun", {
      args: [
        "-np",
        String(ranks),
        "--oversubscribe",
        "--allow-run-as-root",
        Deno.execPath(),
        ...args,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    });
  if (!(await cmd.output()).success) throw new Error(`hrm train on ${ranks} rank(s) failed`);
  const lines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
  return lines.map((l) => JSON.parse(l)).filter((r) => "step_time_s" in r).at(-1)!;
}

if (!why) {
  const tmp = await Deno.makeTempDir({ prefix: "hrm-bench-dist-" });
  await generateMiniSudokuDataset({ out: `${tmp}/data`, train: 200, test: 16, aug: 4, seed: 1 });
  const steps = quick ? 4 : 8;
  const one = await trainRow(1, `${tmp}/data`, `${tmp}/one`, steps);
  const two = await trainRow(2, `${tmp}/data`, `${tmp}/two`, steps);
  const row = {
    model: "hrm train --preset sudoku-mini (B 64), steady state",
    step_s_1_rank: one.step_time_s,
    step_s_2_ranks: two.step_time_s,
    sync_s_2_ranks: two.sync_time_s,
    sync_share_2_ranks: two.sync_time_s / two.step_time_s,
    loss_1_rank: one["train/lm_loss"],
    loss_2_ranks: two["train/lm_loss"],
  };
  console.log(
    `${row.model}: ${one.step_time_s.toFixed(3)} s/step on 1 rank, ${
      two.step_time_s.toFixed(3)
    } s/step on 2 ranks (same cores), of which the exchange ${two.sync_time_s.toFixed(4)} s ` +
      `(${
        (100 * row.sync_share_2_ranks).toFixed(1)
      }%); lm_loss ${row.loss_1_rank} vs ${row.loss_2_ranks}`,
  );
  rows.push(row);
  await Deno.remove(tmp, { recursive: true });
}

await Deno.mkdir(new URL("./results", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/dist.json", import.meta.url),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      adapter: info.description,
      fallback: gpu.isFallbackAdapter,
      cpus: navigator.hardwareConcurrency,
      load_average: Deno.loadavg()[0],
      rows,
    },
    null,
    2,
  ) + "\n",
);
