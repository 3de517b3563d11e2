/**
 * `hrm convert`: rewrites model weights (a reference PyTorch `checkpoint`, or any safetensors
 * state dict) as a safetensors file with hrm's names: wrapper prefixes such as
 * `_orig_mod.model.` dropped, every tensor contiguous in its stored dtype (the reference's bf16
 * H_init/L_init stay bf16; loading widens them exactly).
 *
 * @module
 */
import { basename, dirname, join, resolve } from "@std/path";
import type { Command } from "./command.ts";
import { usageError } from "./parse.ts";
import { HrmError } from "../errors.ts";
import { exists } from "../io/folders.ts";
import { type StTensor, writeSafetensors } from "../io/safetensors.ts";
import { readWeights } from "../io/weights.ts";
import { canonicalName } from "../model/state.ts";

/** `hrm convert`. */
export const convert: Command = {
  name: "convert",
  summary: "convert a reference PyTorch checkpoint to safetensors",
  positionals: "CKPT",
  usage: "convert CKPT --out FILE.safetensors",
  description:
    "CKPT is a torch.save file (the HRM authors' released `checkpoint`, recognised by\n" +
    "content) or a safetensors file. The output keeps each tensor's dtype and drops the\n" +
    "`_orig_mod.model.` prefix. Only the few globals a state dict needs are read from the\n" +
    "pickle; anything else (a pickle can call any Python function) is refused by name.\n" +
    "hrm eval/solve/train --init read CKPT directly too; converting makes a smaller, safe file.",
  flags: [
    { name: "out", type: "string", arg: "FILE", help: "safetensors file to write" },
  ],
  async run(ctx): Promise<void> {
    if (ctx.positionals.length !== 1) {
      throw usageError(
        ctx.positionals.length ? "expected one CKPT file" : "missing CKPT (the file to convert)",
      );
    }
    const src = ctx.positionals[0];
    const out = ctx.flags.out as string | undefined;
    if (!out) throw usageError("missing --out FILE.safetensors");
    const { tensors, metadata } = await readWeights(src);
    const renamed: Record<string, StTensor> = {};
    for (const [name, t] of tensors) {
      const n = canonicalName(name);
      if (n in renamed) throw new HrmError(src, `two tensors are named ${n} once prefixes go`);
      renamed[n] = t;
    }
    await writeSafetensors(out, renamed, {
      format: "hrm state_dict (HierarchicalReasoningModel_ACTV1 names)",
      converted_from: `${basename(src)} (${metadata.format ?? "safetensors"})`,
    });
    const bytes = [...tensors.values()].reduce((n, t) => n + t.data.byteLength, 0);
    console.log(`wrote ${out}: ${tensors.size} tensors, ${(bytes / 1e6).toFixed(1)} MB`);
    const config = join(dirname(src), "all_config.yaml");
    if ((await exists(config)) && resolve(dirname(out)) !== resolve(dirname(src))) {
      console.log(
        `hrm eval/solve look for all_config.yaml beside the checkpoint: copy ${config} next ` +
          `to ${out} or pass --config ${config}`,
      );
    }
  },
};
