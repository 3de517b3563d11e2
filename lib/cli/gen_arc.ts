/**
 * `hrm gen arc`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm gen arc`: build an ARC dataset from task JSON files */
export const genArc: Command = {
  name: "gen arc",
  summary: "build an ARC dataset from task JSON files",
  usage: "gen arc [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm gen arc is not available yet"));
  },
};
