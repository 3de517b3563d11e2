/**
 * `deno task compile` end to end: builds dist/hrm and runs `--help`, `--version` and `info`.
 * `deno compile` needs Deno's runtime (denort), which it downloads from dl.deno.land unless
 * DENORT_BIN names one or a denort zip sits in Deno's cache; offline machines have neither, so
 * the test is skipped there with the reason printed.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { dirname, fromFileUrl, join } from "@std/path";
import denoJson from "../../deno.json" with { type: "json" };

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "../..");
const BIN = join(ROOT, "dist", Deno.build.os === "windows" ? "hrm.exe" : "hrm");

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

/** Why there is no runtime to compile against, or undefined when there is one. */
async function missingRuntime(): Promise<string | undefined> {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) return (await exists(bin)) ? undefined : `DENORT_BIN=${bin} does not exist`;
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .output();
  const denoDir = JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
  const zip = join(
    denoDir,
    "dl",
    "release",
    `v${Deno.version.deno}`,
    `denort-${Deno.build.target}.zip`,
  );
  if (await exists(zip)) return undefined;
  return `no denort runtime: set DENORT_BIN or place ${zip} (dl.deno.land is unreachable offline)`;
}

const reason = await missingRuntime();
if (reason) console.log(`compile_test skipped: ${reason}`);

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "deno task compile builds dist/hrm, which runs --help, --version and info",
  ignore: reason !== undefined,
  permissions: "inherit",
  async fn() {
    const build = await run(Deno.execPath(), ["task", "compile"]);
    assertEquals(build.code, 0, build.stderr);
    assert(await exists(BIN), `${BIN} was not written`);

    const help = await run(BIN, ["--help"]);
    assertEquals(help.code, 0, help.stderr);
    assertStringIncludes(help.stdout, "Usage: hrm <command>");
    assertStringIncludes(help.stdout, "gen sudoku");

    const version = await run(BIN, ["--version"]);
    assertEquals(version.stdout, `hrm ${denoJson.version}\n`);

    // With an adapter info prints it; without one it must fail cleanly (exit 1, no stack).
    const info = await run(BIN, ["info"]);
    if (info.code === 0) assertStringIncludes(info.stdout, "maxStorageBufferBindingSize");
    else {
      assertEquals(info.code, 1, info.stderr);
      assertStringIncludes(info.stderr, "hrm: No WebGPU adapter");
      assert(!info.stderr.includes("    at "), info.stderr);
    }
  },
});
