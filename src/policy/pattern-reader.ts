// A pattern in a config file (rules, silences, HTTP token sources, what an SMS gateway's answer
// says): a glob or a /regex/, read as text and checked at once with the engine that will run it.
import type { Reader } from "../schema/reader.js";
import { expected, INVALID } from "../schema/reader.js";
import { compilePattern } from "./matcher.js";

/** Reads a pattern (see compilePattern); `what` is shown for a value that is not text at all. */
export function patternReader(what: string): Reader<string> {
  return (value, path, ctx) => {
    if (typeof value !== "string" || value === "") return expected(what, value, path, ctx);
    const compiled = compilePattern(value);
    if (compiled.ok) return value;
    ctx.report(path, compiled.reason);
    return INVALID;
  };
}
