/**
 * Reads a trace for drawing, turning low-level file errors into messages that say what the
 * file should have been.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { readTrace, type Trace } from "../eval/trace.ts";

/**
 * Reads a trace file written by `hrm eval --trace`.
 *
 * @param path The file.
 * @returns The trace.
 * @throws {HrmError} naming the file: missing, not safetensors, not a trace, or inconsistent.
 */
export async function loadTrace(path: string): Promise<Trace> {
  try {
    return await readTrace(path);
  } catch (e) {
    if (!(e instanceof HrmError)) throw e;
    if (/not an hrm trace|not found|trace has no|expected|metadata/.test(e.problem)) throw e;
    throw new HrmError(
      path,
      `${e.problem}; this is not a readable trace (write one with hrm eval --trace FILE)`,
      { cause: e },
    );
  }
}
