/**
 * The `hrm` command line: `hrm <command> [options] [key=value ...]`. This file only parses and
 * dispatches; each command lives in `lib/cli/` and is listed in `lib/cli/registry.ts`.
 *
 * Exit codes: 0 success, 1 an error the user can fix (`hrm: <message>`) or a bug (one line and a
 * hint to rerun with `--debug`), 2 a usage error (one line plus the usage).
 *
 * @example Running a command in-process
 * ```ts ignore
 * import { main } from "./cli.ts";
 * const code = await main(["--version"]);
 * ```
 *
 * @module
 */
import { HrmError } from "./lib/errors.ts";
import { closest } from "./lib/config/suggest.ts";
import type { Command } from "./lib/cli/command.ts";
import { COMMANDS, findCommand, topLevelWords } from "./lib/cli/registry.ts";
import { parseCommandArgs, usageError } from "./lib/cli/parse.ts";
import { commandHelp, groupHelp, programHelp, usageHint } from "./lib/cli/help.ts";
import { VERSION } from "./lib/cli/version.ts";
import { closeWorld, currentWorld, rankName } from "./lib/dist/world.ts";

/** Where {@linkcode main} writes its own messages (commands print for themselves). */
export interface CliOutput {
  /** Help and version text. */
  stdout(text: string): void;
  /** Errors and usage hints. */
  stderr(text: string): void;
}

/** Options of {@linkcode main}, for tests and embedding. */
export interface MainOptions {
  /** Where help, version and error text go; the terminal by default. */
  out?: CliOutput;
  /** The commands to dispatch to; the registry's {@linkcode COMMANDS} by default. */
  commands?: readonly Command[];
}

const consoleOutput: CliOutput = {
  stdout: (t) => writeAll(Deno.stdout, t),
  stderr: (t) => writeAll(Deno.stderr, t),
};

function writeAll(w: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length;) off += w.writeSync(bytes.subarray(off));
}

/**
 * Runs `hrm` with the given arguments.
 *
 * @param args The arguments after `hrm`, e.g. `["gen", "sudoku", "--seed", "1"]`.
 * @param options Output and command overrides (tests use them); none needed otherwise.
 * @returns The exit code: 0, 1 (error) or 2 (usage error).
 */
export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const out = options.out ?? consoleOutput;
  const commands = options.commands ?? COMMANDS;
  const sep = args.indexOf("--");
  const head = sep < 0 ? [...args] : args.slice(0, sep);
  const tail = sep < 0 ? [] : args.slice(sep);
  const debug = head.includes("--debug");
  const help = head.includes("--help") || head.includes("-h");
  const rest = head.filter((a) => a !== "--debug" && a !== "--help" && a !== "-h");
  let command: Command | undefined;
  try {
    const firstNonWord = rest.findIndex((a) => a.startsWith("-") || a.includes("="));
    const words = firstNonWord < 0 ? rest : rest.slice(0, firstNonWord);
    const match = findCommand(words, commands);
    if (match.kind === "unknown") {
      if (match.word === "") {
        if (rest.includes("--version")) {
          out.stdout(`hrm ${VERSION}\n`);
          return 0;
        }
        if (rest.length === 0) {
          out.stdout(programHelp(commands, VERSION));
          return 0;
        }
        throw usageError(
          rest[0].startsWith("-")
            ? `unknown option ${rest[0].replace(/=.*$/, "")}`
            : `expected a command before "${rest[0]}"`,
        );
      }
      const hint = closest(match.word, topLevelWords(commands));
      throw usageError(
        `unknown command "${match.word}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
      );
    }
    if (match.kind === "group") {
      if (help) {
        out.stdout(groupHelp(match.group, match.commands));
        return 0;
      }
      const sub = words[1];
      const names = match.commands.map((c) => c.name.split(" ")[1]);
      const hint = sub ? closest(sub, names) : undefined;
      out.stderr(
        `hrm: ${
          sub ? `unknown command "${match.group} ${sub}"` : `"hrm ${match.group}" needs a command`
        }${hint ? ` (did you mean "${match.group} ${hint}"?)` : ""}\n`,
      );
      out.stderr(groupHelp(match.group, match.commands));
      return 2;
    }
    command = match.command;
    if (help) {
      out.stdout(commandHelp(command));
      return 0;
    }
    const ctx = parseCommandArgs(command, [...rest.slice(match.words), ...tail], debug);
    await command.run(ctx);
    await closeWorld(); // under mpirun: a rank that exits without MPI_Finalize fails the job
    return 0;
  } catch (e) {
    return report(e, command, debug, out);
  }
}

function report(e: unknown, command: Command | undefined, debug: boolean, out: CliOutput): number {
  // Under mpirun each rank says who it is; the non-zero exit then makes mpirun stop the others.
  const world = currentWorld();
  const who = world?.distributed ? `${rankName(world)}: ` : "";
  if (e instanceof HrmError) {
    out.stderr(`hrm: ${who}${e.message}\n`);
    if (e.exitCode === 2) out.stderr(usageHint(command));
    if (debug) out.stderr(stackWithCauses(e));
    return e.exitCode;
  }
  if (debug) {
    out.stderr(stackWithCauses(e));
  } else {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    out.stderr(`hrm: ${who}${msg.split("\n")[0]} (run with --debug for the stack trace)\n`);
  }
  return 1;
}

function stackWithCauses(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, depth = 0; cur !== undefined && depth < 8; depth++) {
    const text = cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : String(cur);
    parts.push(depth === 0 ? text : `Caused by: ${text}`);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join("\n") + "\n";
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
