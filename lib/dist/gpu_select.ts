/**
 * One GPU per rank on a multi-GPU machine. Deno's WebGPU returns one adapter per
 * `requestAdapter` (wgpu's choice by power preference: the first discrete GPU) and reads no
 * adapter-index setting (its only WebGPU variable is `DENO_WEBGPU_BACKEND`), so the choice has
 * to be made below it, in the Vulkan loader's device list, before the first adapter request:
 *
 * - Mesa's Vulkan device-select layer (`VkLayer_MESA_device_select`, an implicit layer shipped
 *   with `mesa-vulkan-drivers`, active for every Vulkan driver, NVIDIA's and AMD's included) puts
 *   the device named by `DRI_PRIME=pci-DDDD_BB_DD_F` (its PCI address) first, and with
 *   `MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE=1` lists only that one. This is what hrm sets:
 *   the PCI address tells identical GPUs apart (`MESA_VK_DEVICE_SELECT=vendor:device` and the
 *   loader's `VK_LOADER_DEVICE_SELECT` cannot: 8 H100s share one vendor:device pair).
 *   Mesa's GL drivers honour the same `DRI_PRIME` tag (DENO_WEBGPU_BACKEND=gl).
 * - `CUDA_VISIBLE_DEVICES` is a CUDA setting; hrm does not rely on Vulkan drivers honouring it.
 *
 * Rank `localRank` of a machine takes the `localRank`-th GPU in PCI address order: display
 * controllers (`/sys/bus/pci/devices/<addr>/class` 0x03xxxx) of NVIDIA, AMD or Intel, Intel's
 * left out when NVIDIA or AMD GPUs are present (integrated graphics beside discrete GPUs);
 * servers' BMC display chips (ASPEED, Matrox) and virtual displays are not GPUs. With no PCI GPU
 * (CPU-only machines: Mesa's software adapter) every rank shares the default adapter. `HRM_GPU_SELECT=off` leaves the
 * choice to the user (e.g. a wrapper script that sets `DRI_PRIME` per
 * `OMPI_COMM_WORLD_LOCAL_RANK`).
 *
 * @module
 */
import { join } from "@std/path";
import { HrmError } from "../errors.ts";

/** A PCI display controller. */
export interface PciGpu {
  /** `DDDD:BB:DD.F` */
  address: string;
  /** PCI vendor id, e.g. `0x10de`. */
  vendor: string;
  /** PCI device id. */
  device: string;
}

/** What {@linkcode chooseGpu} decided. */
export interface GpuChoice {
  /** The GPU of this rank, or undefined when the default adapter is used. */
  gpu?: PciGpu;
  /** Environment variables to set before the first adapter request. */
  env: Record<string, string>;
  /** One line for the log. */
  note: string;
}

const NVIDIA = "0x10de", AMD = "0x1002", INTEL = "0x8086";

/**
 * The compute GPUs among a machine's display controllers: NVIDIA, AMD and Intel ones, without
 * Intel's when NVIDIA or AMD GPUs are present.
 */
export function computeGpus(displays: readonly PciGpu[]): PciGpu[] {
  const gpus = displays.filter((g) => [NVIDIA, AMD, INTEL].includes(g.vendor));
  const discrete = gpus.filter((g) => g.vendor !== INTEL);
  return discrete.length ? discrete : gpus;
}

/** The PCI display controllers under `root`, in address order (see {@linkcode computeGpus}). */
export function listPciGpus(root = "/sys/bus/pci/devices"): PciGpu[] {
  const gpus: PciGpu[] = [];
  let entries: string[];
  try {
    entries = [...Deno.readDirSync(root)].map((e) => e.name).sort();
  } catch {
    return gpus;
  }
  const read = (addr: string, f: string) => {
    try {
      return Deno.readTextFileSync(join(root, addr, f)).trim();
    } catch {
      return "";
    }
  };
  for (const address of entries) {
    if (!read(address, "class").startsWith("0x03")) continue;
    gpus.push({ address, vendor: read(address, "vendor"), device: read(address, "device") });
  }
  return gpus;
}

const LAYER_DIRS = [
  "/usr/share/vulkan/implicit_layer.d",
  "/usr/local/share/vulkan/implicit_layer.d",
  "/etc/vulkan/implicit_layer.d",
];

/** True when Mesa's device-select layer manifest is installed (and not disabled). */
export function hasDeviceSelectLayer(
  env: { get(k: string): string | undefined } = Deno.env,
  dirs: readonly string[] = LAYER_DIRS,
): boolean {
  if (env.get("NODEVICE_SELECT") === "1") return false;
  const extra = (env.get("XDG_DATA_DIRS") ?? "").split(":").filter(Boolean)
    .map((d) => join(d, "vulkan/implicit_layer.d"));
  for (const dir of [...dirs, ...extra]) {
    try {
      for (const e of Deno.readDirSync(dir)) {
        if (/MESA_device_select.*\.json$/.test(e.name)) return true;
      }
    } catch { /* missing folder */ }
  }
  return false;
}

/** `DRI_PRIME`'s tag for a PCI address: `0000:17:00.0` → `pci-0000_17_00_0`. */
export function driPrimeTag(address: string): string {
  return "pci-" + address.replace(/[:.]/g, "_");
}

/**
 * Decides which GPU a rank uses (pure; {@linkcode selectGpu} applies it).
 *
 * @param rank `localRank`/`localSize` of the rank on its machine.
 * @param gpus The machine's PCI GPUs ({@linkcode listPciGpus}).
 * @param layer Whether Mesa's device-select layer is installed.
 * @param mode `HRM_GPU_SELECT`: `off` leaves the default adapter.
 * @throws {HrmError} when the ranks of a machine cannot each get a GPU of their own.
 */
export function chooseGpu(
  rank: { localRank: number; localSize: number },
  gpus: readonly PciGpu[],
  layer: boolean,
  mode = "auto",
): GpuChoice {
  if (mode === "off") {
    return { env: {}, note: "GPU selection off (HRM_GPU_SELECT=off): default adapter" };
  }
  if (mode !== "auto") {
    throw new HrmError(undefined, `HRM_GPU_SELECT must be auto or off, got "${mode}"`);
  }
  if (rank.localSize <= 1) return { env: {}, note: "one rank on this machine: default adapter" };
  if (gpus.length === 0) {
    return {
      env: {},
      note: `no PCI GPU: the ${rank.localSize} ranks of this machine share the default adapter`,
    };
  }
  const list = gpus.map((g) => g.address).join(", ");
  if (gpus.length < rank.localSize) {
    throw new HrmError(
      undefined,
      `${rank.localSize} ranks on this machine but ${gpus.length} GPU(s) (${list}): start at ` +
        `most ${gpus.length} per machine (mpirun --map-by ppr:${gpus.length}:node), or set ` +
        "HRM_GPU_SELECT=off to let ranks share the default adapter",
    );
  }
  if (!layer) {
    throw new HrmError(
      undefined,
      `cannot give each of the ${rank.localSize} ranks of this machine its own GPU: Mesa's ` +
        "Vulkan device-select layer is not installed (`apt-get install mesa-vulkan-drivers`); " +
        "or set HRM_GPU_SELECT=off and choose per rank yourself (DRI_PRIME=pci-DDDD_BB_DD_F)",
    );
  }
  const gpu = gpus[rank.localRank];
  return {
    gpu,
    env: { DRI_PRIME: driPrimeTag(gpu.address), MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: "1" },
    note: `GPU ${rank.localRank} of ${gpus.length} on this machine: ${gpu.address} ` +
      `(${gpu.vendor}:${gpu.device}) via DRI_PRIME`,
  };
}

/**
 * Points this process at its GPU (call before the first `requestGpu`): sets the variables of
 * {@linkcode chooseGpu} in the environment the Vulkan loader reads.
 *
 * @returns The choice, for the log.
 * @throws {HrmError} as {@linkcode chooseGpu}.
 */
export function selectGpu(rank: { localRank: number; localSize: number }): GpuChoice {
  const mode = Deno.env.get("HRM_GPU_SELECT") ?? "auto";
  const choice = mode === "off" || rank.localSize <= 1
    ? chooseGpu(rank, [], false, mode)
    : chooseGpu(rank, computeGpus(listPciGpus()), hasDeviceSelectLayer(), mode);
  for (const [k, v] of Object.entries(choice.env)) Deno.env.set(k, v);
  return choice;
}
