import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { main } from "../../cli.ts";
import { COMMANDS, findCommand } from "../../lib/cli/registry.ts";
import { GLOBAL_FLAGS } from "../../lib/cli/parse.ts";

const EXPECTED = [
  "demo",
  "gen sudoku",
  "gen maze",
  "gen arc",
  "train",
  "eval",
  "solve",
  "show",
  "report",
  "analyze pr",
  "convert",
  "info",
];

Deno.test("the registry holds every command once", () => {
  assertEquals([...COMMANDS.map((c) => c.name)].sort(), [...EXPECTED].sort());
});

Deno.test("every command's flags are well formed and do not clash", () => {
  const reserved = new Set(GLOBAL_FLAGS.flatMap((f) => [f.name, f.alias ?? ""]));
  for (const c of COMMANDS) {
    assert(c.usage.startsWith(c.name), `${c.name}: usage must start with the name`);
    assert(c.summary.length > 0 && !c.summary.includes("\n"), `${c.name}: one-line summary`);
    const names = new Set<string>();
    for (const f of c.flags) {
      assert(/^[a-z][a-z0-9-]*$/.test(f.name), `${c.name} --${f.name}: lower-case-with-dashes`);
      assert(
        !reserved.has(f.name) && !reserved.has(f.alias ?? "-"),
        `${c.name} --${f.name}: reserved`,
      );
      assert(!names.has(f.name) && !names.has(f.alias ?? "-"), `${c.name} --${f.name}: duplicate`);
      names.add(f.name);
      if (f.alias) {
        assertEquals(f.alias.length, 1, `${c.name} -${f.alias}: one letter`);
        names.add(f.alias);
      }
      if (f.default !== undefined && f.type !== "string") {
        assertEquals(typeof f.default, f.type, `${c.name} --${f.name}: default type`);
      }
    }
  }
});

Deno.test("every command prints its help", async () => {
  for (const c of COMMANDS) {
    let stdout = "";
    const code = await main([...c.name.split(" "), "--help"], {
      out: { stdout: (t) => void (stdout += t), stderr: () => {} },
    });
    assertEquals(code, 0, c.name);
    assertStringIncludes(stdout, `Usage: hrm ${c.usage}`);
  }
});

Deno.test("findCommand matches two-word names, groups and unknowns", () => {
  const m = findCommand(["gen", "maze", "x"]);
  assertEquals(m.kind === "command" && [m.command.name, m.words], ["gen maze", 2]);
  const g = findCommand(["gen"]);
  assertEquals(g.kind === "group" && g.commands.map((c) => c.name), [
    "gen sudoku",
    "gen maze",
    "gen arc",
  ]);
  assertEquals(findCommand(["nope"]), { kind: "unknown", word: "nope" });
  const t = findCommand(["train", "extra"]);
  assertEquals(t.kind === "command" && [t.command.name, t.words], ["train", 1]);
});
