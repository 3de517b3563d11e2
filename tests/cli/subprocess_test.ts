import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { fromFileUrl } from "@std/path";

const CLI = fromFileUrl(new URL("../../cli.ts", import.meta.url));

async function hrm(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno run cli.ts: --help, --version and the exit code of a usage error", async () => {
  const help = await hrm(["--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "gen sudoku");
  const v = await hrm(["--version"]);
  assertEquals(v.code, 0);
  assert(/^hrm \d+\.\d+\.\d+/.test(v.stdout), v.stdout);
  const bad = await hrm(["trian"]);
  assertEquals(bad.code, 2);
  assertEquals(bad.stderr.split("\n")[0], 'hrm: unknown command "trian" (did you mean "train"?)');
  assert(!bad.stderr.includes("    at "), bad.stderr);
});

Deno.test("hrm info without an adapter: an HrmError saying how to get one, exit 1, no stack", async () => {
  // DENO_WEBGPU_BACKEND set but empty enables no backend, so no adapter is found.
  const r = await hrm(["info"], { DENO_WEBGPU_BACKEND: "" });
  assertEquals(r.code, 1, r.stderr);
  const line = r.stderr.split("\n").find((l) => l.startsWith("hrm: "));
  assert(line, r.stderr);
  assertStringIncludes(line, "No WebGPU adapter");
  assertStringIncludes(line, "mesa-vulkan-drivers");
  assert(!r.stderr.includes("    at "), r.stderr);
});

Deno.test("hrm info --json describes the adapter; --require-gpu fails on a software one", async () => {
  const r = await hrm(["info", "--json"]);
  if (r.code !== 0) {
    console.log("info test: no WebGPU adapter here, only the error path was checked");
    assertStringIncludes(r.stderr, "No WebGPU adapter");
    return;
  }
  const d = JSON.parse(r.stdout);
  assertEquals(typeof d.adapter.description, "string");
  assertEquals(typeof d.isFallbackAdapter, "boolean");
  assert(d.limits.maxStorageBufferBindingSize > 0);
  const strict = await hrm(["info", "--json", "--require-gpu"]);
  assertEquals(strict.code, d.isFallbackAdapter ? 1 : 0, strict.stderr);
  if (d.isFallbackAdapter) {
    assertStringIncludes(strict.stderr, "hrm: the adapter is a software fallback");
  }
});
