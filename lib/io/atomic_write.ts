/**
 * Writers never leave a half-written file under the final name: they write a temporary file in
 * the same directory, then rename it over the target (rename is atomic on one filesystem).
 *
 * @module
 */
import { dirname, join } from "@std/path";

/**
 * Writes `data` to `path` atomically: to `path.tmp-<random>` first, then renamed.
 *
 * @param path The final file name.
 * @param data Bytes, or chunks of bytes written in order.
 * @returns Resolves once the file is in place.
 * @throws {Deno.errors.NotFound} when the directory does not exist.
 *
 * @example Writing bytes
 * ```ts
 * import { atomicWrite } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicWrite(`${dir}/x.bin`, new Uint8Array([1, 2, 3]));
 * const back = await Deno.readFile(`${dir}/x.bin`);
 * if (back.length !== 3) throw new Error();
 * ```
 */
export async function atomicWrite(
  path: string,
  data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${path.split("/").pop()}.tmp-${crypto.randomUUID().slice(0, 8)}`,
  );
  try {
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      if (data instanceof Uint8Array) {
        await writeAll(f, data);
      } else {
        for await (const chunk of data as AsyncIterable<Uint8Array>) await writeAll(f, chunk);
      }
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Writes text atomically (UTF-8). See {@linkcode atomicWrite}. */
export function atomicWriteText(path: string, text: string): Promise<void> {
  return atomicWrite(path, new TextEncoder().encode(text));
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}
