// The @std shims behave as std does for the subset hrm uses, so a switch to JSR is neutral.
import { parseArgs } from "@std/cli";
import { basename, dirname, extname, join } from "@std/path";
import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";

Deno.test("@std/cli parseArgs: booleans, strings, aliases, defaults, --", () => {
  const a = parseArgs(["gen", "--seed", "7", "-v", "--out=x", "lr=1", "--", "--keep"], {
    boolean: ["verbose"],
    string: ["seed", "out"],
    alias: { v: "verbose" },
    default: { workers: 2 },
  });
  assertEquals(a._, ["gen", "lr=1", "--keep"]);
  assertEquals(a.seed, "7");
  assertEquals(a.out, "x");
  assertEquals(a.verbose, true);
  assertEquals(a.v, true);
  assertEquals(a.workers, 2);
});

Deno.test("@std/cli parseArgs: collect, negatable, unknown refuses", () => {
  const seen: string[] = [];
  const a = parseArgs(["--source", "a", "--source", "b", "--no-color", "--bogus"], {
    collect: ["source"],
    boolean: ["color"],
    negatable: ["color"],
    unknown: (arg) => {
      seen.push(arg);
      return false;
    },
  });
  assertEquals(a.source, ["a", "b"]);
  assertEquals(a.color, false);
  assertEquals(seen, ["--bogus"]);
  assertEquals("bogus" in a, false);
});

Deno.test("@std/path: join, dirname, basename, extname", () => {
  assertEquals(join("a", "b", "../c.npy"), "a/c.npy");
  assertEquals(dirname("/x/y/z.json"), "/x/y");
  assertEquals(basename("/x/y/z.json"), "z.json");
  assertEquals(extname("z.safetensors"), ".safetensors");
});

Deno.test("@std/assert: throws, rejects, almost-equals", async () => {
  assertThrows(() => assertEquals(1, 2));
  assertThrows(() => assertAlmostEquals(1, 1.1, 0.01));
  assertAlmostEquals(1, 1 + 1e-9);
  await assertRejects(() => Promise.reject(new RangeError("no")), RangeError, "no");
  assertThrows(() => assertThrows(() => {}));
});

Deno.test("ProgressBar.stop: the final line is written before stop resolves (keepOpen)", async () => {
  const { ProgressBar } = await import("@std/cli/unstable-progress-bar");
  const written: string[] = [];
  const slow = new WritableStream<Uint8Array>({
    write: async (c) => {
      await new Promise((r) => setTimeout(r, 30));
      written.push(new TextDecoder().decode(c));
    },
  });
  const bar = new ProgressBar({
    max: 3,
    writable: slow,
    keepOpen: true,
    fmt: (p) => `v${p.value}`,
  });
  bar.value = 3;
  await bar.stop();
  assertEquals(written.at(-1), "v3\n");
});
