// Helpers for tests that run Deno scripts under Open MPI's `mpirun`.
import { mpiLibraryName } from "../../lib/dist/mpi.ts";

/** Why MPI tests cannot run here (printed when they are skipped), or undefined when they can. */
export async function mpiAvailable(): Promise<string | undefined> {
  try {
    const { success } = await new Deno.Command("mpirun", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!success) return "`mpirun --version` failed";
  } catch {
    return "no mpirun on PATH (apt-get install openmpi-bin)";
  }
  try {
    Deno.dlopen(mpiLibraryName(), { MPI_Initialized: { parameters: ["buffer"], result: "i32" } })
      .close();
  } catch (e) {
    return `cannot load ${mpiLibraryName()}: ${(e as Error).message.split("\n")[0]}`;
  }
  return undefined;
}

/**
 * Environment for `mpirun` in tests: in containers without CAP_SYS_PTRACE, Open MPI's
 * shared-memory single-copy (CMA) fails ("Read -1, expected ..."); plain copies work everywhere.
 */
export const MPI_ENV: Record<string, string> = {
  OMPI_MCA_btl_vader_single_copy_mechanism:
    Deno.env.get("OMPI_MCA_btl_vader_single_copy_mechanism") ?? "none",
};

/** Output of one `mpirun` job. */
export interface MpiRun {
  /** Exit status of mpirun. */
  code: number;
  /** Every rank's stdout, interleaved by line. */
  stdout: string;
  /** Every rank's stderr. */
  stderr: string;
}

/**
 * Runs `deno run -A <args>` on `np` ranks of this machine (oversubscribed: tests run on 2 cores,
 * as root in CI).
 *
 * @param np Ranks.
 * @param args The script and its arguments.
 * @param mpiArgs Extra mpirun options (e.g. `-q`).
 */
export async function mpirun(
  np: number,
  args: readonly string[],
  mpiArgs: readonly string[] = [],
): Promise<MpiRun> {
  const r = await new Deno.Command("mpirun", {
    args: [
      "-np",
      String(np),
      "--oversubscribe",
      "--allow-run-as-root",
      ...mpiArgs,
      Deno.execPath(),
      "run",
      "-A",
      ...args,
    ],
    env: MPI_ENV,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: r.code, stdout: text.decode(r.stdout), stderr: text.decode(r.stderr) };
}
