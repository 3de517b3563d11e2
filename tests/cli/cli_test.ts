import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { main } from "../../cli.ts";
import type { Command } from "../../lib/cli/command.ts";
import { HrmError } from "../../lib/errors.ts";
import { applyOverrides } from "../../lib/config/overrides.ts";
import { getPreset } from "../../lib/config/presets.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** Commands that exercise every path of main without touching other engineers' commands. */
const seen: Record<string, unknown> = {};
const FAKE: Command[] = [
  {
    name: "fit",
    summary: "pretend to train",
    usage: "fit [options] [key=value ...]",
    positionals: "FILE",
    description: "A test command.",
    overrides: true,
    flags: [
      { name: "seed", type: "number", help: "random seed", default: 0, arg: "N" },
      { name: "out", alias: "o", type: "string", help: "output folder", arg: "DIR" },
      { name: "fast", type: "boolean", help: "go fast", default: true },
      { name: "tag", type: "string", help: "a tag", collect: true },
    ],
    run(ctx) {
      Object.assign(seen, { fit: ctx });
      const config = applyOverrides(getPreset("tiny"), ctx.overrides);
      seen.config = config;
      return Promise.resolve();
    },
  },
  {
    name: "gen toy",
    summary: "make toys",
    usage: "gen toy [options]",
    flags: [],
    run: () =>
      Promise.reject(new HrmError("data/toy.npy", "header claims 6561 bytes, file has 4096")),
  },
  {
    name: "gen bad",
    summary: "has a bug",
    usage: "gen bad",
    flags: [],
    run: () => Promise.reject(new TypeError("x is undefined", { cause: new Error("root cause") })),
  },
];

async function run(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    commands: FAKE,
    out: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
  });
  return { code, stdout, stderr };
}

const noStack = (s: string) => assert(!/\n\s+at /.test(s), `stack trace printed:\n${s}`);

Deno.test("--help lists every command; no arguments prints the same", async () => {
  const r = await run("--help");
  assertEquals([r.code, r.stderr], [0, ""]);
  assertStringIncludes(r.stdout, "Usage: hrm <command> [options] [key=value ...]");
  for (const c of FAKE) assertMatch(r.stdout, new RegExp(`\\n  ${c.name} +${c.summary}\\n`));
  assertEquals((await run()).stdout, r.stdout);
  assertEquals((await run("-h")).stdout, r.stdout);
});

Deno.test("--version prints deno.json's version", async () => {
  const r = await run("--version");
  assertEquals([r.code, r.stdout, r.stderr], [0, `hrm ${denoJson.version}\n`, ""]);
});

Deno.test("command --help shows flags with alias, placeholder, default and overrides", async () => {
  const r = await run("fit", "--help");
  assertEquals(r.code, 0);
  assertStringIncludes(
    r.stdout,
    "hrm fit: pretend to train\n\nUsage: hrm fit [options] [key=value ...]",
  );
  assertStringIncludes(r.stdout, "A test command.");
  assertMatch(r.stdout, / {4}--seed N +random seed \(default: 0\)/);
  assertMatch(r.stdout, /-o, --out DIR +output folder\n/);
  assertMatch(r.stdout, / {4}--fast +go fast \(default: true\)/);
  assertMatch(r.stdout, / {4}--tag VALUE +a tag \(may repeat\)/);
  assertMatch(r.stdout, /-h, --help +show this help/);
  assertStringIncludes(r.stdout, "key=value");
  assertEquals((await run("-h", "fit")).stdout, r.stdout);
});

Deno.test("flags are typed, defaulted and collected; overrides and positionals separated", async () => {
  const r = await run(
    "fit",
    "--seed",
    "7",
    "-o",
    "runs/x",
    "--no-fast",
    "--tag",
    "a",
    "--tag=b",
    "lr=7e-5",
    "arch.L_cycles=3",
    "in.txt",
  );
  assertEquals([r.code, r.stderr], [0, ""]);
  const ctx = seen.fit as {
    flags: Record<string, unknown>;
    overrides: string[];
    positionals: string[];
    debug: boolean;
  };
  assertEquals(ctx.flags, { seed: 7, out: "runs/x", fast: false, tag: ["a", "b"] });
  assertEquals(ctx.overrides, ["lr=7e-5", "arch.L_cycles=3"]);
  assertEquals(ctx.positionals, ["in.txt"]);
  assertEquals(ctx.debug, false);
  await run("fit", "--debug");
  assertEquals((seen.fit as typeof ctx).flags, { seed: 0, out: undefined, fast: true, tag: [] });
  assertEquals((seen.fit as typeof ctx).debug, true);
});

Deno.test("unknown command, flag or sub-command: one line plus usage on stderr, exit 2", async () => {
  for (
    const [args, first] of [
      [["fti"], 'hrm: unknown command "fti" (did you mean "fit"?)'],
      [["fit", "--sed", "1"], 'hrm: unknown option --sed for "hrm fit" (did you mean --seed?)'],
      [["--nope"], "hrm: unknown option --nope"],
      [["gen", "tyo"], 'hrm: unknown command "gen tyo" (did you mean "gen toy"?)'],
      [["gen"], 'hrm: "hrm gen" needs a command'],
      [["fit", "--seed", "abc"], 'hrm: --seed: expected a number, got "abc"'],
      [["fit", "--out"], "hrm: --out needs a value (DIR)"],
      [["fit", "--fast=maybe"], 'hrm: --fast: expected true or false, got "maybe"'],
      [
        ["gen", "toy", "lr=1"],
        'hrm: unexpected argument "lr=1": "hrm gen toy" takes no key=value config overrides',
      ],
    ] as const
  ) {
    const r = await run(...args);
    assertEquals(r.code, 2, args.join(" "));
    assertEquals(r.stdout, "");
    const lines = r.stderr.split("\n");
    assertEquals(lines[0], first);
    assertStringIncludes(lines[1], "Usage: hrm ");
    noStack(r.stderr);
  }
});

Deno.test("a bad override type names the key, exit 1, no stack", async () => {
  const r = await run("fit", "arch.L_cycles=four");
  assertEquals(r.code, 1);
  assertEquals(r.stderr, 'hrm: arch.L_cycles: expected a number, got "four"\n');
  const u = await run("fit", "arch.L_cylces=4");
  assertEquals(
    u.stderr,
    'hrm: unknown config key "arch.L_cylces" (did you mean "arch.L_cycles"?)\n',
  );
  assertEquals(((await run("fit", "lr=3e-4"), seen.config) as { lr: number }).lr, 3e-4);
});

Deno.test("HrmError: hrm: <message>, exit 1, no stack; --debug adds the stack", async () => {
  const r = await run("gen", "toy");
  assertEquals([r.code, r.stdout], [1, ""]);
  assertEquals(r.stderr, "hrm: data/toy.npy: header claims 6561 bytes, file has 4096\n");
  const d = await run("gen", "toy", "--debug");
  assertEquals(d.code, 1);
  assertMatch(d.stderr, /^hrm: data\/toy.npy: header claims/);
  assertMatch(d.stderr, /\n\s+at /);
});

Deno.test("a bug: one line naming --debug, exit 1; --debug shows stack and cause", async () => {
  const r = await run("gen", "bad");
  assertEquals(r.code, 1);
  assertEquals(r.stderr, "hrm: TypeError: x is undefined (run with --debug for the stack trace)\n");
  const d = await run("--debug", "gen", "bad");
  assertEquals(d.code, 1);
  assertStringIncludes(d.stderr, "TypeError: x is undefined\n    at ");
  assertStringIncludes(d.stderr, "Caused by: Error: root cause");
});

Deno.test("arguments after -- are positionals, never flags or overrides", async () => {
  const r = await run("fit", "--", "--seed", "lr=1");
  assertEquals(r.code, 0);
  const ctx = seen.fit as {
    flags: Record<string, unknown>;
    overrides: string[];
    positionals: string[];
  };
  assertEquals([ctx.flags.seed, ctx.overrides, ctx.positionals], [0, [], ["--seed", "lr=1"]]);
});
