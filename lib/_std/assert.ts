/**
 * Local stand-in for `@std/assert` over `node:assert/strict`. Exports exactly the std names and
 * signatures hrm uses; switching to JSR is one line in deno.json.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Thrown by every assertion here (as std's `AssertionError`). */
export class AssertionError extends Error {
  /** @param message What failed. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AssertionError";
  }
}

/** Asserts `expr` is truthy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg || "Expected expression to be truthy");
}

/** Asserts deep equality (as std `assertEquals`). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  try {
    nodeAssert.deepStrictEqual(actual, expected);
  } catch (e) {
    throw new AssertionError(msg ? `${msg}: ${(e as Error).message}` : (e as Error).message);
  }
}

/** Asserts deep inequality (as std `assertNotEquals`). */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  try {
    nodeAssert.notDeepStrictEqual(actual, expected);
  } catch (e) {
    throw new AssertionError(msg ? `${msg}: ${(e as Error).message}` : (e as Error).message);
  }
}

/** Asserts `Object.is`-style strict equality (as std `assertStrictEquals`). */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(
      msg ?? `Values are not strictly equal: ${String(actual)} !== ${String(expected)}`,
    );
  }
}

/**
 * Asserts `|actual - expected| <= tolerance` (std default tolerance: 1e-7 relative to expected,
 * i.e. `tolerance = Math.abs(expected) * 1e-7` when omitted).
 */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance?: number,
  msg?: string,
): void {
  if (Object.is(actual, expected)) return;
  const tol = tolerance ?? Math.abs(expected) * 1e-7;
  const delta = Math.abs(expected - actual);
  if (!(delta <= tol)) {
    throw new AssertionError(
      msg ??
        `Expected actual: "${actual}" to be close to "${expected}": delta "${delta}" is greater than "${tol}"`,
    );
  }
}

/** Asserts `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) throw new AssertionError(msg ?? `Expect ${actual} > ${expected}`);
}

/** Asserts `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) throw new AssertionError(msg ?? `Expect ${actual} < ${expected}`);
}

/** Asserts `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to contain: "${expected}"`);
  }
}

/** Asserts `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to match: "${expected}"`);
  }
}

/** Throws, marking code that should not be reached. */
export function fail(msg?: string): never {
  throw new AssertionError(msg ? `Failed assertion: ${msg}` : "Failed assertion");
}

type Ctor<E> = abstract new (...args: never[]) => E;

/** Asserts `fn` throws (optionally an `ErrorClass` whose message includes `msgIncludes`). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: Ctor<E>,
  msgIncludes?: string,
  msg?: string,
): E {
  try {
    fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes, msg);
    return e as E;
  }
  throw new AssertionError(msg ?? "Expected function to throw.");
}

/** Asserts the promise from `fn` rejects (optionally with `ErrorClass` / `msgIncludes`). */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: Ctor<E>,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes, msg);
    return e as E;
  }
  throw new AssertionError(msg ?? "Expected function to reject.");
}

function checkError<E>(e: unknown, C?: Ctor<E>, includes?: string, msg?: string): void {
  if (C && !(e instanceof C)) {
    throw new AssertionError(
      msg ??
        `Expected error to be instance of "${C.name}", but was "${(e as Error)?.name}": ${
          (e as Error)?.message
        }`,
    );
  }
  if (includes !== undefined && !String((e as Error)?.message).includes(includes)) {
    throw new AssertionError(
      msg ?? `Expected error message to include "${includes}", but got "${(e as Error)?.message}"`,
    );
  }
}
