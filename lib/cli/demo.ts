/**
 * `hrm demo`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm demo`: generate a small dataset, train a small HRM and evaluate it */
export const demo: Command = {
  name: "demo",
  summary: "generate a small dataset, train a small HRM and evaluate it",
  usage: "demo [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm demo is not available yet"));
  },
};
