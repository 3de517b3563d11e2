/**
 * `hrm show`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm show`: print a dataset's puzzles or a checkpoint's predictions */
export const show: Command = {
  name: "show",
  summary: "print a dataset's puzzles or a checkpoint's predictions",
  usage: "show [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm show is not available yet"));
  },
};
