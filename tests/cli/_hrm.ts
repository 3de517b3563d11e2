// Runs the CLI in-process for tests, capturing what it prints.
import { main } from "../../cli.ts";

/** Runs `hrm ...args`, capturing console.log/console.error and main's own output. */
export async function hrm(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "", stderr = "";
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => void (stdout += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (stderr += a.join(" ") + "\n");
  try {
    const code = await main(args, {
      out: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
    });
    return { code, stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
  }
}
