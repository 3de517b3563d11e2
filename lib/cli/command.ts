/**
 * How a command declares itself to `cli.ts`: its flags are data, so parsing, `--help` text and
 * usage errors come from one place.
 *
 * @module
 */

/** One flag of a command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `min-rating`. */
  name: string;
  /** How the value is parsed; `number` rejects anything `Number()` cannot read. */
  type: "string" | "number" | "boolean";
  /** One-line help. */
  help: string;
  /** Single-letter alias. */
  alias?: string;
  /** Default value, shown in help. */
  default?: string | number | boolean;
  /** May repeat; values collect into an array. */
  collect?: boolean;
  /** Placeholder shown in help, e.g. `DIR`. */
  arg?: string;
}

/** The parsed invocation a command receives. */
export interface CommandContext {
  /** Flags by long name, typed per {@linkcode FlagSpec}; absent flags take their default. */
  flags: Record<string, unknown>;
  /** Positional arguments that are not `key=value` overrides. */
  positionals: string[];
  /** `key=value` overrides in order (only for commands with `overrides: true`). */
  overrides: string[];
  /** `--debug` was given: show stacks. */
  debug: boolean;
}

/** A command such as `gen sudoku` or `train`. */
export interface Command {
  /** Words after `hrm`, e.g. `gen sudoku`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line after `hrm `, e.g. `gen sudoku [options]`. */
  usage: string;
  /** Longer help text printed under the usage line. */
  description?: string;
  /** Flags besides the global `--help` and `--debug`. */
  flags: FlagSpec[];
  /** Whether trailing `key=value` config overrides are accepted. */
  overrides?: boolean;
  /**
   * What the command's positional arguments are (e.g. `RUN_DIR`); without it any word that is
   * neither an option nor a `key=value` override is a usage error.
   */
  positionals?: string;
  /** Runs the command; throws {@linkcode HrmError} for user errors. */
  run(ctx: CommandContext): Promise<void>;
}
