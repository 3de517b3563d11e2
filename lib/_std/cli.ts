/**
 * Local stand-in for `@std/cli` `parseArgs`, built over `node:util` `parseArgs`. It keeps std's
 * signature and result shape (`{ _: positionals, ...flags }`) for the options hrm uses:
 * `boolean`, `string`, `collect`, `alias`, `default`, `negatable`, `stopEarly`, `"--"` and
 * `unknown`. Switching to JSR is one line in deno.json.
 *
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** Options of {@linkcode parseArgs}, a subset of std's `ParseOptions`. */
export interface ParseOptions {
  /** Flags that are booleans. */
  boolean?: readonly string[];
  /** Flags that take a string value. */
  string?: readonly string[];
  /** String flags that may repeat; their values collect into an array. */
  collect?: readonly string[];
  /** Boolean flags that accept a `--no-` prefix. */
  negatable?: readonly string[];
  /** Alternative names: `{ h: "help" }` or `{ h: ["help"] }`. */
  alias?: Record<string, string | readonly string[]>;
  /** Default values. */
  default?: Record<string, unknown>;
  /** Stop parsing at the first positional argument. */
  stopEarly?: boolean;
  /** Put arguments after `--` under the `"--"` key instead of `_`. */
  "--"?: boolean;
  /** Called for each unknown flag; returning false drops it. */
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
}

/** The result of {@linkcode parseArgs}: positionals in `_`, flags by name. */
export interface Args {
  /** Positional arguments. */
  _: Array<string | number>;
  /** Arguments after `--` when the `"--"` option is set. */
  "--"?: string[];
  /** Flags by name. */
  [key: string]: unknown;
}

/**
 * Parses command-line arguments the way `@std/cli` `parseArgs` does.
 *
 * @param args The arguments, e.g. `Deno.args`.
 * @param options Which flags are booleans, strings, aliases and so on.
 * @returns Positionals in `_` and flags by their long names.
 *
 * @example Flags and positionals
 * ```ts
 * import { parseArgs } from "./cli.ts";
 * const a = parseArgs(["gen", "--seed", "3", "-v"], { string: ["seed"], boolean: ["verbose"], alias: { v: "verbose" } });
 * if (a.seed !== "3" || a.verbose !== true || a._[0] !== "gen") throw new Error();
 * ```
 */
export function parseArgs(args: readonly string[], options: ParseOptions = {}): Args {
  const canon = new Map<string, string>();
  const aliasesOf = new Map<string, string[]>();
  for (const [k, v] of Object.entries(options.alias ?? {})) {
    const names = typeof v === "string" ? [v] : [...v];
    for (const n of names) canon.set(k, n);
    aliasesOf.set(names[0], [...(aliasesOf.get(names[0]) ?? []), k, ...names.slice(1)]);
  }
  const name = (k: string) => canon.get(k) ?? k;
  const booleans = new Set((options.boolean ?? []).map(name));
  const collect = new Set((options.collect ?? []).map(name));
  const strings = new Set([...(options.string ?? []), ...(options.collect ?? [])].map(name));
  const negatable = new Set((options.negatable ?? []).map(name));

  const out: Args = { _: [] };
  const rest: string[] = [];
  const flagArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (options.stopEarly && !a.startsWith("-")) {
      rest.push(...args.slice(i));
      break;
    }
    flagArgs.push(a);
  }

  const nodeOptions: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const b of booleans) nodeOptions[b] = { type: "boolean" };
  for (const s of strings) nodeOptions[s] = { type: "string", multiple: collect.has(s) };
  for (const [alias, target] of canon) {
    if (nodeOptions[target]) nodeOptions[alias] = { ...nodeOptions[target] };
  }
  const { tokens } = nodeParseArgs({
    args: flagArgs,
    options: nodeOptions,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  for (const [k, v] of Object.entries(options.default ?? {})) out[name(k)] = v;
  for (const t of tokens ?? []) {
    if (t.kind === "positional") {
      out._.push(t.value);
      continue;
    }
    if (t.kind !== "option") continue;
    let key = name(t.name);
    let value: unknown = t.value ?? true;
    if (key.startsWith("no-") && negatable.has(name(key.slice(3))) && t.value === undefined) {
      key = name(key.slice(3));
      value = false;
    }
    const known = booleans.has(key) || strings.has(key);
    if (!known && options.unknown && options.unknown(t.rawName, key, value) === false) continue;
    if (strings.has(key) && value === true) value = "";
    if (collect.has(key)) {
      out[key] = [...((out[key] as unknown[] | undefined) ?? []), value];
    } else {
      out[key] = value;
    }
  }
  for (const b of booleans) if (!(b in out)) out[b] = false;
  for (const [target, aliases] of aliasesOf) {
    if (target in out) { for (const a of aliases) out[a] = out[target]; }
  }
  if (options["--"]) out["--"] = rest;
  else out._.push(...rest);
  return out;
}
