// Run by world_test.ts under `mpirun -np N`: exercises the collectives of lib/dist on every rank
// and prints one JSON line per rank; `fail` makes the last rank fail while the others wait in a
// collective, to show the job going down with one line per rank.
import { failRank, openWorld } from "../../lib/dist/world.ts";

const world = openWorld();
const scenario = Deno.args[0];
const { rank, size } = world;

if (scenario === "collectives") {
  // Sums: f32 with a chunk boundary crossed by nothing special, f64 and i32 exact.
  const f32 = Float32Array.from({ length: 1000 }, (_, i) => (rank + 1) * i);
  await world.allReduceSum(f32);
  const f64 = Float64Array.of(rank + 0.5, 1e300 * (rank === 0 ? 1 : 0));
  await world.allReduceSum(f64);
  const i32 = Int32Array.of(rank, -rank, 1);
  await world.allReduceSum(i32);
  const mx = Int32Array.of(rank * 10);
  await world.allReduceMax(mx);
  // Uneven all-gather: rank r contributes r + 1 values equal to r.
  const gathered = await world.allGather(new Int32Array(rank + 1).fill(rank));
  const gatheredF = await world.allGather(Float32Array.of(rank + 0.25, rank + 0.75), [
    ...new Array(size).fill(2),
  ]);
  // Broadcast from rank 0 (and from the last rank).
  const b = rank === 0 ? Float32Array.of(3.5, -1, 7) : new Float32Array(3);
  await world.broadcast(b);
  const c = new Int32Array(2).fill(rank);
  await world.broadcast(c, size - 1);
  await world.barrier();
  console.log(JSON.stringify({
    rank,
    size,
    localRank: world.localRank,
    localSize: world.localSize,
    distributed: world.distributed,
    f32sum: [f32[0], f32[1], f32[999]],
    f64: [...f64],
    i32: [...i32],
    max: mx[0],
    gathered: [...gathered],
    gatheredF: [...gatheredF],
    bcast: [...b],
    bcastLast: [...c],
  }));
  await world.finalize();
} else if (scenario === "fail") {
  if (rank === size - 1) {
    await new Promise((r) => setTimeout(r, 300));
    failRank(world, "simulated failure", 3);
  }
  await world.allReduceSum(new Float32Array(4));
  console.log("not reached");
}
