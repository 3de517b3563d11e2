/**
 * The README's CLI reference, generated from the command registry so it names exactly the
 * commands and flags the parser accepts (tests/cli/readme_test.ts checks the README against
 * it and rewrites it with `UPDATE=1`).
 *
 * @module
 */
import type { Command, FlagSpec } from "./command.ts";
import { GLOBAL_FLAGS } from "./parse.ts";

/** Marks the start of the generated section in README.md. */
export const REFERENCE_START =
  "<!-- cli-reference:start (generated; UPDATE=1 deno test -A tests/cli/readme_test.ts) -->";
/** Marks the end of the generated section in README.md. */
export const REFERENCE_END = "<!-- cli-reference:end -->";

/**
 * Markdown for every command: a heading, summary, usage line, description and a table of flags.
 *
 * @param commands The registered commands.
 * @returns Markdown (without the markers), ending in a newline.
 *
 * @example
 * ```ts
 * import { cliReference } from "./reference.ts";
 * const md = cliReference([{
 *   name: "gen toy", summary: "make toys", usage: "gen toy [options]", run: () => Promise.resolve(),
 *   flags: [{ name: "out", type: "string", arg: "DIR", help: "where", default: "data/toy" }],
 * }]);
 * if (!md.includes("### `hrm gen toy`") || !md.includes("| `--out DIR` |")) throw new Error();
 * ```
 */
export function cliReference(commands: readonly Command[]): string {
  const parts: string[] = [
    `Every command also takes ${
      GLOBAL_FLAGS.map((f) => `\`--${f.name}\``).join(" and ")
    } (\`-h\` for short); \`hrm --version\` prints the version.`,
  ];
  for (const c of commands) {
    parts.push(
      `### \`hrm ${c.name}\``,
      `${capitalise(c.summary)}.`,
      "```\nhrm " + c.usage + "\n```",
    );
    if (c.description) parts.push("```\n" + c.description.trimEnd() + "\n```");
    if (c.flags.length) {
      parts.push(
        [
          "| option | default | meaning |",
          "| --- | --- | --- |",
          ...c.flags.map(flagRow),
        ].join("\n"),
      );
    }
    if (c.overrides) {
      parts.push("Takes `key=value` config overrides after the options (see [Config](#config)).");
    }
  }
  return parts.join("\n\n") + "\n";
}

function flagRow(f: FlagSpec): string {
  const name = `${f.alias ? `-${f.alias}, ` : ""}--${f.name}`;
  const arg = f.type === "boolean" ? "" : ` ${f.arg ?? (f.type === "number" ? "N" : "VALUE")}`;
  const def = f.default === undefined || f.default === false ? "" : `\`${f.default}\``;
  const help = f.help.replaceAll("|", "\\|") + (f.collect ? " (may repeat)" : "");
  return `| \`${name}${arg}\` | ${def} | ${help} |`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
