/**
 * `hrm report`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm report`: summarise a training run */
export const report: Command = {
  name: "report",
  summary: "summarise a training run",
  usage: "report [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm report is not available yet"));
  },
};
