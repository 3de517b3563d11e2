/**
 * Attention benchmark: GPU time of forward and backward (timestamp queries, as under
 * `HRM_GPU_PROFILE=1`) of the flash kernels (their per-device geometry, the default before the
 * rows kernels) and the rows kernels (the default now) at HRM's shapes, with RoPE applied in
 * the kernels as HRM runs them, compared interleaved in one run (the host is shared and noisy): medians and their ratio to the first variant. The
 * first call of each variant (shader compilation included) is reported separately, and the
 * variants' outputs must agree. At long T the op refuses the flash kernels on llvmpipe (their
 * loops would pass its loop limiter; see `LLVMPIPE_LOOP_LIMIT`), so only rows runs there.
 * Writes bench/results/attention.json. `--quick` runs fewer repetitions and skips the maze-sized
 * shape; `--reps N` sets the repetitions, `--shapes '[[B, T, NH, HD], ...]'` replaces the
 * shapes and `--variants '{"name": AttentionVariant, ...}'` the variants (a rows variant with
 * qr 0 takes the default's qr).
 *
 * @module
 */
import { fromFileUrl } from "@std/path";
import { atomicWriteText } from "../lib/io/atomic_write.ts";

// The encoder reads HRM_GPU_PROFILE when it is loaded, so the engine is imported after this.
Deno.env.set("HRM_GPU_PROFILE", "1");
const { requestGpu } = await import("../lib/gpu/device.ts");
const { Encoder, gpuProfile, readTensors, upload } = await import("../lib/gpu/encoder.ts");
const { isSoftwareAdapter } = await import("../lib/gpu/variants.ts");
const { ropeTables } = await import("../lib/ops/rope.ts");
const { attentionBackward, attentionForward, defaultAttentionVariant, flashAttentionVariant } =
  await import("../lib/ops/attention.ts");
type AttentionVariant = import("../lib/ops/attention.ts").AttentionVariant;
type Tensor = import("../lib/gpu/tensor.ts").Tensor;
type RopeTables = import("../lib/ops/rope.ts").RopeTables;

const quick = Deno.args.includes("--quick");
function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}
const reps = Number(arg("--reps") ?? (quick ? 3 : 7));
const gpu = await requestGpu();
const soft = isSoftwareAdapter(gpu);
const info = gpu.adapter.info;
console.log(`adapter: ${info.description} (software ${soft}, ${gpu.backend})`);

// [what, B, T, NH, HD]: the demo (4×4 Sudoku), the CPU presets, 8 heads at B·NH = 512, paper
// width, and a maze-sized T on the CPU presets' width.
const given = arg("--shapes");
const SHAPES: [string, number, number, number, number][] = given
  ? (JSON.parse(given) as number[][]).map(([B, T, NH, HD]) => [`T ${T}`, B, T, NH, HD])
  : [
    ["sudoku-mini (demo)", 64, 16, 4, 16],
    ["sudoku-cpu", 32, 81, 2, 32],
    ["8 heads of 16, B·NH 512", 64, 82, 8, 16],
    ["paper width (8 heads of 64)", 8, 82, 8, 64],
    ...(quick
      ? []
      : [["maze-cpu (T 900)", 16, 900, 2, 32] as [string, number, number, number, number]]),
  ];

const givenVariants = arg("--variants");

function variants(HD: number): Record<string, AttentionVariant> {
  const rows = defaultAttentionVariant(gpu, HD);
  if (givenVariants) {
    const vs = JSON.parse(givenVariants) as Record<string, AttentionVariant>;
    for (const v of Object.values(vs)) if (v.kind === "rows" && v.qr === 0) v.qr = rows.qr;
    return vs;
  }
  return { flash: flashAttentionVariant(gpu, HD), rows };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function profileMs(): Promise<Map<string, number>> {
  return new Map([...(await gpuProfile(gpu))].map(([k, v]) => [k, v.ms]));
}

/** One forward+backward: GPU ms of the forward and backward kernels, wall ms, and the results. */
async function run(
  qkv: Tensor,
  dout: Tensor,
  NH: number,
  HD: number,
  rope: RopeTables,
  v: AttentionVariant,
): Promise<{ fwd: number; bwd: number; wall: number; results: Float32Array[] }> {
  const before = await profileMs();
  const t0 = performance.now();
  const enc = new Encoder(gpu);
  const { out, lse, saved } = attentionForward(enc, qkv, NH, HD, { rope, variant: v, save: true });
  const dqkv = attentionBackward(enc, dout, saved!, out, lse, NH, HD, { rope, variant: v });
  enc.submit();
  const results = (await readTensors(gpu, [out, dqkv])) as Float32Array[];
  const wall = performance.now() - t0;
  let fwd = 0, bwd = 0;
  for (const [label, ms] of await profileMs()) {
    const d = ms - (before.get(label) ?? 0);
    if (label.endsWith("_fwd")) fwd += d;
    else bwd += d;
  }
  for (const t of [out, lse, dqkv, saved!]) t.release();
  return { fwd, bwd, wall, results };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const rows: Record<string, unknown>[] = [];
const header = ["shape", "B", "T", "NH", "HD", "variant", "fwd ms", "bwd ms", "first ms", "x"];
console.log(header.join("\t"));
for (const [what, B, T, NH, HD] of SHAPES) {
  const n = B * T * 3 * NH * HD;
  const qkv = upload(gpu, new Float32Array(n).map(() => Math.random() * 2 - 1), [B, T, n / B / T]);
  const dout = upload(gpu, new Float32Array(n / 3).map(() => Math.random() - 0.5), [B, T, NH * HD]);
  const rope = ropeTables(gpu, T, HD, 10000);
  const vs = variants(HD);
  const times: Record<string, { fwd: number[]; bwd: number[]; first: number }> = {};
  const results: Record<string, Float32Array[]> = {};
  for (let r = 0; r < reps + 1; r++) {
    for (const [name, v] of Object.entries(vs)) {
      let t;
      try {
        t = await run(qkv, dout, NH, HD, rope, v);
      } catch (e) {
        if (!(e instanceof RangeError) || r > 0) throw e;
        console.log(`${what}: ${name} not run: ${e.message}`);
        delete vs[name];
        continue;
      }
      if (r === 0) {
        times[name] = { fwd: [], bwd: [], first: t.wall };
        results[name] = t.results;
      } else {
        times[name].fwd.push(t.fwd);
        times[name].bwd.push(t.bwd);
      }
    }
  }
  const names = Object.keys(vs), base = names[0];
  const diffs = names.map((n) =>
    Math.max(
      maxAbsDiff(results[base][0], results[n][0]),
      maxAbsDiff(results[base][1], results[n][1]),
    )
  );
  const diff = Math.max(...diffs);
  if (!(diff < 1e-4)) throw new Error(`${what}: the variants differ by ${diff}`);
  const total = (name: string) => median(times[name].fwd) + median(times[name].bwd);
  for (const [i, [name, v]] of Object.entries(vs).entries()) {
    const t = times[name];
    const ratio = total(base) / total(name);
    console.log(
      [what, B, T, NH, HD, `${name} ${JSON.stringify(v)}`, median(t.fwd).toFixed(2)]
        .concat([median(t.bwd).toFixed(2), t.first.toFixed(0), ratio.toFixed(1)]).join("\t"),
    );
    rows.push({
      shape: what,
      B,
      T,
      NH,
      HD,
      variant: name,
      config: v,
      default: JSON.stringify(v) === JSON.stringify(defaultAttentionVariant(gpu, HD)),
      fwd_ms: median(t.fwd),
      bwd_ms: median(t.bwd),
      first_call_ms: t.first,
      baseline: base,
      speedup_vs_baseline: ratio,
      max_abs_diff_vs_baseline: diffs[i],
    });
  }
  qkv.release();
  dout.release();
  rope.cs.release();
}

await Deno.mkdir(new URL("./results", import.meta.url), { recursive: true });
await atomicWriteText(
  fromFileUrl(new URL("./results/attention.json", import.meta.url)),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      adapter: info.description,
      software: soft,
      load_average: Deno.loadavg()[0],
      reps,
      rows,
    },
    null,
    2,
  ) + "\n",
);
