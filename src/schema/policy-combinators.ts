import { INVALID, describe, expected, isMapping, keyPath } from "./reader.js";
import type { Reader } from "./reader.js";

/** Joins a relative key path ("steps[2].after", "[1]") onto `parent` without quoting its brackets and dots. */
export function joinPath(parent: string, relative: string): string {
  if (relative === "") return parent;
  if (parent === "" || relative.startsWith("[")) return `${parent}${relative}`;
  return `${parent}.${relative}`;
}

/** Reports a problem at a key path relative to the value being checked. */
export type Problem = (relative: string, text: string) => void;

/**
 * Like `refine`, for checks that reach into nested lists: `problem("steps[2].after", …)` reports
 * at `<path>.steps[2].after`. Runs only on an already valid value; any problem makes it invalid.
 */
export function check<T>(reader: Reader<T>, fn: (value: T, problem: Problem) => void): Reader<T> {
  return (value, path, ctx) => {
    const read = reader(value, path, ctx);
    if (read === INVALID) return INVALID;
    let ok = true;
    fn(read, (relative, text) => {
      ctx.report(joinPath(path, relative), text);
      ok = false;
    });
    return ok ? read : INVALID;
  };
}

/** Reads a mapping of names (checked by `key`) to values read by `item`, as a plain record. */
export function mapOf<T>(item: Reader<T>, key: { pattern: RegExp; what: string }): Reader<Readonly<Record<string, T>>> {
  return (value, path, ctx) => {
    if (!isMapping(value)) return expected("a mapping of names to settings", value, path, ctx);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [name, raw] of Object.entries(value)) {
      const at = keyPath(path, name);
      if (!key.pattern.test(name)) {
        ctx.report(at, `expected a short name without spaces like ${key.what}, got ${describe(name)}`);
        ok = false;
        continue;
      }
      const read = item(raw, at, ctx);
      if (read === INVALID) ok = false;
      else out[name] = read;
    }
    return ok ? out : INVALID;
  };
}
