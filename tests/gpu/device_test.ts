// Opening the device on Linux with a Vulkan driver asks wgpu for Vulkan only, so the GL backend
// (libEGL) never loads: libEGL's teardown raced at process exit with exiting threads and crashed
// `deno task test` after every test had passed (SIGSEGV in libEGL, from a core dump).
import { assert, assertEquals } from "@std/assert";
import { preferVulkan } from "../../lib/gpu/device.ts";
import { gpuTest } from "../_helpers.ts";

const VARS = ["DENO_WEBGPU_BACKEND", "VK_ICD_FILENAMES", "VK_DRIVER_FILES"];

/** Runs `fn` with VARS unset, restoring them afterwards. */
function withoutVars(fn: () => void): void {
  const saved = VARS.map((k) => Deno.env.get(k));
  try {
    for (const k of VARS) Deno.env.delete(k);
    fn();
  } finally {
    VARS.forEach((k, i) =>
      saved[i] === undefined ? Deno.env.delete(k) : Deno.env.set(k, saved[i]!)
    );
  }
}

Deno.test({
  name: "preferVulkan: Vulkan only where a driver manifest exists and the user chose nothing",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const icd = Deno.makeTempDirSync(), empty = Deno.makeTempDirSync();
    Deno.writeTextFileSync(`${icd}/lvp_icd.x86_64.json`, "{}");
    try {
      withoutVars(() => {
        assertEquals(preferVulkan([empty, `${empty}/missing`]), false);
        assertEquals(Deno.env.get("DENO_WEBGPU_BACKEND"), undefined);
        assertEquals(preferVulkan([empty, icd]), true);
        assertEquals(Deno.env.get("DENO_WEBGPU_BACKEND"), "vulkan");
        Deno.env.set("DENO_WEBGPU_BACKEND", "gl");
        assertEquals(preferVulkan([icd]), false, "a backend the user set is kept");
        assertEquals(Deno.env.get("DENO_WEBGPU_BACKEND"), "gl");
        Deno.env.set("DENO_WEBGPU_BACKEND", "");
        assertEquals(preferVulkan([icd]), false, "set but empty (no backend) is kept");
      });
    } finally {
      Deno.removeSync(icd, { recursive: true });
      Deno.removeSync(empty, { recursive: true });
    }
  },
});

gpuTest("requestGpu on Linux with a Vulkan driver does not load libEGL", async () => {
  if (Deno.build.os !== "linux") return;
  const code = `
import { requestGpu } from "${new URL("../../lib/gpu/device.ts", import.meta.url)}";
const gpu = await requestGpu();
const maps = Deno.readTextFileSync("/proc/self/maps");
console.log(JSON.stringify({ backend: Deno.env.get("DENO_WEBGPU_BACKEND") ?? null,
  egl: maps.includes("libEGL"), adapter: gpu.adapter.info.description }));`;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (k !== "DENO_WEBGPU_BACKEND") env[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  assert(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(text) as { backend: string | null; egl: boolean; adapter: string };
  if (r.backend !== "vulkan") {
    console.warn(`libEGL check skipped: no Vulkan driver manifest here (adapter ${r.adapter})`);
    return;
  }
  assertEquals(r.egl, false, `libEGL was loaded (adapter ${r.adapter})`);
});
