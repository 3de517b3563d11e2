/**
 * Help and usage text, generated from the command registry and each command's flags so that it
 * cannot drift from what the parser accepts.
 *
 * @module
 */
import type { Command, FlagSpec } from "./command.ts";
import { GLOBAL_FLAGS } from "./parse.ts";

/**
 * The program's help: usage, every command with its summary, global options.
 *
 * @param commands The registered commands.
 * @param version The package version.
 * @returns Text ending in a newline.
 */
export function programHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `hrm ${version}: the Hierarchical Reasoning Model (HRM) and TRM on WebGPU`,
    "",
    "Usage: hrm <command> [options] [key=value ...]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Global options:",
    ...flagLines([
      ...GLOBAL_FLAGS,
      { name: "version", type: "boolean", help: "print the version and exit" },
    ]),
    "",
    "Run `hrm <command> --help` for a command's options.",
    "",
  ].join("\n");
}

/**
 * Help for a group such as `gen`: its sub-commands.
 *
 * @param group The first word, e.g. `gen`.
 * @param commands The commands in the group.
 * @returns Text ending in a newline.
 */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: hrm ${group} <${commands.map((c) => c.name.split(" ")[1]).join("|")}> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `Run \`hrm ${group} <command> --help\` for a command's options.`,
    "",
  ].join("\n");
}

/**
 * A command's help: summary, usage line, description, every flag with its alias, placeholder,
 * default and help, and a note on `key=value` overrides when the command takes them.
 *
 * @param command The command.
 * @returns Text ending in a newline.
 *
 * @example
 * ```ts
 * import { commandHelp } from "./help.ts";
 * const text = commandHelp({
 *   name: "gen sudoku", summary: "make puzzles", usage: "gen sudoku [options]",
 *   flags: [{ name: "out", alias: "o", type: "string", arg: "DIR", help: "where", default: "data/x" }],
 *   run: () => Promise.resolve(),
 * });
 * if (!text.includes("-o, --out DIR") || !text.includes("(default: data/x)")) throw new Error();
 * ```
 */
export function commandHelp(command: Command): string {
  const lines = [`hrm ${command.name}: ${command.summary}`, "", `Usage: hrm ${command.usage}`];
  if (command.description) lines.push("", command.description.trimEnd());
  lines.push("", "Options:", ...flagLines([...command.flags, ...GLOBAL_FLAGS]));
  if (command.overrides) {
    lines.push(
      "",
      "Config overrides:",
      "  key=value ...  set any config key, as on the reference's command line, e.g.",
      "                 lr=7e-5 arch.L_cycles=4 arch.loss.loss_type=softmax_cross_entropy",
    );
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * The short usage shown under a usage error.
 *
 * @param command The command, or undefined for the program.
 * @returns Two lines: the usage line and where to get help.
 */
export function usageHint(command?: Command): string {
  if (!command) {
    return "Usage: hrm <command> [options] [key=value ...]\nRun `hrm --help` for the commands.\n";
  }
  return `Usage: hrm ${command.usage}\nRun \`hrm ${command.name} --help\` for its options.\n`;
}

function flagLines(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) => {
    const head = f.alias ? `-${f.alias}, --${f.name}` : `    --${f.name}`;
    const arg = f.type === "boolean" ? "" : ` ${f.arg ?? (f.type === "number" ? "N" : "VALUE")}`;
    return head + arg;
  });
  const width = Math.max(...left.map((l) => l.length));
  return flags.map((f, i) => {
    const extras: string[] = [];
    if (f.default !== undefined && f.default !== false) extras.push(`default: ${f.default}`);
    if (f.collect) extras.push("may repeat");
    const tail = extras.length ? ` (${extras.join("; ")})` : "";
    return `  ${left[i].padEnd(width)}  ${f.help}${tail}`;
  });
}

/**
 * A count with its noun: `1 step`, `2 steps`.
 *
 * @param n The count.
 * @param word The singular noun.
 * @returns The phrase.
 */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
