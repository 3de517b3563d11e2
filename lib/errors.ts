/**
 * The one user-facing error type. Anything a user can fix (bad flags, bad config, corrupt or
 * truncated files, checkpoint/dataset mismatch, no GPU adapter) throws an {@linkcode HrmError};
 * everything else is a bug and throws a built-in error.
 *
 * @module
 */

/**
 * An error the user can fix. The message is `file: problem` when a file is involved.
 *
 * @example Naming the file
 * ```ts
 * import { HrmError } from "./errors.ts";
 * const e = new HrmError("data/train/dataset.json", "missing field seq_len");
 * if (e.message !== "data/train/dataset.json: missing field seq_len") throw new Error();
 * ```
 */
export class HrmError extends Error {
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;
  /** The problem, without the file name. */
  readonly problem: string;
  /** The process exit code the CLI uses for this error (1, or 2 for usage errors). */
  readonly exitCode: number;

  /**
   * @param file The file the problem is in, or undefined.
   * @param problem What is wrong, e.g. `Cannot read array: header claims 6561 bytes, file has 4096`.
   * @param options `cause`, and `exitCode` (default 1; the CLI uses 2 for usage errors).
   */
  constructor(
    file: string | undefined,
    problem: string,
    options?: ErrorOptions & { exitCode?: number },
  ) {
    super(file ? `${file}: ${problem}` : problem, options);
    this.name = "HrmError";
    this.file = file;
    this.problem = problem;
    this.exitCode = options?.exitCode ?? 1;
  }
}
