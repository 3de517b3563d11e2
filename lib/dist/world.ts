/**
 * The set of processes training one model. {@linkcode openWorld} returns a single-process world
 * unless the process was started by Open MPI's `mpirun` (it sets `OMPI_COMM_WORLD_SIZE`), so
 * nothing changes without `mpirun`. Under `mpirun` every rank calls the same collectives in the
 * same order (data-parallel training: the reference's `torchrun` + NCCL, here MPI on host
 * memory, see mpi.ts).
 *
 * A failing rank must take the job down with one line on every rank: {@linkcode failRank} prints
 * the error as `hrm: rank R/N (host): message` and exits non-zero without finalizing, whereupon
 * `mpirun` sends SIGTERM to the others, whose listener (installed by {@linkcode openWorld})
 * prints `hrm: rank R/N (host): stopped: another rank failed or the job was interrupted`.
 *
 * @module
 */
import { HrmError } from "../errors.ts";
import { Mpi, type MpiArray } from "./mpi.ts";

/** Processes cooperating on one training run; rank 0 writes files and prints progress. */
export interface World {
  /** This process's rank, 0-based. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Rank among the processes of this machine (picks the GPU). */
  readonly localRank: number;
  /** Processes on this machine. */
  readonly localSize: number;
  /** This machine's name. */
  readonly host: string;
  /** True under MPI (even with one rank). */
  readonly distributed: boolean;
  /** Sums `buf` elementwise over all ranks, in place. */
  allReduceSum(buf: MpiArray): Promise<void>;
  /** Maximum of `buf` elementwise over all ranks, in place. */
  allReduceMax(buf: MpiArray): Promise<void>;
  /**
   * Every rank's `local`, concatenated in rank order (lengths may differ).
   *
   * @param counts Every rank's length, if known.
   */
  allGather<T extends MpiArray>(local: T, counts?: ArrayLike<number>): Promise<T>;
  /** Copies `buf` from `root` (default 0) to every rank, in place. */
  broadcast(buf: MpiArray, root?: number): Promise<void>;
  /** Waits for every rank. */
  barrier(): Promise<void>;
  /** Ends the world (MPI_Finalize); call once after the last collective. */
  finalize(): Promise<void>;
}

/** The world of a process started without `mpirun`: every collective is the identity. */
export class SingleWorld implements World {
  /** Always 0. */
  readonly rank = 0;
  /** Always 1. */
  readonly size = 1;
  /** Always 0. */
  readonly localRank = 0;
  /** Always 1. */
  readonly localSize = 1;
  /** `Deno.hostname()` where permitted. */
  readonly host: string;
  /** Always false. */
  readonly distributed = false;

  constructor() {
    let host = "localhost";
    try {
      host = Deno.hostname();
    } catch { /* no --allow-sys: the name is only for messages */ }
    this.host = host;
  }
  /** Nothing to sum with. */
  allReduceSum(_buf: MpiArray): Promise<void> {
    return Promise.resolve();
  }
  /** Nothing to compare with. */
  allReduceMax(_buf: MpiArray): Promise<void> {
    return Promise.resolve();
  }
  /** Returns `local` itself. */
  allGather<T extends MpiArray>(local: T, counts?: ArrayLike<number>): Promise<T> {
    if (counts && (counts.length !== 1 || counts[0] !== local.length)) {
      return Promise.reject(new RangeError(`allGather: counts [${counts}] for 1 rank`));
    }
    return Promise.resolve(local);
  }
  /** Nothing to send. */
  broadcast(_buf: MpiArray, _root = 0): Promise<void> {
    return Promise.resolve();
  }
  /** Nothing to wait for. */
  barrier(): Promise<void> {
    return Promise.resolve();
  }
  /** Nothing to end. */
  finalize(): Promise<void> {
    return Promise.resolve();
  }
}

/** An MPI-backed world (see mpi.ts). */
class MpiWorld implements World {
  readonly rank: number;
  readonly size: number;
  readonly localRank: number;
  readonly localSize: number;
  readonly host: string;
  readonly distributed = true;
  readonly #mpi: Mpi;

  constructor(mpi: Mpi) {
    this.#mpi = mpi;
    this.rank = mpi.rank;
    this.size = mpi.size;
    this.localRank = mpi.localRank;
    this.localSize = mpi.localSize;
    this.host = mpi.host;
  }
  allReduceSum(buf: MpiArray): Promise<void> {
    return this.#mpi.allReduce(buf, "sum");
  }
  allReduceMax(buf: MpiArray): Promise<void> {
    return this.#mpi.allReduce(buf, "max");
  }
  allGather<T extends MpiArray>(local: T, counts?: ArrayLike<number>): Promise<T> {
    return this.#mpi.allGather(local, counts);
  }
  broadcast(buf: MpiArray, root = 0): Promise<void> {
    return this.#mpi.broadcast(buf, root);
  }
  barrier(): Promise<void> {
    return this.#mpi.barrier();
  }
  finalize(): Promise<void> {
    return this.#mpi.finalize();
  }
}

/** How this process was launched, read from the environment (no MPI call). */
export interface Launch {
  /** `mpirun` (Open MPI) or none. */
  kind: "openmpi" | "single";
  /** Ranks announced by the launcher (1 without one). */
  size: number;
  /** This rank as announced by the launcher (0 without one). */
  rank: number;
}

/**
 * Reads how the process was started: Open MPI's `mpirun` sets `OMPI_COMM_WORLD_SIZE`/`_RANK`.
 *
 * @param env The environment (default `Deno.env`).
 * @throws {HrmError} when started by another MPI's launcher (MPICH/Intel MPI's Hydra sets
 *   `PMI_RANK`), whose ABI hrm does not bind.
 */
export function detectLaunch(env: { get(k: string): string | undefined } = Deno.env): Launch {
  const size = env.get("OMPI_COMM_WORLD_SIZE");
  if (size !== undefined) {
    return { kind: "openmpi", size: Number(size), rank: Number(env.get("OMPI_COMM_WORLD_RANK")) };
  }
  if (env.get("PMI_RANK") !== undefined && env.get("PMI_SIZE") !== "1") {
    throw new HrmError(
      undefined,
      "started by a non-Open-MPI launcher (PMI_RANK is set): hrm binds Open MPI's libmpi.so.40; " +
        "launch with Open MPI's `mpirun`",
    );
  }
  return { kind: "single", size: 1, rank: 0 };
}

let opened: World | undefined;

/**
 * The world of this process (once per process): MPI under `mpirun`, else a
 * {@linkcode SingleWorld}. Under MPI it also installs the SIGTERM/SIGINT listener that prints
 * one line when `mpirun` takes the job down.
 *
 * @throws {HrmError} when launched by `mpirun` but Open MPI cannot be loaded or initialised.
 */
export function openWorld(): World {
  if (opened) return opened;
  const launch = detectLaunch();
  if (launch.kind === "single") return opened = new SingleWorld();
  const world = new MpiWorld(Mpi.init());
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => {
      console.error(
        `hrm: ${rankName(world)}: stopped: another rank failed or the job was interrupted`,
      );
      Deno.exit(sig === "SIGTERM" ? 143 : 130);
    });
  }
  return opened = world;
}

/** The world {@linkcode openWorld} opened in this process, if any. */
export function currentWorld(): World | undefined {
  return opened;
}

/** Finalizes the world {@linkcode openWorld} opened, if any (call once, at a clean exit). */
export async function closeWorld(): Promise<void> {
  await opened?.finalize();
}

/** `rank R/N (host)`, for messages. */
export function rankName(world: World): string {
  return `rank ${world.rank}/${world.size} (${world.host})`;
}

/**
 * Ends a failing rank: prints `hrm: rank R/N (host): message` and exits with `code` without
 * finalizing MPI, so that `mpirun` stops the other ranks (each prints its own line).
 *
 * @param world The world.
 * @param message The error, one line.
 * @param code Exit code (non-zero).
 */
export function failRank(world: World, message: string, code = 1): never {
  console.error(`hrm: ${rankName(world)}: ${message}`);
  Deno.exit(code === 0 ? 1 : code);
}
