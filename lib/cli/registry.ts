/**
 * Every `hrm` command, in the order `hrm --help` lists them. A command is a
 * {@linkcode Command} object from its own file; adding one means adding it here.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { genSudoku } from "./gen_sudoku.ts";
import { genMaze } from "./gen_maze.ts";
import { genArc } from "./gen_arc.ts";
import { train } from "./train.ts";
import { evalCommand } from "./eval.ts";
import { show } from "./show.ts";
import { report } from "./report.ts";
import { analyzePr } from "./analyze.ts";
import { demo } from "./demo.ts";
import { info } from "./info.ts";
import { convert } from "./convert.ts";
import { solveCommand } from "./solve.ts";

/** All commands. Names are one word (`train`) or a group and a word (`gen sudoku`). */
export const COMMANDS: readonly Command[] = [
  demo,
  genSudoku,
  genMaze,
  genArc,
  train,
  evalCommand,
  solveCommand,
  show,
  report,
  analyzePr,
  convert,
  info,
];

/** The result of {@linkcode findCommand}. */
export type CommandMatch =
  | { kind: "command"; command: Command; words: number }
  | { kind: "group"; group: string; commands: Command[]; words: number }
  | { kind: "unknown"; word: string };

/**
 * Finds the command named by the leading words of the arguments.
 *
 * @param words The arguments before the first flag, e.g. `["gen", "sudoku"]`.
 * @param commands The commands to search, {@linkcode COMMANDS} by default.
 * @returns The command and how many words its name used; or a group (`gen`) when its
 *   sub-command word is missing or unknown; or `unknown` with the unmatched word.
 *
 * @example
 * ```ts
 * import { findCommand } from "./registry.ts";
 * const m = findCommand(["gen", "sudoku", "extra"]);
 * if (m.kind !== "command" || m.command.name !== "gen sudoku" || m.words !== 2) throw new Error();
 * ```
 */
export function findCommand(
  words: readonly string[],
  commands: readonly Command[] = COMMANDS,
): CommandMatch {
  if (words.length === 0) return { kind: "unknown", word: "" };
  for (const n of [2, 1]) {
    const name = words.slice(0, n).join(" ");
    const command = words.length >= n ? commands.find((c) => c.name === name) : undefined;
    if (command) return { kind: "command", command, words: n };
  }
  const inGroup = commands.filter((c) => c.name.startsWith(`${words[0]} `));
  if (inGroup.length) return { kind: "group", group: words[0], commands: inGroup, words: 1 };
  return { kind: "unknown", word: words[0] };
}

/**
 * The first words of all command names (`demo`, `gen`, `train`...), for suggestions.
 *
 * @param commands The commands, {@linkcode COMMANDS} by default.
 * @returns Unique first words in registry order.
 */
export function topLevelWords(commands: readonly Command[] = COMMANDS): string[] {
  return [...new Set(commands.map((c) => c.name.split(" ")[0]))];
}
