/**
 * `hrm eval`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm eval`: evaluate a checkpoint on a dataset's test split */
export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate a checkpoint on a dataset's test split",
  usage: "eval [options] [key=value ...]",
  flags: [],
  overrides: true,
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm eval is not available yet"));
  },
};
