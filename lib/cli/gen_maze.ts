/**
 * `hrm gen maze`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm gen maze`: generate a Maze dataset */
export const genMaze: Command = {
  name: "gen maze",
  summary: "generate a Maze dataset",
  usage: "gen maze [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm gen maze is not available yet"));
  },
};
