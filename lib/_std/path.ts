/**
 * Local stand-in for `@std/path` (JSR is unreachable from the build machines). Exports exactly
 * the std names hrm uses, over `node:path` (POSIX) and `node:url`. Switching to JSR is one line
 * in deno.json.
 *
 * @module
 */
import * as posix from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Joins path segments and normalises the result (as `@std/path` `join`). */
export function join(...paths: string[]): string {
  return posix.join(...paths);
}
/** The directory part of a path (as `@std/path` `dirname`). */
export function dirname(path: string): string {
  return posix.dirname(path);
}
/** The last part of a path, without `suffix` if given (as `@std/path` `basename`). */
export function basename(path: string, suffix?: string): string {
  return posix.basename(path, suffix);
}
/** The extension including the dot, or "" (as `@std/path` `extname`). */
export function extname(path: string): string {
  return posix.extname(path);
}
/** Resolves segments to an absolute path (as `@std/path` `resolve`). */
export function resolve(...pathSegments: string[]): string {
  return posix.resolve(...pathSegments);
}
/** The relative path from `from` to `to` (as `@std/path` `relative`). */
export function relative(from: string, to: string): string {
  return posix.relative(from, to);
}
/** Whether a path is absolute (as `@std/path` `isAbsolute`). */
export function isAbsolute(path: string): boolean {
  return posix.isAbsolute(path);
}
/** Converts a `file:` URL to a path (as `@std/path` `fromFileUrl`). */
export function fromFileUrl(url: URL | string): string {
  return fileURLToPath(url);
}
/** Converts a path to a `file:` URL (as `@std/path` `toFileUrl`). */
export function toFileUrl(path: string): URL {
  return pathToFileURL(path);
}
