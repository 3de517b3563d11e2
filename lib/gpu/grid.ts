/**
 * Workgroup-count helpers: 1-D launches larger than the per-dimension limit (65535) fold into
 * two dimensions; kernels recover the flat index as `x + y * num_workgroups.x * WG`.
 *
 * @module
 */
import type { Gpu } from "./device.ts";

/**
 * Workgroup counts covering `n` invocations with `wg` threads per workgroup.
 *
 * @param gpu The device (for its per-dimension limit).
 * @param n Invocations needed.
 * @param wg Threads per workgroup.
 * @returns `[x, y]` with `x * y * wg >= n`.
 */
export function grid1d(gpu: Gpu, n: number, wg: number): [number, number] {
  const groups = Math.ceil(n / wg);
  const limit = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= limit) return [groups, 1];
  const y = Math.ceil(groups / limit);
  return [Math.ceil(groups / y), y];
}
