/**
 * Turns a command's arguments into its {@linkcode CommandContext}, using the command's declared
 * flags. Every mistake is a usage error (an {@linkcode HrmError} with exit code 2) that names
 * the flag.
 *
 * @module
 */
import { parseArgs } from "@std/cli";
import { HrmError } from "../errors.ts";
import { closest } from "../config/suggest.ts";
import type { Command, CommandContext, FlagSpec } from "./command.ts";

/** Flags every command accepts; commands must not declare these names. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "help", alias: "h", type: "boolean", help: "show this help" },
  { name: "debug", type: "boolean", help: "show stack traces and causes of errors" },
];

/** An override looks like `key=value`, `arch.L_cycles=4` or Hydra's `+key=value`. */
const OVERRIDE = /^\+?[A-Za-z_][\w.]*=/;

/**
 * A usage error: exit code 2, printed with the command's usage line.
 *
 * @param problem What is wrong, e.g. `unknown option --sed`.
 * @returns The error to throw.
 */
export function usageError(problem: string): HrmError {
  return new HrmError(undefined, problem, { exitCode: 2 });
}

/**
 * A flag value that must be a positive integer (segments, batch sizes, counts).
 *
 * @param v The parsed value.
 * @param flag The flag's long name, for the message.
 * @returns The value.
 * @throws {HrmError} (exit code 2) otherwise.
 */
export function positiveIntFlag(v: unknown, flag: string): number {
  const n = v as number;
  if (!Number.isInteger(n) || n < 1) {
    throw usageError(`--${flag} must be a positive integer, got ${v}`);
  }
  return n;
}

/**
 * Parses a command's arguments (everything after its name) against its flags.
 *
 * @param command The command, whose `flags` say what is accepted.
 * @param args The arguments after the command name, global flags already removed.
 * @param debug Whether `--debug` was given.
 * @returns Flags by long name (typed, defaults filled in), positionals, and `key=value`
 *   overrides when the command accepts them.
 * @throws {HrmError} (exit code 2) for an unknown flag, a missing or mistyped value, an
 *   override given to a command that takes none, or a positional argument given to a command
 *   that declares none.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./parse.ts";
 * const cmd = {
 *   name: "x", summary: "", usage: "x", overrides: true, positionals: "FILE",
 *   run: () => Promise.resolve(),
 *   flags: [{ name: "seed", type: "number" as const, help: "", default: 0 }],
 * };
 * const ctx = parseCommandArgs(cmd, ["--seed", "3", "lr=1e-4", "in.txt"], false);
 * if (ctx.flags.seed !== 3 || ctx.overrides[0] !== "lr=1e-4" || ctx.positionals[0] !== "in.txt") {
 *   throw new Error();
 * }
 * ```
 */
export function parseCommandArgs(
  command: Command,
  args: readonly string[],
  debug: boolean,
): CommandContext {
  const flags = command.flags;
  const alias: Record<string, string> = {};
  for (const f of flags) if (f.alias) alias[f.alias] = f.name;
  const unknown: string[] = [];
  const parsed = parseArgs(args, {
    boolean: flags.filter((f) => f.type === "boolean").map((f) => f.name),
    string: flags.filter((f) => f.type !== "boolean" && !f.collect).map((f) => f.name),
    collect: flags.filter((f) => f.type !== "boolean" && f.collect).map((f) => f.name),
    negatable: flags.filter((f) => f.type === "boolean").map((f) => f.name),
    alias,
    "--": true,
    unknown: (arg) => {
      unknown.push(arg);
      return false;
    },
  });
  if (unknown.length) {
    const raw = unknown[0].replace(/=.*$/, "");
    const names = flags.map((f) => `--${f.name}`);
    const hint = raw.startsWith("--") ? closest(raw, names) : undefined;
    throw usageError(
      `unknown option ${raw} for "hrm ${command.name}"${hint ? ` (did you mean ${hint}?)` : ""}`,
    );
  }

  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const given = Object.hasOwn(parsed, f.name) ? parsed[f.name] : undefined;
    if (f.type === "boolean") {
      // The shim sets absent booleans to false; a default of true must survive that.
      const wasGiven = beforeSeparator(args).some((a) => isFlagToken(a, f));
      out[f.name] = wasGiven ? toBoolean(f, given) : (f.default ?? false);
    } else if (given === undefined) {
      out[f.name] = f.collect ? toArray(f.default) : f.default;
    } else if (f.collect) {
      out[f.name] = (given as string[]).map((v) => convert(f, v));
    } else {
      out[f.name] = convert(f, given as string);
    }
  }

  const positionals: string[] = [];
  const overrides: string[] = [];
  for (const p of parsed._.map(String)) {
    if (!OVERRIDE.test(p)) positionals.push(p);
    else if (command.overrides) overrides.push(p);
    else {
      throw usageError(
        `unexpected argument "${p}": "hrm ${command.name}" takes no key=value config overrides`,
      );
    }
  }
  positionals.push(...(parsed["--"] ?? []));
  if (positionals.length && !command.positionals) {
    const p = positionals[0];
    const hint = command.overrides && /^[A-Za-z_][\w.]*$/.test(p) && positionals.length > 1
      ? ` (config overrides are written key=value, e.g. ${p}=${positionals[1]})`
      : "";
    throw usageError(
      `unexpected argument "${p}": "hrm ${command.name}" takes no positional arguments${hint}`,
    );
  }
  return { flags: out, positionals, overrides, debug };
}

function beforeSeparator(args: readonly string[]): readonly string[] {
  const i = args.indexOf("--");
  return i < 0 ? args : args.slice(0, i);
}

function isFlagToken(arg: string, f: FlagSpec): boolean {
  const names = [`--${f.name}`, `--no-${f.name}`, ...(f.alias ? [`-${f.alias}`] : [])];
  return names.some((n) => arg === n || arg.startsWith(`${n}=`));
}

function toBoolean(f: FlagSpec, v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  throw usageError(`--${f.name}: expected true or false, got ${JSON.stringify(v)}`);
}

function toArray(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function convert(f: FlagSpec, v: string): string | number {
  if (v === "" || (v.startsWith("--") && f.type !== "number")) {
    throw usageError(`--${f.name} needs a value${f.arg ? ` (${f.arg})` : ""}`);
  }
  if (f.type === "string") return v;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) {
    throw usageError(`--${f.name}: expected a number, got ${JSON.stringify(v)}`);
  }
  return n;
}
