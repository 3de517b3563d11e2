/**
 * `hrm analyze pr`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm analyze pr`: participation ratio of z_H and z_L (the paper's dimensionality analysis) */
export const analyzePr: Command = {
  name: "analyze pr",
  summary: "participation ratio of z_H and z_L (the paper's dimensionality analysis)",
  usage: "analyze pr [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm analyze pr is not available yet"));
  },
};
