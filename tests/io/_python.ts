// Runs python3 snippets for the interop tests, which skip with a printed reason when python3 or
// a module they import is missing. One python start per test: numpy's import is slow on CI.
import { fromFileUrl } from "@std/path";

/** Absolute path of tests/fixtures/io/<rel>. */
export function fixture(rel: string): string {
  return fromFileUrl(new URL(`../fixtures/io/${rel}`, import.meta.url));
}

/**
 * Runs `code` with python3 (args in sys.argv[1:]) and parses its stdout as JSON; or, when
 * python3 or an imported module is missing, prints why the test is skipped and returns undefined.
 */
export async function runPython(code: string, args: string[] = []): Promise<unknown> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("python3", {
      args: ["-c", code, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.log("skipped: python3 not found");
    return undefined;
  }
  const err = new TextDecoder().decode(out.stderr);
  const missing = /ModuleNotFoundError: No module named '([^']+)'/.exec(err);
  if (!out.success && missing) {
    console.log(`skipped: python3 has no ${missing[1]}`);
    return undefined;
  }
  if (!out.success) throw new Error(`python3 failed: ${err}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
