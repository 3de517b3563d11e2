// Encoder guards and diagnostics: overlapping bindings are refused naming the kernel; under
// HRM_GPU_PROFILE=1 every dispatch is timed per kernel; under HRM_GPU_DEBUG=1 a validation error
// names its kernel.
import { assert, assertStringIncludes, assertThrows } from "@std/assert";
import { Encoder } from "../../lib/gpu/encoder.ts";
import { Tensor } from "../../lib/gpu/tensor.ts";
import { add } from "../../lib/ops/elementwise.ts";
import { gpuTest } from "../_helpers.ts";

gpuTest("encoder: partly overlapping bindings are refused, naming the kernel", (gpu) => {
  const base = Tensor.empty(gpu, [128], "f32", "base");
  const a = Tensor.view(base, 0, [64], "a"), b = Tensor.view(base, 32, [64], "b");
  const enc = new Encoder(gpu);
  const e = assertThrows(() => add(enc, a, b, Tensor.view(base, 64, [64], "out")), RangeError);
  assertStringIncludes(e.message, "elementwise:add");
  assertStringIncludes(e.message, "overlap");
  base.release();
});

async function runWith(env: Record<string, string>, code: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

const PRELUDE = `
import { requestGpu } from "${new URL("../../lib/gpu/device.ts", import.meta.url)}";
import { Encoder, gpuProfile, readTensors, upload } from "${new URL(
  "../../lib/gpu/encoder.ts",
  import.meta.url,
)}";
import { add } from "${new URL("../../lib/ops/elementwise.ts", import.meta.url)}";
const gpu = await requestGpu();
const x = upload(gpu, [1, 2, 3], [3]);
`;

gpuTest("HRM_GPU_PROFILE=1 times every dispatch per kernel", async () => {
  const text = await runWith(
    { HRM_GPU_PROFILE: "1" },
    PRELUDE + `const enc = new Encoder(gpu); const y = add(enc, x, x); add(enc, y, x); enc.submit();
await readTensors(gpu, [y]); const p = await gpuProfile(gpu);
console.log("COUNT", p.get("elementwise:add")?.count);`,
  );
  assertStringIncludes(text, "COUNT 2");
});

gpuTest("HRM_GPU_DEBUG=1 names the kernel of a validation error", async () => {
  // Binding one tensor as both read-only input and read-write output is a validation error.
  const text = await runWith(
    { HRM_GPU_DEBUG: "1" },
    PRELUDE + `const enc = new Encoder(gpu); add(enc, x, x, x); enc.submit();
try { await readTensors(gpu, [x]); console.log("NO ERROR"); } catch (e) { console.log("ERR", e.message); }`,
  );
  assert(text.includes("ERR") && text.includes("elementwise:add"), text);
});
