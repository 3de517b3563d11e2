// Run by bench/dist.ts under `mpirun -np N`: times MPI all-reduces (sum, in place) of a float32
// buffer of the given length and prints one JSON line on rank 0.
import { openWorld } from "../lib/dist/world.ts";

const [n, reps] = Deno.args.map(Number);
const world = openWorld();
const buf = new Float32Array(n).fill(world.rank + 1);
const times: number[] = [];
for (let r = 0; r <= reps; r++) {
  await world.barrier();
  const t0 = performance.now();
  await world.allReduceSum(buf);
  if (r > 0) times.push(performance.now() - t0);
}
if (world.rank === 0) {
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ ranks: world.size, n, ms: times[Math.floor(times.length / 2)] }));
}
await world.finalize();
