/**
 * The linear layers' matmuls of one training step, shape by shape: for a preset (default
 * `sudoku-cpu`) the calls its step records per block call — the forward y = x·Wᵀ (NT) of qkv,
 * o_proj, gate_up and down, and for each call with gradient dx = dy·W (NN) and dW += dyᵀ·x (TN) —
 * each timed through `matmul()` (texture operand copies included) with its GFLOP/s, and the
 * step's matmul time (each shape × its calls per step; the small heads are left out), next to
 * the shape whose rate bench/model.ts takes as the matmul bound, (4096, 256, 1024). Time is
 * wall-clock around a few calls in one submit plus one tiny readback, minus an empty submit +
 * readback, medians over rounds.
 *
 * With `--baseline DIR` (another checkout, e.g. `git worktree add /tmp/base main`) the same calls
 * also run through that checkout's `matmul()` on a device of its own, interleaved shape by shape
 * in every round (the host is shared and its speed drifts), and the table adds the ratio
 * baseline/ours per shape and for the step's matmul time: before/after in one run.
 *
 * `--cpu` measures CPU time of the whole process instead (every thread, llvmpipe's workers
 * included; Linux's /proc/self/task/N/schedstat): on a host shared with other work, wall time
 * mostly measures the others, CPU time the work done (but not idle cores: a dispatch of one
 * workgroup costs the same CPU time on one core as spread over two).
 *
 * `--step` also times the whole training step of each checkout (its own bench/_step.ts),
 * interleaved round by round, and its "× matmul bound" as bench/model.ts defines it: the step's
 * time over its linear-layer FLOPs at the reference shape's rate measured above for that checkout.
 *
 * Run: `deno run -A bench/matmul_step.ts [--preset sudoku-cpu] [--batch 32] [--rounds 5]
 * [--baseline DIR] [--cpu] [--step]`. Writes bench/results/matmul_step.json.
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { dirname, fromFileUrl, join, resolve, toFileUrl } from "@std/path";
import { archFromConfig, hrmDims } from "../lib/model/dims.ts";
import { getPreset } from "../lib/config/presets.ts";
import { createModel } from "../lib/model/create.ts";
import { atomicWriteText } from "../lib/io/atomic_write.ts";
import { stepBlockCalls, stepMatmulFlops } from "./_step.ts";
import { median } from "./_gpu_common.ts";

const args = parseArgs(Deno.args, {
  boolean: ["cpu", "step"],
  string: ["preset", "batch", "rounds", "baseline"],
  default: { preset: "sudoku-cpu", rounds: "5" },
});
const here = dirname(fromFileUrl(import.meta.url));
const rounds = Number(args.rounds);
/** Target time of one measurement: well above the ~11 ms readback, short enough to repeat. */
const TARGET_MS = 150;

/** CPU ms of every thread of this process so far. */
function cpuMs(): number {
  let ns = 0;
  for (const e of Deno.readDirSync("/proc/self/task")) {
    try {
      ns += Number(Deno.readTextFileSync(`/proc/self/task/${e.name}/schedstat`).split(" ")[0]);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return ns / 1e6;
}
/** The clock measurements use: wall time, or with `--cpu` the process's CPU time. */
const clock = args.cpu ? cpuMs : () => performance.now();

type GpuMod = typeof import("../lib/gpu/device.ts");
type EncMod = typeof import("../lib/gpu/encoder.ts");
type TensorMod = typeof import("../lib/gpu/tensor.ts");
type MatmulMod = typeof import("../lib/ops/matmul.ts");
type Tensor = InstanceType<TensorMod["Tensor"]>;

/** One checkout's matmul on its own device. */
interface Impl {
  name: string;
  root: string;
  gpu: Awaited<ReturnType<GpuMod["requestGpu"]>>;
  enc: EncMod;
  T: TensorMod["Tensor"];
  matmul: MatmulMod["matmul"];
  probe: Tensor;
  overheadMs: number;
}

async function loadImpl(name: string, root: string): Promise<Impl> {
  const mod = (p: string) => import(toFileUrl(join(root, p)).href);
  const dev: GpuMod = await mod("lib/gpu/device.ts");
  const enc: EncMod = await mod("lib/gpu/encoder.ts");
  const tm: TensorMod = await mod("lib/gpu/tensor.ts");
  const mm: MatmulMod = await mod("lib/ops/matmul.ts");
  const gpu = await dev.requestGpu();
  const probe = tm.Tensor.empty(gpu, [1], "f32", "probe");
  const impl: Impl = {
    name,
    root,
    gpu,
    enc,
    T: tm.Tensor,
    matmul: mm.matmul,
    probe,
    overheadMs: 0,
  };
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = clock();
    await enc.readTensors(gpu, [probe]);
    ts.push(clock() - t0);
  }
  impl.overheadMs = median(ts);
  return impl;
}

/** One matmul of the step: out[M, N] (+)= A·B with A, B laid out as the step has them. */
interface Call {
  label: string;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  beta: number;
  perStep: number;
}

const cfg = getPreset(String(args.preset));
const arch = archFromConfig(cfg.arch, { vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1 });
if (arch.mlp_t) throw new Error("matmul_step: mlp_t blocks are not modelled here");
const d = hrmDims(arch);
const B = args.batch ? Number(args.batch) : cfg.global_batch_size;
const BT = B * d.T;
const impls = [await loadImpl("ours", resolve(here, ".."))];
if (args.baseline) impls.push(await loadImpl("baseline", resolve(String(args.baseline))));
// The call counts depend on the model's spec (HRM or TRM), so build one briefly.
const counts = (() => {
  const model = createModel(impls[0].gpu, arch);
  const c = stepBlockCalls(model);
  model.release();
  return c;
})();
// Per layer: output and input widths, and the beta of its dx matmul in the step (qkv's and
// gate_up's dx accumulate onto the residual path's).
const layers = [
  { name: "qkv", out: 3 * d.D, inp: d.D, dxBeta: 1 },
  { name: "o_proj", out: d.D, inp: d.D, dxBeta: 0 },
  { name: "gate_up", out: 2 * d.F, inp: d.D, dxBeta: 1 },
  { name: "down", out: d.D, inp: d.F, dxBeta: 0 },
];
const calls: Call[] = [];
for (const l of layers) {
  const base = { transA: false, transB: false, beta: 0 };
  calls.push({
    ...base,
    label: `${l.name} y=x·Wᵀ`,
    M: BT,
    N: l.out,
    K: l.inp,
    transB: true,
    perStep: counts.forward,
  });
  calls.push({
    ...base,
    label: `${l.name} dx=dy·W`,
    M: BT,
    N: l.inp,
    K: l.out,
    beta: l.dxBeta,
    perStep: counts.grad,
  });
  calls.push({
    ...base,
    label: `${l.name} dW+=dyᵀ·x`,
    M: l.out,
    N: l.inp,
    K: BT,
    transA: true,
    beta: 1,
    perStep: counts.grad,
  });
}
// The reference shape of bench/model.ts's "× matmul bound" (not part of the step).
calls.push({
  label: "bound's reference",
  M: 4096,
  N: 1024,
  K: 256,
  transA: false,
  transB: true,
  beta: 0,
  perStep: 0,
});

function operands(impl: Impl, c: Call): Tensor[] {
  const fill = (n: number, seed: number) => {
    const a = new Float32Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = s / 2 ** 32 - 0.5;
    }
    return a;
  };
  const aShape = c.transA ? [c.K, c.M] : [c.M, c.K];
  const bShape = c.transB ? [c.N, c.K] : [c.K, c.N];
  return [
    impl.enc.upload(impl.gpu, fill(c.M * c.K, 1), aShape),
    impl.enc.upload(impl.gpu, fill(c.K * c.N, 2), bShape),
    impl.enc.upload(impl.gpu, fill(c.M * c.N, 3), [c.M, c.N]),
  ];
}

/** ms per call of `per` calls in one submit (overhead subtracted). */
async function time(impl: Impl, c: Call, ops: Tensor[], per: number): Promise<number> {
  const [a, b, out] = ops;
  const t0 = clock();
  const enc = new impl.enc.Encoder(impl.gpu);
  for (let i = 0; i < per; i++) {
    impl.matmul(enc, a, b, { transA: c.transA, transB: c.transB, beta: c.beta, out });
  }
  enc.copy(impl.T.view(out, 0, [1]), impl.probe);
  enc.submit();
  await impl.enc.readTensors(impl.gpu, [impl.probe]);
  return Math.max(0.01, clock() - t0 - impl.overheadMs) / per;
}

const loadavg = (() => {
  try {
    return Deno.loadavg();
  } catch {
    return [];
  }
})();
const info = impls[0].gpu.adapter.info;
console.log(`adapter: ${info.description || info.vendor} (${impls[0].gpu.backend})`);
console.log(
  `${args.preset}, B ${B} (rows ${BT}): ${counts.forward} block calls forward, ${counts.grad} ` +
    `with gradient per step; ${args.cpu ? "CPU" : "wall"} time; load average ${
      loadavg.map((x) => x.toFixed(2)).join(" ")
    }`,
);

const ms = new Map<string, number[][]>(); // impl -> [call][round]
for (const impl of impls) ms.set(impl.name, calls.map(() => []));
for (const [ci, c] of calls.entries()) {
  const ops = impls.map((impl) => operands(impl, c));
  for (const [i, impl] of impls.entries()) await time(impl, c, ops[i], 1); // compile
  const per = Math.max(
    1,
    Math.min(32, Math.round(TARGET_MS / (await time(impls[0], c, ops[0], 2)))),
  );
  for (let r = 0; r < rounds; r++) {
    // Alternate which checkout goes first.
    const order = r % 2 ? [...impls.keys()].reverse() : [...impls.keys()];
    for (const i of order) ms.get(impls[i].name)![ci].push(await time(impls[i], c, ops[i], per));
  }
  for (const o of ops) for (const t of o) t.release();
}

const rows = calls.map((c, ci) => {
  const flops = 2 * c.M * c.N * c.K;
  const ours = median(ms.get("ours")![ci]);
  const row: Record<string, unknown> = {
    ...c,
    ms: ours,
    gflops: flops / ours / 1e6,
  };
  if (impls.length > 1) {
    const base = median(ms.get("baseline")![ci]);
    row.baseline_ms = base;
    row.baseline_over_ours = base / ours;
  }
  return row;
});
const layout = (c: Call) => `${c.transA ? "T" : "N"}${c.transB ? "T" : "N"}`;
if (args.cpu) console.log("(CPU ms over all threads; GFLOP/s per CPU-second)");
console.log(
  `${"call".padEnd(18)} ${"M".padStart(5)} ${"N".padStart(5)} ${"K".padStart(5)} lay beta ` +
    `per step  ms/call  GFLOP/s${impls.length > 1 ? "  baseline ms  baseline/ours" : ""}`,
);
for (const [ci, c] of calls.entries()) {
  const r = rows[ci];
  console.log(
    `${c.label.padEnd(18)} ${String(c.M).padStart(5)} ${String(c.N).padStart(5)} ${
      String(c.K).padStart(5)
    }  ${layout(c)}  ${c.beta}  ${String(c.perStep).padStart(8)} ${
      (r.ms as number).toFixed(2).padStart(8)
    } ${(r.gflops as number).toFixed(1).padStart(8)}${
      impls.length > 1
        ? `${(r.baseline_ms as number).toFixed(2).padStart(13)} ${
          (r.baseline_over_ours as number).toFixed(2).padStart(14)
        }×`
        : ""
    }`,
  );
}
/** The step's matmul time in round r: Σ calls per step × ms per call. */
const stepMs = (name: string, r: number) =>
  calls.reduce((s, c, ci) => s + c.perStep * ms.get(name)![ci][r], 0);
const range = [...Array(rounds).keys()];
const stepFlops = calls.reduce((s, c) => s + c.perStep * 2 * c.M * c.N * c.K, 0);
const oursStep = median(range.map((r) => stepMs("ours", r)));
const refRate = rows.at(-1)!.gflops as number;
const summary: Record<string, unknown> = {
  step_matmul_ms: oursStep,
  step_matmul_gflops: stepFlops / oursStep / 1e6,
  reference_gflops: refRate,
};
let line = `step's matmuls: ${oursStep.toFixed(0)} ms (${
  (stepFlops / oursStep / 1e6).toFixed(1)
} GFLOP/s, ${(stepFlops / oursStep / 1e6 / refRate).toFixed(2)} of the reference shape's rate)`;
if (impls.length > 1) {
  const baseStep = median(range.map((r) => stepMs("baseline", r)));
  // Paired per round, so a slow stretch of the host hits both sides alike.
  const ratio = median(range.map((r) => stepMs("baseline", r) / stepMs("ours", r)));
  Object.assign(summary, { baseline_step_matmul_ms: baseStep, baseline_over_ours: ratio });
  line += `; baseline ${baseStep.toFixed(0)} ms; baseline/ours ${ratio.toFixed(2)}× ` +
    `(median of per-round ratios)`;
}
console.log(line);

if (args.step) {
  type StepMod = typeof import("./_step.ts");
  const steps: ReturnType<StepMod["benchStep"]>[] = [];
  for (const impl of impls) {
    const sm: StepMod = await import(toFileUrl(join(impl.root, "bench/_step.ts")).href);
    const st = sm.benchStep(impl.gpu, String(args.preset), {}, B);
    st.run(); // compiles
    await impl.enc.readTensors(impl.gpu, [impl.probe]);
    steps.push(st);
  }
  const flops = stepMatmulFlops(steps[0].model, B);
  const ref = rows.length - 1, refFlops = 2 * 4096 * 1024 * 256;
  const stepTimes = impls.map(() => [] as number[]);
  const n = 2;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...impls.keys()].reverse() : [...impls.keys()];
    for (const i of order) {
      const t0 = clock();
      for (let k = 0; k < n; k++) steps[i].run();
      await impls[i].enc.readTensors(impls[i].gpu, [impls[i].probe]);
      stepTimes[i].push((clock() - t0 - impls[i].overheadMs) / n);
    }
  }
  const stepRows = impls.map((impl, i) => {
    const refMs = median(ms.get(impl.name)![ref]);
    const boundMs = flops / (refFlops / refMs / 1e6) / 1e6;
    return {
      impl: impl.name,
      step_ms: median(stepTimes[i]),
      dispatches: steps[i].trainer.lastDispatches,
      ratio_to_matmul_bound: median(stepTimes[i]) / boundMs,
      rounds_ratio: stepTimes[i].map((t) => t / boundMs),
    };
  });
  for (const r of stepRows) {
    console.log(
      `${r.impl} step (B ${B}): ${r.step_ms.toFixed(0)} ms, ${r.dispatches} dispatches, ${
        r.ratio_to_matmul_bound.toFixed(2)
      }× the matmul bound (rounds ${r.rounds_ratio.map((x) => x.toFixed(2)).join(" ")})`,
    );
  }
  summary.step = stepRows;
  if (impls.length > 1) {
    const paired = median(range.map((r) => stepTimes[1][r] / stepTimes[0][r]));
    summary.step_baseline_over_ours = paired;
    console.log(`step baseline/ours ${paired.toFixed(2)}× (median of per-round ratios)`);
  }
  for (const st of steps) st.release();
}

await Deno.mkdir(join(here, "results"), { recursive: true });
await atomicWriteText(
  join(here, "results", "matmul_step.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      adapter: { description: info.description, vendor: info.vendor },
      loadavg,
      preset: args.preset,
      B,
      rounds,
      clock: args.cpu ? "cpu" : "wall",
      baseline: args.baseline ?? null,
      ...summary,
      rows,
    },
    null,
    2,
  ) + "\n",
);
console.log(`wrote bench/results/matmul_step.json (${rows.length} rows)`);
for (const impl of impls) impl.probe.release();
