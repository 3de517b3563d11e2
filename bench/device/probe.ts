/**
 * Device probe for issue 11, run first by bench/device/run.sh on a GPU machine: what the adapter
 * exposes and what a device can request (shader-f16, subgroups, timestamp-query,
 * wgpu-cooperative-matrix), and, where the cooperative-matrix feature is there, which matrix
 * configurations of naga's `enable wgpu_cooperative_matrix;` compile and compute correctly
 * (sizes 8 and 16; f16 or f32 operands; f32 or f16 accumulator; which of `coopLoad`/`coopLoadT`
 * reads row-major memory), then a first throughput figure of a plain cooperative-matrix
 * `y = x·Wᵀ` (f16 operands, f32 accumulation, one subgroup per block of tiles, no shared-memory
 * staging) at the paper's Sudoku shapes, each checked on sampled outputs against float64.
 *
 * These shaders are experiments that find out what the platform does; the library's matmul does
 * not use them. Writes a JSON report (`--out`, default runs/bench-gpu/probe.json). Exits 3 on a
 * fallback or software adapter unless `--allow-software`.
 *
 * Run: `deno run -A bench/device/probe.ts [--out FILE] [--allow-software]`; `--check-host` runs
 * the throughput part's host code with a plain f16 kernel at small shapes instead (for adapters
 * without cooperative matrices).
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { dirname } from "@std/path";
import { atomicWriteText } from "../../lib/io/atomic_write.ts";
import {
  type CoopConfig,
  coopMatmulSource,
  coopProbeSource,
  plainBlockMatmulSource,
} from "./coop_wgsl.ts";

const args = parseArgs(Deno.args, { boolean: ["allow-software", "check-host"], string: ["out"] });
const outPath = String(args.out ?? "runs/bench-gpu/probe.json");
const report: Record<string, unknown> = { date: new Date().toISOString(), deno: Deno.version };
const save = async () => {
  await Deno.mkdir(dirname(outPath), { recursive: true });
  await atomicWriteText(outPath, JSON.stringify(report, null, 1) + "\n");
};

const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
if (!adapter) {
  report.error = "no WebGPU adapter";
  await save();
  console.error("probe: no WebGPU adapter (Vulkan loader or driver missing?)");
  Deno.exit(2);
}
const info = adapter.info as GPUAdapterInfo & {
  isFallbackAdapter?: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
};
const limits: Record<string, number> = {};
for (const k in adapter.limits) {
  const v = (adapter.limits as unknown as Record<string, unknown>)[k];
  if (typeof v === "number") limits[k] = v;
}
const software = Boolean(info.isFallbackAdapter) ||
  /llvmpipe|lavapipe|softpipe|swiftshader|warp/i.test(info.description ?? "");
Object.assign(report, {
  adapter: {
    description: info.description,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    subgroupMinSize: info.subgroupMinSize,
    subgroupMaxSize: info.subgroupMaxSize,
  },
  isFallbackAdapter: Boolean(info.isFallbackAdapter),
  software,
  features: [...adapter.features].sort(),
  limits,
});
console.log(`adapter: ${info.description} (vendor ${info.vendor}, ${info.architecture})`);
console.log(`isFallbackAdapter: ${Boolean(info.isFallbackAdapter)}, software: ${software}`);
console.log(`subgroup sizes: ${info.subgroupMinSize}..${info.subgroupMaxSize}`);
console.log(`features: ${[...adapter.features].sort().join(", ")}`);
const WANTED = ["shader-f16", "subgroups", "timestamp-query", "wgpu-cooperative-matrix"];
for (const f of WANTED) {
  console.log(`  ${f}: ${adapter.features.has(f as GPUFeatureName) ? "yes" : "NO"}`);
}
if (software && !args["allow-software"]) {
  report.error = "fallback/software adapter: not a GPU measurement";
  await save();
  console.error(`probe: ${info.description} is a fallback/software adapter; stopping`);
  Deno.exit(3);
}

// What a device can request: each wanted feature alone, then all that worked together.
const requestable: Record<string, string> = {};
for (const f of WANTED) {
  if (!adapter.features.has(f as GPUFeatureName)) {
    requestable[f] = "not exposed by the adapter";
    continue;
  }
  try {
    const d = await adapter.requestDevice({ requiredFeatures: [f as GPUFeatureName] });
    requestable[f] = d.features.has(f as GPUFeatureName) ? "ok" : "granted without the feature";
    d.destroy();
  } catch (e) {
    requestable[f] = `refused: ${(e as Error).message}`;
  }
}
report.requestable = requestable;
console.log(`requestDevice: ${JSON.stringify(requestable)}`);
const features = WANTED.filter((f) => requestable[f] === "ok") as GPUFeatureName[];
const device = await adapter.requestDevice({
  requiredFeatures: features,
  requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  },
});
report.deviceFeatures = [...device.features].sort();

/** Compiles `code` and its `main` pipeline; returns the pipeline or the first error's text. */
async function compile(code: string): Promise<GPUComputePipeline | string> {
  device.pushErrorScope("validation");
  device.pushErrorScope("internal");
  const module = device.createShaderModule({ code });
  const msgs = (await module.getCompilationInfo()).messages.filter((m) => m.type === "error");
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const internal = await device.popErrorScope();
  const validation = await device.popErrorScope();
  const err = msgs[0]?.message ?? validation?.message ?? internal?.message;
  return err ? err.trim().split("\n").slice(0, 8).join(" | ") : pipeline;
}

// Subgroups: does a subgroupAdd shader compile?
if (device.features.has("subgroups" as GPUFeatureName)) {
  const r = await compile(
    "enable subgroups;\n@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n" +
      "@compute @workgroup_size(64) fn main(@builtin(local_invocation_index) i: u32) {\n" +
      "  a[i] = subgroupAdd(a[i]);\n}\n",
  );
  report.subgroups_shader = typeof r === "string" ? r : "compiles";
}

const sg = info.subgroupMaxSize ?? 32;
const coop: Record<string, unknown>[] = [];
report.cooperative_matrix = coop;
const configs: CoopConfig[] = [];
for (const n of [16, 8] as const) {
  for (const [ab, c] of [["f16", "f32"], ["f16", "f16"], ["f32", "f32"]] as const) {
    configs.push({ n, ab, c, subgroup: sg });
  }
}
if (!device.features.has("wgpu-cooperative-matrix" as GPUFeatureName)) {
  // Record what naga says without the feature (the directive is refused before any type).
  const r = await compile(coopProbeSource(configs[0], "coopLoadT", "read_write"));
  coop.push({ note: "feature not on the device", compile_error: r });
  console.log(`cooperative matrix: not available (${typeof r === "string" ? r : "compiled?!"})`);
} else {
  // One configuration at a time, saved after each: an unsupported one may lose the device.
  let lost: string | undefined;
  device.lost.then((i) => lost = i.message || String(i.reason));
  for (const cfg of configs) {
    if (lost) {
      coop.push({ ...cfg, skipped: `device lost earlier: ${lost}` });
      continue;
    }
    try {
      coop.push(await probeConfig(cfg));
    } catch (e) {
      coop.push({ ...cfg, error: String((e as Error).message ?? e) });
    }
    await save();
  }
}
await save();

/** Runs one configuration: C = A·B + C on exact small integers, with each load/store flavour. */
async function probeConfig(cfg: CoopConfig): Promise<Record<string, unknown>> {
  const n = cfg.n, row: Record<string, unknown> = { ...cfg };
  // Integers in [-3, 3]; no symmetry, so A·B and B·A differ; every sum is exact in f16 and f32.
  const A = Array.from({ length: n * n }, (_, i) => ((i * 5 + (i >> 3)) % 7) - 3);
  const Bm = Array.from({ length: n * n }, (_, i) => ((i * 3 + 1 + (i >> 2)) % 7) - 3);
  const C0 = Array.from({ length: n * n }, (_, i) => (i % 5) - 2);
  const product = (X: number[], Y: number[]) =>
    C0.map((c, idx) => {
      const i = Math.floor(idx / n), j = idx % n;
      let s = c;
      for (let k = 0; k < n; k++) s += X[i * n + k] * Y[k * n + j];
      return s;
    });
  const rowMajor = product(A, Bm), colMajor = product(Bm, A);
  for (const load of ["coopLoadT", "coopLoad"] as const) {
    let pipeline: GPUComputePipeline | string = "";
    let access = "";
    for (const acc of ["read", "read_write"] as const) {
      pipeline = await compile(coopProbeSource(cfg, load, acc));
      access = acc;
      if (typeof pipeline !== "string") break;
    }
    if (typeof pipeline === "string") {
      row[`${load}_error`] = pipeline;
      continue;
    }
    row.operand_access = access;
    const got = await runProbe(pipeline, cfg, A, Bm, C0);
    const err = (e: number[]) => Math.max(...e.map((v, i) => Math.abs(v - got[i])));
    row[`${load}_reads`] = err(rowMajor) < 1e-3
      ? "row-major"
      : err(colMajor) < 1e-3
      ? "column-major"
      : `neither (max err ${Math.min(err(rowMajor), err(colMajor))})`;
  }
  console.log(`coop ${JSON.stringify(row)}`);
  return row;
}

async function runProbe(
  pipeline: GPUComputePipeline,
  cfg: CoopConfig,
  A: number[],
  B: number[],
  C: number[],
): Promise<number[]> {
  const buf = (vals: number[], t: "f16" | "f32") => {
    const data = t === "f16" ? new Float16Array(vals) : new Float32Array(vals);
    const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
    const b = device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const a = buf(A, cfg.ab), b = buf(B, cfg.ab), c = buf(C, cfg.c);
  const read = device.createBuffer({
    size: c.size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const bg = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [a, b, c].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bg);
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(c, 0, read, 0, c.size);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const raw = read.getMappedRange().slice(0);
  read.unmap();
  for (const x of [a, b, c, read]) x.destroy();
  const vals = cfg.c === "f16" ? new Float16Array(raw) : new Float32Array(raw);
  return [...vals.slice(0, cfg.n * cfg.n)];
}

// Throughput of a plain cooperative-matrix y = x·Wᵀ (f16 in, f32 accumulate) where it computes
// correctly: W [N, K] row-major is Wᵀ column-major, read with the load that reads column-major.
const c16 = coop.find((r) => r.n === 16 && r.ab === "f16" && r.c === "f32");
const flavour = (layout: string) =>
  c16?.coopLoadT_reads === layout
    ? "coopLoadT"
    : c16?.coopLoad_reads === layout
    ? "coopLoad"
    : undefined;
const rowLoad = flavour("row-major"), colLoad = flavour("column-major");
const bench: Record<string, unknown>[] = [];
/** Storage/uniform bindings of each coop matmul pipeline (5 with the zero tile). */
const bindingCounts = new WeakMap<GPUComputePipeline, number>();
report.coop_matmul = bench;
if (args["check-host"]) {
  const s = { name: "host check", M: 320, K: 96, N: 192 };
  const pool = Float16Array.from({ length: s.M * s.K }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  const pipelines: [string, GPUComputePipeline][] = [];
  for (const [rm, rn] of [[2, 2], [4, 2], [4, 4]]) {
    const pl = await compile(plainBlockMatmulSource(rm, rn));
    if (typeof pl === "string") throw new Error(pl);
    pipelines.push([`${rm}x${rn}`, pl]);
  }
  bench.push(...await timeShape(s, pool, pipelines));
} else if (!colLoad || !rowLoad) {
  report.coop_matmul_skipped = "no correct 16x16 f16/f32 configuration with both layouts";
  console.log(`coop matmul: skipped (${report.coop_matmul_skipped})`);
} else {
  const shapes = [
    { name: "sudoku b768 qkv", M: 768 * 81, K: 512, N: 1536 },
    { name: "sudoku b768 gate_up", M: 768 * 81, K: 512, N: 3072 },
    { name: "sudoku b768 down", M: 768 * 81, K: 1536, N: 512 },
  ];
  const pipelines: [string, GPUComputePipeline][] = [];
  for (const [rm, rn] of [[2, 2], [4, 2], [4, 4]]) {
    let pipeline: GPUComputePipeline | string = "";
    for (const zero of ["ctor", "load"] as const) {
      pipeline = await compile(coopMatmulSource({
        rm,
        rn,
        subgroup: sg,
        rowLoad,
        colLoad,
        access: c16?.operand_access === "read" ? "read" : "read_write",
        zero,
      }));
      if (typeof pipeline !== "string") {
        report.coop_matmul_zero_init = zero;
        bindingCounts.set(pipeline, zero === "load" ? 5 : 4);
        break;
      }
      bench.push({ tiles: `${rm}x${rn}`, zero, error: pipeline });
    }
    if (typeof pipeline !== "string") pipelines.push([`${rm}x${rn}`, pipeline]);
  }
  // One pseudo-random f16 pool for every operand: an M×K (N×K) matrix is its first M·K (N·K)
  // values, so the data is made once.
  const pool = new Float16Array(Math.max(...shapes.map((s) => s.M * s.K)));
  let seed = 12345;
  for (let i = 0; i < pool.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    pool[i] = seed / 2 ** 32 - 0.5;
  }
  for (const s of shapes) {
    if (pipelines.length) bench.push(...await timeShape(s, pool, pipelines));
    await save();
  }
}
await save();
console.log(`wrote ${outPath}`);

/** Times every compiled tiling at one shape; checks 256 outputs of each against float64. */
async function timeShape(
  s: { name: string; M: number; K: number; N: number },
  pool: Float16Array,
  pipelines: [string, GPUComputePipeline][],
): Promise<Record<string, unknown>[]> {
  const { M, K, N } = s;
  const x = pool.subarray(0, M * K), w = pool.subarray(0, N * K);
  const mk = (bytes: number, usage: number) => device.createBuffer({ size: bytes, usage });
  const S = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const xb = mk(x.byteLength, S), wb = mk(w.byteLength, S), yb = mk(M * N * 4, S);
  const ub = mk(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  const zb = mk(256 * 4, S); // a 16×16 zero tile (new buffers are zeroed) for zero = "load"
  // x and w start the pool (byte offset 0); every size here is a multiple of 4 bytes.
  device.queue.writeBuffer(xb, 0, pool.buffer as ArrayBuffer, 0, x.byteLength);
  device.queue.writeBuffer(wb, 0, pool.buffer as ArrayBuffer, 0, w.byteLength);
  device.queue.writeBuffer(ub, 0, new Uint32Array([M, N, K, 0]));
  // 16 rows spread over M, 16 columns each: copied row by row into one small readback buffer.
  const sampleRows = Array.from({ length: 16 }, (_, t) => Math.floor((t * 2 + 1) * M / 32));
  const sampleCols = Array.from({ length: 16 }, (_, t) => Math.floor((t * 2 + 1) * N / 32));
  const read = mk(16 * N * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  const out: Record<string, unknown>[] = [];
  for (const [tiles, pipeline] of pipelines) {
    const [rm, rn] = tiles.split("x").map(Number);
    const bg = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [xb, wb, yb, ub, zb]
        .slice(0, bindingCounts.get(pipeline) ?? 4)
        .map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const run = async (per: number) => {
      const t0 = performance.now();
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bg);
      for (let i = 0; i < per; i++) pass.dispatchWorkgroups(N / (16 * rn), M / (16 * rm));
      pass.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    const empty = await run(0);
    const first = Math.max(0.05, (await run(1)) - empty);
    const per = Math.max(1, Math.min(200, Math.round(100 / first)));
    const times: number[] = [];
    for (let r = 0; r < 3; r++) times.push((await run(per)) - empty);
    times.sort((a, b) => a - b);
    const tflops = 2 * M * K * N * per / (times[1] * 1e9);
    const enc = device.createCommandEncoder();
    sampleRows.forEach((i, r) => enc.copyBufferToBuffer(yb, i * N * 4, read, r * N * 4, N * 4));
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const y = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    let maxRel = 0;
    sampleRows.forEach((i, r) => {
      for (const j of sampleCols) {
        let ref = 0, mag = 0;
        for (let k = 0; k < K; k++) {
          ref += x[i * K + k] * w[j * K + k];
          mag += Math.abs(x[i * K + k] * w[j * K + k]);
        }
        maxRel = Math.max(maxRel, Math.abs(y[r * N + j] - ref) / (mag || 1));
      }
    });
    const row = {
      ...s,
      tiles,
      per_submit: per,
      first_dispatch_ms: first,
      tflops,
      max_err_over_abs_sum: maxRel,
      correct: maxRel < 2e-3,
    };
    console.log(`coop matmul ${JSON.stringify(row)}`);
    out.push(row);
  }
  for (const b of [xb, wb, yb, ub, zb, read]) b.destroy();
  return out;
}
