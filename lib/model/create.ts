/**
 * The one place that turns an architecture into a model class (by `arch.kind`).
 *
 * @module
 */
import type { Gpu } from "../gpu/device.ts";
import type { HrmArch } from "./dims.ts";
import { Hrm } from "./hrm.ts";
import type { ReasoningModel } from "./model.ts";

/**
 * Allocates the model an architecture describes (weights zero-filled; load or initialise next).
 *
 * @param gpu The device.
 * @param arch From `archFromConfig` (its `kind` comes from `arch.name`).
 * @returns An {@linkcode Hrm}.
 * @throws {RangeError} for a kind this build does not have.
 */
export function createModel(gpu: Gpu, arch: HrmArch): ReasoningModel {
  if (arch.kind === "trm") throw new RangeError("TRM is not available yet");
  return new Hrm(gpu, arch);
}
