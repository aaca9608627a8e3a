/** Where readers report problems and reach the outside world (environment, secret files). */
export interface ReadContext {
  /** The config file's name as shown in messages. */
  readonly file: string;
  /** Relative paths in the config resolve against this directory (the config file's own). */
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
  /** Records one problem at a key path such as `people[1].jid`; reading carries on to find the rest. */
  report(path: string, problem: string): void;
}

/** The marker a reader returns after reporting a problem, so callers can keep collecting. */
export const INVALID: unique symbol = Symbol("invalid");

/** The type of {@link INVALID}. */
export type Invalid = typeof INVALID;

/** Reads and validates one raw YAML value at `path`, returning the typed value or INVALID. */
export type Reader<T> = (value: unknown, path: string, ctx: ReadContext) => T | Invalid;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Joins a mapping key onto a key path (`xmpp` + `secret` → `xmpp.secret`), quoting odd keys. */
export function keyPath(parent: string, key: string): string {
  if (key === "") return parent;
  const part = PLAIN_KEY.test(key) ? key : JSON.stringify(key);
  return parent === "" ? part : `${parent}.${part}`;
}

/** Joins a list index onto a key path (`people` + 1 → `people[1]`). */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

const MAX_SHOWN = 40;

/** Describes a raw value for a message: strings quoted and shortened, containers by kind. */
export function describe(value: unknown): string {
  if (value === undefined || value === null) return "nothing";
  if (typeof value === "string") {
    const shown = value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN - 1) + "…" : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

/** Reports "expected <what>, got <value>" at `path` and returns INVALID, the usual way a reader fails. */
export function expected(what: string, value: unknown, path: string, ctx: ReadContext): Invalid {
  ctx.report(path, `expected ${what}, got ${describe(value)}`);
  return INVALID;
}

/** True when a YAML value is absent (`key:` with nothing, `~`, or no key at all). */
export function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/** True for a YAML mapping (as opposed to a list or a scalar). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
