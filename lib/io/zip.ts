/**
 * A minimal zip reader (PKWARE APPNOTE 6.3: central directory, zip64 records, stored and
 * deflated entries), enough for `torch.save` archives, which store every entry uncompressed.
 * Entries are located through the central directory and read lazily; stored entries are views
 * into the archive's bytes. Any malformation is an {@linkcode HrmError} naming the file.
 *
 * @module
 */
import { HrmError } from "../errors.ts";

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  /** Bytes as stored. */
  compressedSize: number;
  /** Bytes once inflated. */
  size: number;
  /** Offset of the entry's local header. */
  localOffset: number;
  /** CRC-32 of the inflated contents. */
  crc32: number;
}

const EOCD = 0x06054b50, EOCD64 = 0x06064b50, LOCATOR64 = 0x07064b50;
const CENTRAL = 0x02014b50, LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

/**
 * Whether `bytes` start like a zip archive (a local file header).
 *
 * @param bytes At least the file's first 4 bytes.
 * @returns True for `PK\x03\x04`.
 *
 * @example
 * ```ts
 * import { isZip } from "./zip.ts";
 * if (!isZip(new Uint8Array([0x50, 0x4b, 3, 4])) || isZip(new Uint8Array(8))) throw new Error();
 * ```
 */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 &&
    bytes[3] === 4;
}

/** A zip archive held in memory. */
export class ZipArchive {
  /** Entries by name, in central-directory order. */
  readonly entries: Map<string, ZipEntry>;
  readonly #bytes: Uint8Array;
  readonly #dv: DataView;
  readonly #file: string;

  /**
   * Parses the central directory.
   *
   * @param bytes The whole archive.
   * @param file The file name, for error messages.
   * @throws {HrmError} when there is no end-of-central-directory record, or it or an entry
   * points outside the file.
   *
   * @example An empty archive (just the end record)
   * ```ts
   * import { ZipArchive } from "./zip.ts";
   * const b = new Uint8Array(22);
   * new DataView(b.buffer).setUint32(0, 0x06054b50, true);
   * if (new ZipArchive(b, "e.zip").entries.size !== 0) throw new Error();
   * ```
   */
  constructor(bytes: Uint8Array, file: string) {
    this.#bytes = bytes;
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#file = file;
    this.entries = new Map();
    const dv = this.#dv;
    let end = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
      if (dv.getUint32(i, true) === EOCD) {
        end = i;
        break;
      }
    }
    if (end < 0) this.#fail("not a complete zip archive (no end-of-central-directory record)");
    let count = dv.getUint16(end + 10, true);
    let cdOffset = dv.getUint32(end + 16, true);
    if (count === 0xffff || cdOffset === MAX32) {
      const loc = end - 20;
      if (loc < 0 || dv.getUint32(loc, true) !== LOCATOR64) this.#fail("zip64 locator missing");
      const at = this.#u64(loc + 8);
      if (at + 56 > bytes.length || dv.getUint32(at, true) !== EOCD64) {
        this.#fail("zip64 end-of-central-directory record missing");
      }
      count = this.#u64(at + 32);
      cdOffset = this.#u64(at + 48);
    }
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > bytes.length || dv.getUint32(p, true) !== CENTRAL) {
        this.#fail(`central directory entry ${i} is corrupt`);
      }
      const nameLen = dv.getUint16(p + 28, true), extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      if (p + 46 + nameLen + extraLen > bytes.length) this.#fail(`entry ${i} runs past the end`);
      const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
      let size = dv.getUint32(p + 24, true), compressedSize = dv.getUint32(p + 20, true);
      let localOffset = dv.getUint32(p + 42, true);
      // zip64 extended information: the 64-bit values of the fields saturated above, in order
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
        const id = dv.getUint16(e, true), len = dv.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          const next = () => this.#u64((q += 8) - 8);
          if (size === MAX32) size = next();
          if (compressedSize === MAX32) compressedSize = next();
          if (localOffset === MAX32) localOffset = next();
        }
        e += 4 + len;
      }
      this.entries.set(name, {
        name,
        method: dv.getUint16(p + 10, true),
        crc32: dv.getUint32(p + 16, true),
        compressedSize,
        size,
        localOffset,
      });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /**
   * An entry's bytes: a view for stored entries, inflated for deflated ones.
   *
   * @param name Path inside the archive.
   * @returns The contents.
   * @throws {HrmError} when the entry is missing, truncated, uses another compression method or
   * inflates to another size.
   */
  async read(name: string): Promise<Uint8Array> {
    const e = this.entries.get(name);
    if (!e) this.#fail(`archive has no entry ${name}`);
    const dv = this.#dv, at = e!.localOffset;
    if (at + 30 > this.#bytes.length || dv.getUint32(at, true) !== LOCAL) {
      this.#fail(`entry ${name}: local header is corrupt`);
    }
    const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
    if (start + e!.compressedSize > this.#bytes.length) {
      this.#fail(`entry ${name} is truncated (the file ends inside it)`);
    }
    const raw = this.#bytes.subarray(start, start + e!.compressedSize);
    let out = raw;
    if (e!.method === 8) {
      try {
        const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream()
          .pipeThrough(new DecompressionStream("deflate-raw"));
        out = new Uint8Array(await new Response(stream).arrayBuffer());
      } catch (err) {
        this.#fail(`entry ${name}: corrupt deflate data (${(err as Error).message})`);
      }
    } else if (e!.method !== 0) {
      this.#fail(`entry ${name}: compression method ${e!.method} unsupported`);
    }
    if (out.length !== e!.size) this.#fail(`entry ${name}: holds the wrong number of bytes`);
    if (crc32(out) !== e!.crc32) this.#fail(`entry ${name}: CRC-32 mismatch (corrupt file)`);
    return out;
  }

  #u64(at: number): number {
    if (at + 8 > this.#bytes.length) this.#fail("zip64 field past the end of the file");
    const v = this.#dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.#fail("zip64 field out of range");
    return Number(v);
  }

  #fail(problem: string): never {
    throw new HrmError(this.#file, problem);
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 (IEEE 802.3, as zip uses).
 *
 * @param bytes The data.
 * @returns The checksum as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * import { crc32 } from "./zip.ts";
 * if (crc32(new TextEncoder().encode("123456789")) !== 0xcbf43926) throw new Error();
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
