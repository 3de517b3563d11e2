/**
 * A restricted unpickler: a stack machine for Python's pickle opcodes (protocols 0–5, the subset
 * with binary forms plus the text ints, floats and memo ops) that never executes anything. Every
 * global a pickle names (`GLOBAL`/`STACK_GLOBAL`) goes through the caller's `findGlobal`, which
 * returns a JavaScript stand-in or refuses; persistent ids go to `persistentLoad`. Python values
 * become JavaScript ones: None → null, bool, int → number (bigint past 2^53), float, str → string,
 * bytes → Uint8Array, tuple/list/set → array, dict → Map.
 *
 * @module
 */

/** A stand-in for a Python callable a pickle may name. */
export interface PyCallable {
  /** `module.name`, for error messages. */
  readonly qualname: string;
  /** What calling it with `args` (REDUCE, NEWOBJ) gives. */
  call(args: unknown[]): unknown;
}

/** The hooks that give a pickle's globals and persistent ids their meaning. */
export interface UnpickleHooks {
  /** Resolves `module.name`; throws to refuse it (nothing is executed either way). */
  findGlobal(module: string, name: string): PyCallable;
  /** Resolves a persistent id (`BINPERSID`). */
  persistentLoad?(pid: unknown): unknown;
  /** Applies `BUILD` state to an object; the default accepts Maps and ignores their state. */
  build?(obj: unknown, state: unknown): void;
}

/** A malformed pickle or one the hooks refused; `message` says which opcode and where. */
export class PickleError extends Error {
  /** @param message What is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "PickleError";
  }
}

const MARK = Symbol("mark");

/**
 * Runs a pickle and returns the object it builds.
 *
 * @param bytes The pickle.
 * @param hooks Globals and persistent ids.
 * @returns The unpickled value.
 * @throws {PickleError} on a truncated or malformed pickle, an opcode outside the supported set,
 * or a global the hooks refused.
 *
 * @example A dict {"a": (1, True)}, protocol 2
 * ```ts
 * import { unpickle } from "./pickle.ts";
 * const p = new Uint8Array([0x80, 2, 0x7d, 0x8c, 1, 0x61, 0x4b, 1, 0x88, 0x86, 0x73, 0x2e]);
 * const d = unpickle(p, { findGlobal: (m, n) => { throw new Error(`${m}.${n}`); } });
 * if (JSON.stringify((d as Map<string, unknown>).get("a")) !== "[1,true]") throw new Error();
 * ```
 */
export function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): unknown {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let op = 0, opAt = 0;
  const fail = (problem: string): never => {
    throw new PickleError(`opcode 0x${op.toString(16)} at byte ${opAt}: ${problem}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail("truncated pickle");
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), pos += 2, dv.getUint16(pos - 2, true));
  const i32 = () => (need(4), pos += 4, dv.getInt32(pos - 4, true));
  const u32 = () => (need(4), pos += 4, dv.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail("length past the end of the pickle");
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("truncated pickle (no newline)");
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const utf8 = (b: Uint8Array) => {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const pop = () => (stack.length === 0 ? fail("stack underflow") : stack.pop());
  const top = () => (stack.length === 0 ? fail("stack underflow") : stack[stack.length - 1]);
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail("no MARK on the stack");
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const global = (module: string, name: string) => {
    try {
      return hooks.findGlobal(module, name);
    } catch (e) {
      return fail((e as Error).message);
    }
  };
  const call = (f: unknown, args: unknown) => {
    if (!isCallable(f)) fail("calls an object that is not a permitted global");
    if (!Array.isArray(args)) fail("arguments are not a tuple");
    try {
      return (f as PyCallable).call(args as unknown[]);
    } catch (e) {
      if (e instanceof PickleError) throw e;
      return fail(`${(f as PyCallable).qualname}: ${(e as Error).message}`);
    }
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof Map)) fail("SETITEM(S) on something that is not a dict");
    if (kv.length % 2) fail("odd number of items for a dict");
    for (let i = 0; i < kv.length; i += 2) (d as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const appendItems = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) fail("APPEND(S)/ADDITEMS on something that is not a list or set");
    (l as unknown[]).push(...items);
  };
  const memoGet = (i: number) => memo.has(i) ? memo.get(i) : fail(`memo key ${i} is unset`);
  const int = (s: string) => {
    const t = s.endsWith("L") ? s.slice(0, -1) : s;
    if (!/^[-+]?\d+$/.test(t)) fail(`bad integer ${JSON.stringify(s)}`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(b)
      : b;
  };
  const long = (b: Uint8Array) => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return int(v.toString());
  };

  for (;;) {
    opAt = pos;
    op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("pickle protocol above 5");
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return stack[0];
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("non-string global");
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (hooks.build) hooks.build(obj, state);
        else if (!(obj instanceof Map)) fail("BUILD on an object that is not a dict");
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) fail("persistent ids are not allowed here");
        try {
          stack.push(hooks.persistentLoad!(pid));
        } catch (e) {
          fail((e as Error).message);
        }
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail("negative length");
        stack.push(long(take(n)));
        break;
      }
      case 0x49: { // INT (protocol 0; "00"/"01" are False/True)
        const s = line();
        stack.push(s === "00" ? false : s === "01" ? true : int(s));
        break;
      }
      case 0x4c: // LONG (protocol 0)
        stack.push(int(line()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: { // FLOAT (protocol 0)
        const v = Number(line());
        if (Number.isNaN(v)) fail("bad float");
        stack.push(v);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(take(u64())));
        break;
      case 0x54: { // BINSTRING (Python 2 str)
        const n = i32();
        if (n < 0) fail("negative length");
        stack.push(latin1(take(n)));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d: // EMPTY_LIST
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x70: // PUT
        memo.set(Number(int(line())), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(memoGet(Number(int(line()))));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        fail("unsupported opcode (not needed by a state dict)");
    }
  }
}

function isCallable(f: unknown): f is PyCallable {
  return typeof f === "object" && f !== null && typeof (f as PyCallable).call === "function" &&
    typeof (f as PyCallable).qualname === "string";
}

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}
