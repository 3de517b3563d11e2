/**
 * Model weights from either format a user may hold, told apart by content rather than by name
 * (the reference's released files are called just `checkpoint`): a safetensors file (hrm's own
 * checkpoints, `hrm convert` output) or a PyTorch `torch.save` zip archive (the reference's).
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { readFileOrFail } from "./npy.ts";
import { decodeSafetensors, type Safetensors } from "./safetensors.ts";
import { decodeTorchCheckpoint } from "./torch.ts";
import { isZip } from "./zip.ts";

/** The formats {@linkcode decodeWeights} recognises. */
export type WeightsFormat = "safetensors" | "torch";

/**
 * Which format `bytes` are in.
 *
 * @param bytes The file (its first bytes suffice).
 * @returns `torch` for a zip archive, `safetensors` otherwise (its reader judges the rest).
 *
 * @example
 * ```ts
 * import { weightsFormat } from "./weights.ts";
 * if (weightsFormat(new Uint8Array([0x50, 0x4b, 3, 4])) !== "torch") throw new Error();
 * ```
 */
export function weightsFormat(bytes: Uint8Array): WeightsFormat {
  return isZip(bytes) ? "torch" : "safetensors";
}

/**
 * Decodes weights in either format.
 *
 * @param bytes The whole file.
 * @param file The file name, for error messages.
 * @returns Tensors by name as stored (reference prefixes such as `_orig_mod.model.` kept) and
 * metadata; the metadata of a torch file is `{format: "torch"}`.
 * @throws {HrmError} naming the file when it is a pre-1.6 torch pickle, or invalid in its format.
 */
export async function decodeWeights(bytes: Uint8Array, file: string): Promise<Safetensors> {
  if (weightsFormat(bytes) === "torch") return await decodeTorchCheckpoint(bytes, file);
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) {
    throw new HrmError(
      file,
      "a bare pickle (torch.save from torch < 1.6, or _use_new_zipfile_serialization=False): " +
        "re-save it with a newer torch, which writes the zip format hrm reads",
    );
  }
  return decodeSafetensors(bytes, file);
}

/**
 * Reads a weights file in either format (see {@linkcode decodeWeights}).
 *
 * @param path The file.
 * @returns Tensors and metadata.
 * @throws {HrmError} when the file is missing or invalid.
 *
 * @example
 * ```ts
 * import { readWeights } from "./weights.ts";
 * import { writeSafetensors } from "./safetensors.ts";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/w`, { b: { dtype: "F32", shape: [1], data: new Float32Array(1) } });
 * if (!(await readWeights(`${dir}/w`)).tensors.has("b")) throw new Error();
 * ```
 */
export async function readWeights(path: string): Promise<Safetensors> {
  return await decodeWeights(await readFileOrFail(path), path);
}
