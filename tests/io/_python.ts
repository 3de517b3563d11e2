// Runs python3 snippets for the interop tests; they skip with a printed reason without numpy.
import { fromFileUrl } from "@std/path";

/** Absolute path of tests/fixtures/io/<rel>. */
export function fixture(rel: string): string {
  return fromFileUrl(new URL(`../fixtures/io/${rel}`, import.meta.url));
}

let cached: string | null | undefined;

/** Why python3 + numpy cannot run here, or null when they can. */
export async function numpyMissing(): Promise<string | null> {
  if (cached !== undefined) return cached;
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", "import numpy; print(numpy.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    cached = out.success ? null : "python3 has no numpy";
  } catch {
    cached = "python3 not found";
  }
  return cached;
}

/** Runs `code` with python3 (args in sys.argv[1:]) and returns its stdout parsed as JSON. */
export async function runPython(code: string, args: string[] = []): Promise<unknown> {
  const out = await new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`python3 failed: ${err}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
