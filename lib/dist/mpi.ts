/**
 * Open MPI through Deno's FFI: `libmpi.so.40` (Open MPI 3 and later), its handles read as the
 * data symbols Open MPI exports (`ompi_mpi_comm_world`, `ompi_mpi_float`, `ompi_mpi_op_sum`, …;
 * in Open MPI's `mpi.h` every MPI handle is the address of one of these). Only Open MPI's ABI is
 * bound: MPICH encodes handles as integers and is not supported.
 *
 * Collectives are `nonblocking` FFI calls (a worker thread runs them, so MPI is initialised with
 * `MPI_THREAD_SERIALIZED` and calls are queued one at a time). The JavaScript thread stays free
 * meanwhile, which is what lets a rank blocked in a collective still hear the SIGTERM that
 * `mpirun` sends when another rank dies (see world.ts).
 *
 * @module
 */
import { HrmError } from "../errors.ts";

/** Typed arrays the collectives move: f32, f64 and i32 map to MPI_FLOAT/DOUBLE/INT. */
export type MpiArray = Float32Array | Float64Array | Int32Array;

const SYMBOLS = {
  MPI_Init_thread: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  MPI_Initialized: { parameters: ["buffer"], result: "i32" },
  MPI_Finalize: { parameters: [], result: "i32" },
  MPI_Abort: { parameters: ["pointer", "i32"], result: "i32" },
  MPI_Comm_rank: { parameters: ["pointer", "buffer"], result: "i32" },
  MPI_Comm_size: { parameters: ["pointer", "buffer"], result: "i32" },
  MPI_Comm_split_type: {
    parameters: ["pointer", "i32", "i32", "pointer", "buffer"],
    result: "i32",
  },
  MPI_Comm_free: { parameters: ["buffer"], result: "i32" },
  MPI_Get_processor_name: { parameters: ["buffer", "buffer"], result: "i32" },
  MPI_Error_string: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  MPI_Allreduce: {
    parameters: ["pointer", "buffer", "i32", "pointer", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Allgather: {
    parameters: ["buffer", "i32", "pointer", "buffer", "i32", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Allgatherv: {
    parameters: ["buffer", "i32", "pointer", "buffer", "buffer", "buffer", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Bcast: {
    parameters: ["buffer", "i32", "pointer", "i32", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Barrier: { parameters: ["pointer"], result: "i32", nonblocking: true },
  ompi_mpi_comm_world: { type: "pointer" },
  ompi_mpi_float: { type: "pointer" },
  ompi_mpi_double: { type: "pointer" },
  ompi_mpi_int: { type: "pointer" },
  ompi_mpi_op_sum: { type: "pointer" },
  ompi_mpi_op_max: { type: "pointer" },
  ompi_mpi_op_min: { type: "pointer" },
  ompi_mpi_info_null: { type: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>;

/** MPI_THREAD_SERIALIZED: any thread may call, one at a time (our queue guarantees it). */
const THREAD_SERIALIZED = 2;
/** MPI_COMM_TYPE_SHARED in Open MPI's mpi.h: ranks that share memory, i.e. one node. */
const COMM_TYPE_SHARED = 0;
/** Open MPI defines MPI_IN_PLACE as `(void *) 1`. */
const IN_PLACE = Deno.UnsafePointer.create(1n);
/** MPI counts are C ints; larger arrays go in chunks of this many elements. */
const MAX_COUNT = 1 << 30;

/** The library file to open: `HRM_MPI_LIB` or Open MPI's soname. */
export function mpiLibraryName(): string {
  return Deno.env.get("HRM_MPI_LIB") || "libmpi.so.40";
}

/** Reduction operators of {@linkcode Mpi.allReduce}. */
export type ReduceOp = "sum" | "max" | "min";

/**
 * An initialised Open MPI: rank, size, the node-local rank, and collectives over
 * MPI_COMM_WORLD on typed arrays in host memory. All collectives are in place or return new
 * arrays; every rank must call the same collectives in the same order.
 */
export class Mpi {
  /** This process's rank in MPI_COMM_WORLD. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Rank among the processes on this node (MPI_COMM_TYPE_SHARED). */
  readonly localRank: number;
  /** Processes on this node. */
  readonly localSize: number;
  /** The node's name (MPI_Get_processor_name). */
  readonly host: string;
  readonly #lib: Lib;
  #queue: Promise<unknown> = Promise.resolve();
  #finalized = false;

  private constructor(lib: Lib) {
    this.#lib = lib;
    const s = lib.symbols;
    const out = new Int32Array(1);
    this.#check(s.MPI_Comm_rank(s.ompi_mpi_comm_world, out), "MPI_Comm_rank");
    this.rank = out[0];
    this.#check(s.MPI_Comm_size(s.ompi_mpi_comm_world, out), "MPI_Comm_size");
    this.size = out[0];
    const node = new BigUint64Array(1);
    this.#check(
      s.MPI_Comm_split_type(
        s.ompi_mpi_comm_world,
        COMM_TYPE_SHARED,
        this.rank,
        s.ompi_mpi_info_null,
        node,
      ),
      "MPI_Comm_split_type",
    );
    const nodeComm = Deno.UnsafePointer.create(node[0]);
    this.#check(s.MPI_Comm_rank(nodeComm, out), "MPI_Comm_rank(node)");
    this.localRank = out[0];
    this.#check(s.MPI_Comm_size(nodeComm, out), "MPI_Comm_size(node)");
    this.localSize = out[0];
    this.#check(s.MPI_Comm_free(node), "MPI_Comm_free");
    const name = new Uint8Array(256), len = new Int32Array(1);
    this.#check(s.MPI_Get_processor_name(name, len), "MPI_Get_processor_name");
    this.host = new TextDecoder().decode(name.subarray(0, len[0]));
  }

  /**
   * Opens the library and initialises MPI (once per process).
   *
   * @throws {HrmError} when the library cannot be loaded or MPI_Init_thread fails.
   */
  static init(): Mpi {
    const name = mpiLibraryName();
    let lib: Lib;
    try {
      lib = Deno.dlopen(name, SYMBOLS);
    } catch (e) {
      throw new HrmError(
        name,
        `cannot load Open MPI (${(e as Error).message.split("\n")[0]}); install it ` +
          "(`apt-get install openmpi-bin`) or point HRM_MPI_LIB at libmpi.so of Open MPI >= 3",
      );
    }
    const provided = new Int32Array(1);
    const rc = lib.symbols.MPI_Init_thread(null, null, THREAD_SERIALIZED, provided);
    if (rc !== 0) {
      lib.close();
      throw new HrmError(name, `MPI_Init_thread failed with error code ${rc}`);
    }
    if (provided[0] < THREAD_SERIALIZED) {
      throw new HrmError(
        name,
        `this Open MPI provides thread level ${provided[0]}; hrm needs MPI_THREAD_SERIALIZED (2)`,
      );
    }
    return new Mpi(lib);
  }

  #check(rc: number, what: string): void {
    if (rc === 0) return;
    const text = new Uint8Array(512), len = new Int32Array(1);
    this.#lib.symbols.MPI_Error_string(rc, text, len);
    const msg = new TextDecoder().decode(text.subarray(0, len[0]));
    throw new Error(`${what} failed on rank ${this.rank}: ${msg || `error ${rc}`}`);
  }

  /** Runs MPI calls one at a time, in the order they were asked for. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#finalized) return Promise.reject(new Error("MPI is finalized"));
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #type(a: MpiArray): Deno.PointerValue {
    const s = this.#lib.symbols;
    if (a instanceof Float32Array) return s.ompi_mpi_float;
    if (a instanceof Float64Array) return s.ompi_mpi_double;
    return s.ompi_mpi_int;
  }

  /**
   * Reduces `buf` elementwise over all ranks, in place (MPI_Allreduce with MPI_IN_PLACE).
   *
   * @param buf The local values; holds the reduction afterwards on every rank.
   * @param op `sum` (default), `max` or `min`.
   */
  allReduce(buf: MpiArray, op: ReduceOp = "sum"): Promise<void> {
    const s = this.#lib.symbols;
    const o = op === "sum"
      ? s.ompi_mpi_op_sum
      : op === "max"
      ? s.ompi_mpi_op_max
      : s.ompi_mpi_op_min;
    return this.#serial(async () => {
      for (let at = 0; at < buf.length; at += MAX_COUNT) {
        const part = buf.subarray(at, Math.min(buf.length, at + MAX_COUNT));
        const rc = await s.MPI_Allreduce(
          IN_PLACE,
          part,
          part.length,
          this.#type(buf),
          o,
          s.ompi_mpi_comm_world,
        );
        this.#check(rc, "MPI_Allreduce");
      }
    });
  }

  /**
   * Concatenates every rank's `local` in rank order (MPI_Allgatherv); lengths may differ.
   *
   * @param local This rank's part.
   * @param counts Every rank's length, when the caller knows them (saves one all-gather).
   * @returns The concatenation, the same on every rank.
   */
  async allGather<T extends MpiArray>(local: T, counts?: ArrayLike<number>): Promise<T> {
    const s = this.#lib.symbols;
    let cs: Int32Array;
    if (counts) cs = Int32Array.from(counts);
    else {
      cs = new Int32Array(this.size);
      const mine = Int32Array.of(local.length);
      await this.#serial(async () =>
        this.#check(
          await s.MPI_Allgather(
            mine,
            1,
            s.ompi_mpi_int,
            cs,
            1,
            s.ompi_mpi_int,
            s.ompi_mpi_comm_world,
          ),
          "MPI_Allgather",
        )
      );
    }
    if (cs.length !== this.size || cs[this.rank] !== local.length) {
      throw new RangeError(
        `allGather: counts [${cs}] do not fit ${this.size} ranks with ${local.length} here`,
      );
    }
    const displs = new Int32Array(this.size);
    let total = 0;
    for (let r = 0; r < this.size; r++) {
      displs[r] = total;
      total += cs[r];
    }
    if (total > 0x7fffffff) throw new RangeError(`allGather: ${total} elements exceed a C int`);
    const Ctor = local.constructor as { new (n: number): T };
    const out = new Ctor(total);
    await this.#serial(async () =>
      this.#check(
        await s.MPI_Allgatherv(
          local,
          local.length,
          this.#type(local),
          out,
          cs,
          displs,
          this.#type(local),
          s.ompi_mpi_comm_world,
        ),
        "MPI_Allgatherv",
      )
    );
    return out;
  }

  /**
   * Copies `buf` from `root` to every rank, in place (MPI_Bcast).
   *
   * @param buf The data on `root`; overwritten elsewhere (lengths must agree).
   * @param root The sending rank.
   */
  broadcast(buf: MpiArray, root = 0): Promise<void> {
    const s = this.#lib.symbols;
    return this.#serial(async () => {
      for (let at = 0; at < buf.length; at += MAX_COUNT) {
        const part = buf.subarray(at, Math.min(buf.length, at + MAX_COUNT));
        const rc = await s.MPI_Bcast(
          part,
          part.length,
          this.#type(buf),
          root,
          s.ompi_mpi_comm_world,
        );
        this.#check(rc, "MPI_Bcast");
      }
    });
  }

  /** Waits until every rank got here (MPI_Barrier). */
  barrier(): Promise<void> {
    const s = this.#lib.symbols;
    return this.#serial(async () =>
      this.#check(await s.MPI_Barrier(s.ompi_mpi_comm_world), "MPI_Barrier")
    );
  }

  /** Ends MPI after the queued calls (MPI_Finalize); later calls reject. */
  async finalize(): Promise<void> {
    if (this.#finalized) return;
    await this.#queue;
    this.#finalized = true;
    this.#lib.symbols.MPI_Finalize();
  }

  /** Kills every rank of the job with exit `code` (MPI_Abort); does not return. */
  abort(code: number): never {
    this.#lib.symbols.MPI_Abort(this.#lib.symbols.ompi_mpi_comm_world, code);
    Deno.exit(code);
  }
}
