/**
 * Keeps README.md's CLI reference true: the generated section must name exactly the registered
 * commands and their flags. Run with `UPDATE=1` to regenerate the section.
 */
import { assertEquals } from "@std/assert";
import { dirname, fromFileUrl, join } from "@std/path";
import { COMMANDS } from "../../lib/cli/registry.ts";
import { cliReference, REFERENCE_END, REFERENCE_START } from "../../lib/cli/reference.ts";

const README = join(dirname(fromFileUrl(import.meta.url)), "../../README.md");

/** `hrm <command> --<flag>` for every command and flag a reference text names. */
function namesIn(markdown: string): string[] {
  const out: string[] = [];
  let command = "";
  for (const line of markdown.split("\n")) {
    const h = /^### `hrm (.+)`$/.exec(line);
    if (h) out.push(command = h[1]);
    const f = /^\| `(?:-\w, )?--([\w-]+)/.exec(line);
    if (f) out.push(`${command} --${f[1]}`);
  }
  return out.sort();
}

Deno.test("README's CLI reference names every command and flag, and nothing else", async () => {
  const text = await Deno.readTextFile(README);
  const start = text.indexOf(REFERENCE_START);
  const end = text.indexOf(REFERENCE_END);
  const generated = cliReference(COMMANDS);
  if (Deno.env.get("UPDATE") === "1" && start >= 0 && end > start) {
    const updated = text.slice(0, start + REFERENCE_START.length) + "\n\n" + generated + "\n" +
      text.slice(end);
    await Deno.writeTextFile(README, updated);
    // Tables are aligned by deno fmt; format now so `deno task check` stays green.
    const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", README] }).output();
    assertEquals(fmt.code, 0, "deno fmt README.md failed");
    return;
  }
  assertEquals(start >= 0 && end > start, true, "README.md lacks the cli-reference markers");
  assertEquals(
    namesIn(text.slice(start, end)),
    namesIn(generated),
    "README.md's CLI reference is stale: run `UPDATE=1 deno test -A tests/cli/readme_test.ts`",
  );
});
