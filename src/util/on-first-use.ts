// A package loaded at its first use, not with the module that names it. Code every process
// imports, but only some use (the HTML parsers, the regex engine), then costs nothing where it is
// never called: an idle agent's memory is mostly the code it loaded (docs/performance.md).
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** A function that loads `specifier` (its CommonJS entry) when first called, and returns it then and after. */
export function onFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(specifier) as T);
}
