// Runs the CLI in-process for tests, capturing what it prints.
import { main } from "../../cli.ts";

/** Runs `hrm ...args`, capturing console.log and main's own output. */
export async function hrm(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "", stderr = "";
  const log = console.log;
  console.log = (...a: unknown[]) => void (stdout += a.join(" ") + "\n");
  try {
    const code = await main(args, {
      out: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
    });
    return { code, stdout, stderr };
  } finally {
    console.log = log;
  }
}
