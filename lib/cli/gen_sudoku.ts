/**
 * `hrm gen sudoku`: placeholder until its owner lands the real command.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { HrmError } from "../errors.ts";

/** `hrm gen sudoku`: generate a Sudoku dataset */
export const genSudoku: Command = {
  name: "gen sudoku",
  summary: "generate a Sudoku dataset",
  usage: "gen sudoku [options]",
  flags: [],
  run(): Promise<void> {
    return Promise.reject(new HrmError(undefined, "hrm gen sudoku is not available yet"));
  },
};
