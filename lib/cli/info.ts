/**
 * `hrm info`: which WebGPU adapter hrm would use, whether it is a software fallback, and the
 * limits and features the kernels depend on.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { describeGpu, type Gpu, requestGpu } from "../gpu/device.ts";
import { computeDtype } from "../gpu/variants.ts";
import { HrmError } from "../errors.ts";
import { openWorld, rankName } from "../dist/world.ts";
import { selectGpu } from "../dist/gpu_select.ts";

/** `hrm info`: prints the GPU adapter, its backend, fallback flag, features and limits. */
export const info: Command = {
  name: "info",
  summary: "show the WebGPU adapter, its features and limits",
  usage: "info [options]",
  description: "Without a GPU, Mesa's software adapter serves (llvmpipe via GL, or lavapipe via\n" +
    "Vulkan after `apt-get install mesa-vulkan-drivers`); DENO_WEBGPU_BACKEND=vulkan|gl picks one.\n" +
    "Under mpirun (`mpirun -np 8 hrm info`) each rank prints one line: the GPU it would train on.",
  flags: [
    { name: "json", type: "boolean", help: "print one JSON object instead of a table" },
    {
      name: "require-gpu",
      type: "boolean",
      help: "exit 1 if the adapter is a software fallback (for scripts on GPU machines)",
    },
  ],
  async run(ctx): Promise<void> {
    const world = openWorld();
    const choice = world.distributed ? selectGpu(world) : undefined;
    const gpu = await requestGpu();
    const d = { ...describeGpu(gpu), precision: precision(gpu) };
    if (choice) {
      const where = { rank: world.rank, size: world.size, host: world.host, gpu: choice.note };
      if (ctx.flags.json) console.log(JSON.stringify({ ...where, ...d }));
      else {
        console.log(
          `${rankName(world)}: ${d.adapter.description}${
            d.isFallbackAdapter ? " (software fallback)" : ""
          }; ${choice.note}`,
        );
      }
    } else if (ctx.flags.json) console.log(JSON.stringify(d, null, 2));
    else printTable(d);
    if (ctx.flags["require-gpu"] && d.isFallbackAdapter) {
      throw new HrmError(
        undefined,
        `the adapter is a software fallback (${d.adapter.description}): install the GPU's ` +
          "Vulkan driver (Deno falls back to Mesa silently when its ICD is missing) or check " +
          "DENO_WEBGPU_BACKEND",
      );
    }
  },
};

/** How each arch.forward_dtype runs on this adapter (WebGPU has no bfloat16). */
export function precision(gpu: Gpu): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ["bfloat16", "float16", "float32"] as const) {
    try {
      const c = computeDtype(gpu, f);
      out[f] = c.dtype === "float16" ? "float16 mixed precision" : "float32";
    } catch {
      out[f] = "unavailable (no shader-f16)";
    }
  }
  return out;
}

/** Prints the adapter as an aligned table. */
function printTable(
  d: ReturnType<typeof describeGpu> & { precision: Record<string, string> },
): void {
  const rows: [string, string][] = [
    ...Object.entries(d.adapter).map(([k, v]): [string, string] => [k, v || "(not reported)"]),
    ["backend", d.backend],
    [
      "fallback",
      d.isFallbackAdapter
        ? "yes: a software adapter, expect ~10 GFLOP/s; use the *-cpu presets"
        : "no",
    ],
    ["features", d.features.join(", ") || "(none)"],
    [
      "forward_dtype",
      Object.entries(d.precision).map(([k, v]) => `${k} runs as ${v}`).join("; "),
    ],
  ];
  const limits = Object.entries(d.limits);
  const width = Math.max(...rows.map(([k]) => k.length), ...limits.map(([k]) => k.length + 2));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log("limits");
  for (const [k, v] of limits) console.log(`  ${k.padEnd(width - 2)}  ${v}`);
}
