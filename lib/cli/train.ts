/**
 * `hrm train`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm train`: train an HRM on a dataset */
export const train: Command = {
  name: "train",
  summary: "train an HRM on a dataset",
  usage: "train [options] [key=value ...]",
  flags: [],
  overrides: true,
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm train is not available yet"));
  },
};
