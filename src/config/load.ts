import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ConfigError } from "../errors.js";
import { INVALID, isAbsent } from "../schema/reader.js";
import type { ReadContext, Reader } from "../schema/reader.js";

/** One problem found in a config file. */
export interface ConfigIssue {
  readonly key: string;
  readonly problem: string;
}

/**
 * Every problem found in one config file, one per line of the message. It is a ConfigError
 * whose `key` and `problem` are the first issue's, so callers that expect one still work.
 */
export class InvalidConfigError extends ConfigError {
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly [ConfigIssue, ...ConfigIssue[]]) {
    super(file, issues[0].key, issues[0].problem);
    this.issues = issues;
    this.message = issues.map((i) => `${file}: ${i.key}: ${i.problem}`).join("\n");
  }
}

/** Where a config's text came from, and what it may consult. */
export interface LoadOptions {
  /** The file name shown in messages; relative paths inside the config resolve against its directory. */
  readonly file: string;
  /** Environment for `*_env` secrets (pass `process.env` at the entry point). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads `*_file` secrets; defaults to the filesystem. */
  readonly readFile?: (path: string) => string;
}

/** The key shown for problems with the document as a whole. */
const TOP_LEVEL = "(top level)";

/** Parses YAML text and reads it with `schema`; throws one InvalidConfigError listing every problem, or returns a deep-frozen value. */
export function loadYaml<T>(text: string, schema: Reader<T>, options: LoadOptions): T {
  const issues: ConfigIssue[] = [];
  const raw = parseYaml(text, issues);
  if (issues.length === 0 && isAbsent(raw))
    issues.push({ key: TOP_LEVEL, problem: "expected a mapping of settings, got an empty document" });
  let value: T | typeof INVALID = INVALID;
  if (issues.length === 0) {
    const ctx: ReadContext = {
      file: options.file,
      baseDir: dirname(resolve(options.file)),
      env: options.env ?? {},
      readFile: options.readFile ?? ((path) => readFileSync(path, "utf8")),
      report: (key, problem) => issues.push({ key: key === "" ? TOP_LEVEL : key, problem }),
    };
    value = schema(raw, "", ctx);
  }
  const [first, ...rest] = issues;
  if (first !== undefined) throw new InvalidConfigError(options.file, [first, ...rest]);
  if (value === INVALID) throw new Error("config schema failed without reporting a problem");
  return deepFreeze(value);
}

/** Reads a config file from disk and loads it; an unreadable file is a ConfigError too. */
export function loadYamlFile<T>(path: string, schema: Reader<T>, env: Readonly<Record<string, string | undefined>>): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
    throw new InvalidConfigError(path, [{ key: TOP_LEVEL, problem: `cannot read the file (${code})` }]);
  }
  return loadYaml(text, schema, { file: path, env });
}

// YAML 1.2 core schema: `yes`/`on` stay strings, duplicate keys and unknown tags are errors.
function parseYaml(text: string, issues: ConfigIssue[]): unknown {
  const doc = parseDocument(text, { prettyErrors: true, strict: true, uniqueKeys: true });
  // Only the first: after a syntax error the parser's later complaints are mostly echoes of it.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const at = problem.linePos?.[0];
    const key = at === undefined ? TOP_LEVEL : `line ${at.line}, column ${at.col}`;
    const short = problem.message.split(/ at line \d+, column \d+/)[0] ?? problem.message;
    issues.push({ key, problem: `YAML syntax error: ${short}` });
    return undefined;
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Unresolved or runaway aliases surface only when the document is converted.
    issues.push({ key: TOP_LEVEL, problem: `YAML error: ${(err as Error).message}` });
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
