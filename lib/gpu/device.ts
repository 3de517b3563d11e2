/**
 * The WebGPU device: one adapter, one device with the adapter's maximum limits, and the features
 * hrm can use (shader-f16, timestamp-query, subgroups). GPU errors are collected here and turned
 * into errors naming the failing kernel (pipelines and bind groups carry the kernel's name as
 * their label).
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { BufferPool } from "./pool.ts";
import { PipelineCache } from "./pipelines.ts";

/** An open device plus hrm's per-device state (buffer pool, pipeline cache, error log). */
export interface Gpu {
  /** The adapter the device came from. */
  adapter: GPUAdapter;
  /** The device. */
  device: GPUDevice;
  /** True for software adapters (Mesa llvmpipe/lavapipe, SwiftShader). */
  isFallbackAdapter: boolean;
  /** `vulkan`, `gl` or `unknown` (Deno does not expose the backend; inferred from features/limits). */
  backend: string;
  /** Features enabled on the device. */
  features: ReadonlySet<string>;
  /** The device's limits. */
  limits: GPUSupportedLimits;
  /** Size-class buffer pool for tensors. */
  pool: BufferPool;
  /** Uniform buffers for `Encoder` parameter arenas. */
  uniforms: BufferPool;
  /** Compiled pipelines keyed by kernel, entry point and constants. */
  pipelines: PipelineCache;
  /** GPU errors reported since the last {@linkcode checkGpuErrors}. */
  errors: string[];
  /** Set when the device is lost. */
  lost: string | undefined;
}

const WANTED_FEATURES = ["shader-f16", "timestamp-query", "subgroups"];
const WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxBindGroups",
  "maxUniformBufferBindingSize",
  "maxTextureDimension2D",
];

let shared: Promise<Gpu> | undefined;

/**
 * Opens (once per process) the default adapter and a device with its maximum limits.
 *
 * @returns The shared {@linkcode Gpu}.
 * @throws {HrmError} when there is no WebGPU adapter, naming how to get one.
 *
 * @example Opening the device
 * ```ts ignore
 * import { requestGpu } from "./device.ts";
 * const gpu = await requestGpu();
 * console.log(gpu.adapter.info.description);
 * ```
 */
export function requestGpu(): Promise<Gpu> {
  shared ??= openGpu().catch((e) => {
    shared = undefined;
    throw e;
  });
  return shared;
}

/**
 * Gives the GPU libraries a private runtime folder when `XDG_RUNTIME_DIR` is unset or unusable
 * (not an absolute path to an existing folder), as in containers and SSH sessions: Mesa's
 * Vulkan and GL drivers otherwise print `error: XDG_RUNTIME_DIR is invalid or not set in the
 * environment.` twice when the adapter is requested. Linux and other Unix systems only.
 *
 * @returns The folder set, or undefined when the environment was left alone.
 */
export function ensureRuntimeDir(): string | undefined {
  if (Deno.build.os === "windows" || Deno.build.os === "darwin") return undefined;
  const usable = (dir: string | undefined): boolean => {
    if (!dir || !dir.startsWith("/")) return false;
    try {
      return Deno.statSync(dir).isDirectory;
    } catch {
      return false;
    }
  };
  if (usable(Deno.env.get("XDG_RUNTIME_DIR"))) return undefined;
  const base = usable(Deno.env.get("TMPDIR")) ? Deno.env.get("TMPDIR")! : "/tmp";
  let dir = `${base}/hrm-runtime-${Deno.uid() ?? "user"}`;
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch {
    // Exists already: reuse it only if it is ours and private.
    let ours = false;
    try {
      const st = Deno.statSync(dir);
      ours = st.isDirectory && st.uid === Deno.uid() && ((st.mode ?? 0) & 0o077) === 0;
    } catch { /* unreadable: make another */ }
    if (!ours) dir = Deno.makeTempDirSync({ prefix: "hrm-runtime-" });
  }
  Deno.env.set("XDG_RUNTIME_DIR", dir);
  return dir;
}

/** Where Vulkan loaders look for driver manifests (ICD JSON files) on Linux. */
const VULKAN_ICD_DIRS = [
  "/usr/share/vulkan/icd.d",
  "/usr/local/share/vulkan/icd.d",
  "/etc/vulkan/icd.d",
];

/**
 * On Linux with a Vulkan driver installed and `DENO_WEBGPU_BACKEND` unset, sets it to `vulkan`,
 * so that wgpu does not also start its GL backend: that loads libEGL (libglvnd), whose library
 * destructor races at process exit with the thread-specific-data destructors it registered on
 * threads still exiting. Seen as a SIGSEGV inside libEGL at exit after every test had passed
 * (a core dump of `deno task test` on lavapipe); the heap-corruption aborts at exit seen in CI
 * are likely the same race. wgpu picks the Vulkan adapter there anyway; the GL backend then never
 * loads. A variable set by the user is left alone.
 *
 * @param icdDirs Folders holding Vulkan driver manifests (`*.json`).
 * @returns Whether the variable was set.
 */
export function preferVulkan(icdDirs: readonly string[] = VULKAN_ICD_DIRS): boolean {
  if (Deno.build.os !== "linux" || Deno.env.has("DENO_WEBGPU_BACKEND")) return false;
  const manifest = (dir: string): boolean => {
    try {
      for (const e of Deno.readDirSync(dir)) if (e.name.endsWith(".json")) return true;
    } catch { /* absent or unreadable */ }
    return false;
  };
  const vulkan = Deno.env.get("VK_ICD_FILENAMES") || Deno.env.get("VK_DRIVER_FILES") ||
    icdDirs.some(manifest);
  if (!vulkan) return false;
  Deno.env.set("DENO_WEBGPU_BACKEND", "vulkan");
  return true;
}

async function openGpu(): Promise<Gpu> {
  ensureRuntimeDir();
  preferVulkan();
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    throw new HrmError(
      undefined,
      "No WebGPU adapter found: install a GPU driver (Vulkan, Metal or DX12), or on a CPU-only " +
        "Linux machine Mesa's software adapter (`apt-get install mesa-vulkan-drivers` for " +
        "lavapipe, or libgl1-mesa-dri for llvmpipe); DENO_WEBGPU_BACKEND=vulkan|gl picks a backend",
    );
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) =>
    adapter.features.has(f as GPUFeatureName)
  ) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  const al = adapter.limits as unknown as Record<string, number>;
  for (const k of WANTED_LIMITS) if (typeof al[k] === "number") requiredLimits[k] = al[k];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const isFallbackAdapter = Boolean(
    info.isFallbackAdapter ?? (adapter as unknown as { isFallbackAdapter?: boolean })
      .isFallbackAdapter,
  );
  const gpu: Gpu = {
    adapter,
    device,
    isFallbackAdapter,
    backend: inferBackend(adapter),
    features: new Set([...device.features]),
    limits: device.limits,
    pool: new BufferPool(device),
    uniforms: new BufferPool(device, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST),
    pipelines: new PipelineCache(device),
    errors: [],
    lost: undefined,
  };
  device.addEventListener("uncapturederror", (ev) => {
    gpu.errors.push((ev as GPUUncapturedErrorEvent).error.message);
  });
  device.lost.then((i) => {
    if (i.reason !== "destroyed") gpu.lost = i.message || String(i.reason);
  });
  return gpu;
}

function inferBackend(adapter: GPUAdapter): string {
  const env = Deno.env.get("DENO_WEBGPU_BACKEND");
  if (env && !env.includes(",")) return env;
  // Deno hides the backend; on Mesa only the Vulkan driver offers shader-f16 and 32 storage buffers.
  if (adapter.features.has("shader-f16") || adapter.limits.maxStorageBuffersPerShaderStage >= 32) {
    return "vulkan";
  }
  return /llvmpipe|mesa/i.test(adapter.info.description) ? "gl" : "unknown";
}

/**
 * Throws if the device reported errors or was lost since the last check. The message names the
 * kernel, because wgpu quotes the label of the failing pipeline or bind group.
 *
 * @param gpu The device.
 * @param what What was running, for the message.
 * @throws {Error} on a validation error, out-of-memory or device loss.
 */
export function checkGpuErrors(gpu: Gpu, what = "GPU work"): void {
  if (gpu.lost) throw new Error(`GPU device lost during ${what}: ${gpu.lost}`);
  if (gpu.errors.length) {
    const hint = Deno.env.get("HRM_GPU_DEBUG")
      ? ""
      : " (rerun with HRM_GPU_DEBUG=1 to name the kernel)";
    throw new Error(`GPU error during ${what}: ${summarizeErrors(gpu.errors.splice(0))}${hint}`);
  }
}

/**
 * Joins GPU error messages for one line: each distinct message once, with its count (a bad
 * buffer is reported once per dispatch that uses it), at most 3 distinct ones.
 *
 * @param errors The messages in the order reported.
 * @returns E.g. `Buffer size 4294967296 is greater than ... (×1204)`.
 */
export function summarizeErrors(errors: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  const parts = [...counts].slice(0, 3).map(([m, n]) => {
    const line = m.split("\n").map((l) => l.trim()).filter(Boolean).join(" ");
    return (line.length > 300 ? line.slice(0, 300) + "…" : line) + (n > 1 ? ` (×${n})` : "");
  });
  if (counts.size > 3) parts.push(`and ${counts.size - 3} other kinds of error`);
  return parts.join(" | ");
}

/**
 * What `hrm info` prints: adapter identity, fallback flag, features and limits.
 *
 * @param gpu The device.
 * @returns A plain object.
 */
export function describeGpu(gpu: Gpu): {
  adapter: Record<string, string>;
  isFallbackAdapter: boolean;
  backend: string;
  features: string[];
  limits: Record<string, number>;
} {
  const i = gpu.adapter.info;
  const limits: Record<string, number> = {};
  const dl = gpu.limits as unknown as Record<string, number>;
  for (const k of WANTED_LIMITS) if (typeof dl[k] === "number") limits[k] = dl[k];
  return {
    adapter: {
      description: i.description,
      vendor: i.vendor,
      architecture: i.architecture,
      device: i.device,
    },
    isFallbackAdapter: gpu.isFallbackAdapter,
    backend: gpu.backend,
    features: [...gpu.features].sort(),
    limits,
  };
}
