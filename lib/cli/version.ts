/**
 * The package version, read from deno.json at build time so that `deno compile` and JSR
 * builds carry it too.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** The `version` field of deno.json, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;
