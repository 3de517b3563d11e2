// lib/dist: the launch detection, the single-process world, the per-rank GPU choice, and (when
// Open MPI is installed) the collectives and a failing rank under `mpirun -np 2`.
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { HrmError } from "../../lib/errors.ts";
import { detectLaunch, SingleWorld } from "../../lib/dist/world.ts";
import {
  chooseGpu,
  computeGpus,
  driPrimeTag,
  hasDeviceSelectLayer,
  listPciGpus,
  type PciGpu,
} from "../../lib/dist/gpu_select.ts";
import { mpiAvailable, mpirun } from "./_mpi.ts";

const env = (o: Record<string, string>) => ({ get: (k: string) => o[k] });

Deno.test("detectLaunch: Open MPI's variables mean MPI, none mean one process, PMI is refused", () => {
  assertEquals(detectLaunch(env({})), { kind: "single", size: 1, rank: 0 });
  assertEquals(
    detectLaunch(env({ OMPI_COMM_WORLD_SIZE: "4", OMPI_COMM_WORLD_RANK: "2" })),
    { kind: "openmpi", size: 4, rank: 2 },
  );
  const e = assertThrows(() => detectLaunch(env({ PMI_RANK: "0", PMI_SIZE: "2" })), HrmError);
  assertMatch(e.message, /Open MPI/);
});

Deno.test("SingleWorld: collectives are the identity", async () => {
  const w = new SingleWorld();
  assertEquals([w.rank, w.size, w.localRank, w.localSize, w.distributed], [0, 1, 0, 1, false]);
  const a = Float32Array.of(1, 2);
  await w.allReduceSum(a);
  await w.broadcast(a);
  assertEquals([...a], [1, 2]);
  assertEquals(await w.allGather(a), a);
  await assertRejects(() => w.allGather(a, [1]), RangeError);
});

const GPUS: PciGpu[] = [
  { address: "0000:17:00.0", vendor: "0x10de", device: "0x2330" },
  { address: "0000:3d:00.0", vendor: "0x10de", device: "0x2330" },
];

Deno.test("chooseGpu: local rank r takes the r-th PCI GPU through DRI_PRIME", () => {
  const c = chooseGpu({ localRank: 1, localSize: 2 }, GPUS, true);
  assertEquals(c.gpu, GPUS[1]);
  assertEquals(c.env, {
    DRI_PRIME: "pci-0000_3d_00_0",
    MESA_VK_DEVICE_SELECT_FORCE_DEFAULT_DEVICE: "1",
  });
  assertEquals(driPrimeTag("0000:17:00.0"), "pci-0000_17_00_0");
  // One rank per machine, no PCI GPU (software adapter) or selection off: the default adapter.
  assertEquals(chooseGpu({ localRank: 0, localSize: 1 }, GPUS, true).env, {});
  assertEquals(chooseGpu({ localRank: 1, localSize: 2 }, [], false).env, {});
  assertEquals(chooseGpu({ localRank: 1, localSize: 3 }, GPUS, false, "off").env, {});
});

Deno.test("chooseGpu: clear errors when ranks cannot each get a GPU", () => {
  const few = assertThrows(() => chooseGpu({ localRank: 0, localSize: 3 }, GPUS, true), HrmError);
  assertMatch(few.message, /3 ranks on this machine but 2 GPU.*ppr:2:node.*HRM_GPU_SELECT=off/);
  const noLayer = assertThrows(() => chooseGpu({ localRank: 0, localSize: 2 }, GPUS, false));
  assertMatch(noLayer.message, /device-select layer is not installed/);
  assertThrows(() => chooseGpu({ localRank: 0, localSize: 2 }, GPUS, true, "yes"), HrmError);
});

Deno.test("listPciGpus and hasDeviceSelectLayer read sysfs and the layer folders", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hrm-sysfs-" });
  const dev = async (addr: string, cls: string) => {
    await Deno.mkdir(`${dir}/pci/${addr}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/pci/${addr}/class`, cls + "\n");
    await Deno.writeTextFile(`${dir}/pci/${addr}/vendor`, "0x1002\n");
    await Deno.writeTextFile(`${dir}/pci/${addr}/device`, "0x74a1\n");
  };
  await dev("0000:c1:00.0", "0x030200");
  await dev("0000:00:02.0", "0x020000"); // a network card
  await dev("0000:41:00.0", "0x030000");
  assertEquals(listPciGpus(`${dir}/pci`).map((g) => g.address), ["0000:41:00.0", "0000:c1:00.0"]);
  assertEquals(listPciGpus(`${dir}/none`), []);
  // A server's BMC display (ASPEED) is no GPU; integrated Intel graphics beside discrete GPUs neither.
  const bmc = { address: "0000:02:00.0", vendor: "0x1a03", device: "0x2000" };
  const igpu = { address: "0000:00:02.0", vendor: "0x8086", device: "0x4680" };
  assertEquals(computeGpus([igpu, bmc, ...GPUS]), GPUS);
  assertEquals(computeGpus([bmc, igpu]), [igpu]);
  assertEquals(computeGpus([bmc]), []);
  await Deno.mkdir(`${dir}/layers`);
  assert(!hasDeviceSelectLayer(env({}), [`${dir}/layers`]));
  await Deno.writeTextFile(`${dir}/layers/VkLayer_MESA_device_select.json`, "{}");
  assert(hasDeviceSelectLayer(env({}), [`${dir}/layers`]));
  assert(!hasDeviceSelectLayer(env({ NODEVICE_SELECT: "1" }), [`${dir}/layers`]));
  await Deno.remove(dir, { recursive: true });
});

const worker = fromFileUrl(new URL("./mpi_worker.ts", import.meta.url));
const why = await mpiAvailable();

Deno.test({
  name: "mpirun -np 2: all-reduce, all-gather(v), broadcast and node-local ranks",
  ignore: why !== undefined,
  async fn() {
    const r = await mpirun(2, [worker, "collectives"]);
    assertEquals(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    rows.sort((a, b) => a.rank - b.rank);
    assertEquals(rows.map((x) => [x.rank, x.size, x.localRank, x.localSize]), [
      [0, 2, 0, 2],
      [1, 2, 1, 2],
    ]);
    for (const x of rows) {
      assertEquals(x.distributed, true);
      assertEquals(x.f32sum, [0, 3, 2997]); // (1 + 2)·i
      assertEquals(x.f64, [2, 1e300]);
      assertEquals(x.i32, [1, -1, 2]);
      assertEquals(x.max, 10);
      assertEquals(x.gathered, [0, 1, 1]);
      assertEquals(x.gatheredF, [0.25, 0.75, 1.25, 1.75]);
      assertEquals(x.bcast, [3.5, -1, 7]);
      assertEquals(x.bcastLast, [1, 1]);
    }
  },
});

Deno.test({
  name: "mpirun -np 2: a failing rank takes the job down with one line on every rank",
  ignore: why !== undefined,
  async fn() {
    const r = await mpirun(2, [worker, "fail"], ["-q"]);
    assert(r.code !== 0, "the job must fail");
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 2, r.stderr);
    assert(lines.some((l) => /^hrm: rank 1\/2 \(.+\): simulated failure$/.test(l)), r.stderr);
    assert(
      lines.some((l) => /^hrm: rank 0\/2 \(.+\): stopped: another rank failed/.test(l)),
      r.stderr,
    );
    assert(!r.stdout.includes("not reached"));
  },
});

if (why) console.warn(`MPI tests skipped: ${why}`);
