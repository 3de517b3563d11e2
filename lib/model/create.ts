/**
 * The one place that turns an architecture into a model class (HRM or TRM by `arch.kind`).
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import type { HrmArch } from "./dims.ts";
import { Hrm } from "./hrm.ts";
import type { ReasoningModel } from "./model.ts";
import { Trm } from "./trm.ts";

/**
 * Allocates the model an architecture describes (weights zero-filled; load or initialise next).
 *
 * @param gpu The device.
 * @param arch From `archFromConfig` (its `kind` comes from `arch.name`).
 * @returns An {@linkcode Hrm} or a {@linkcode Trm}.
 */
export function createModel(gpu: Gpu, arch: HrmArch): ReasoningModel {
  return arch.kind === "trm" ? new Trm(gpu, arch) : new Hrm(gpu, arch);
}
