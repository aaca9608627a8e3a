import {
  describe,
  expected,
  indexPath,
  INVALID,
  isAbsent,
  isMapping,
  keyPath,
  type Invalid,
  type ReadContext,
  type Reader,
} from "./reader.js";

/**
 * A mapping entry that may span several YAML keys: a secret is given as `password`,
 * `password_env` or `password_file`, and all three belong to the one field.
 */
export interface Field<T> {
  /** The YAML keys this field accepts, given its name in the shape. */
  keys(name: string): readonly string[];
  read(mapping: Readonly<Record<string, unknown>>, name: string, parent: string, ctx: ReadContext): T | Invalid;
}

type Entry = Reader<unknown> | Field<unknown>;
type EntryOutput<E> = E extends Reader<infer T> ? T : E extends Field<infer T> ? T : never;

/** snake_case YAML keys become camelCase properties (`ack_default` → `ackDefault`). */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** The object a shape of readers produces. */
export type ShapeOutput<S> = { readonly [K in keyof S & string as Camel<K>]: EntryOutput<S[K]> };

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function asField(entry: Entry): Field<unknown> {
  if (typeof entry !== "function") return entry;
  return {
    keys: (name) => [name],
    read: (mapping, name, parent, ctx) => entry(mapping[name], keyPath(parent, name), ctx),
  };
}

/**
 * Reads a mapping with exactly the keys of `shape`: unknown keys are errors (a typo must not
 * silently fall back to a default), and every field is read even after a failure, to report all.
 */
export function object<S extends Record<string, Entry>>(shape: S): Reader<ShapeOutput<S>> {
  const fields = Object.entries(shape).map(([name, entry]) => [name, asField(entry)] as const);
  const known = fields.flatMap(([name, field]) => field.keys(name));
  return (value, path, ctx) => {
    if (!isMapping(value)) return expected("a mapping", value, path, ctx);
    let ok = true;
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      ctx.report(keyPath(path, key), `unknown key (expected one of: ${known.join(", ")})`);
      ok = false;
    }
    const out: Record<string, unknown> = {};
    for (const [name, field] of fields) {
      const read = field.read(value, name, path, ctx);
      if (read === INVALID) ok = false;
      else out[camel(name)] = read;
    }
    return ok ? (out as ShapeOutput<S>) : INVALID;
  };
}

/** Reads an absent key as `fallback`, itself written as YAML would be ("1h", {}), so defaults go through the same checks. */
export function optional<T>(reader: Reader<T>, fallback: unknown): Reader<T> {
  return (value, path, ctx) => reader(isAbsent(value) ? fallback : value, path, ctx);
}

/** Reads an absent key as null ("not configured"). */
export function maybe<T>(reader: Reader<T>): Reader<T | null> {
  return (value, path, ctx) => (isAbsent(value) ? null : reader(value, path, ctx));
}

/** Reads `false` as "turned off", anything else with `reader`. */
export function orFalse<T>(reader: Reader<T>): Reader<T | false> {
  return (value, path, ctx) => (value === false ? false : reader(value, path, ctx));
}

/** A uniqueness rule for {@link list}: items must differ in `of(item)`, reported at `[i].key`. */
export interface Unique<T> {
  readonly key: string;
  readonly of: (item: T) => string;
  readonly ignoreCase?: boolean;
}

/** Reads a list of items, at least `min` long, optionally with fields that must be unique. */
export function list<T>(
  item: Reader<T>,
  options: { min?: number; unique?: readonly Unique<T>[] } = {},
): Reader<readonly T[]> {
  const min = options.min ?? 0;
  return (value, path, ctx) => {
    if (!Array.isArray(value)) return expected(min > 0 ? "a list of at least one item" : "a list", value, path, ctx);
    if (value.length < min)
      return expected(`a list of at least ${min} item${min === 1 ? "" : "s"}`, "an empty list", path, ctx);
    const items = value.map((raw, i) => item(raw, indexPath(path, i), ctx));
    let ok = !items.includes(INVALID);
    for (const rule of options.unique ?? []) {
      const seen = new Map<string, number>();
      items.forEach((it, i) => {
        if (it === INVALID) return;
        const shown = rule.of(it);
        const id = rule.ignoreCase === true ? shown.toLowerCase() : shown;
        const first = seen.get(id);
        if (first === undefined) return void seen.set(id, i);
        ctx.report(
          keyPath(indexPath(path, i), rule.key),
          `${describe(shown)} is already used by ${indexPath(path, first)}`,
        );
        ok = false;
      });
    }
    return ok ? (items as T[]) : INVALID;
  };
}

/** Reads one value or a non-empty list of them, as a list (`service: a` or `service: [a, b]`). */
export function oneOrList<T>(item: Reader<T>): Reader<readonly T[]> {
  const many = list(item, { min: 1 });
  return (value, path, ctx) => {
    if (Array.isArray(value)) return many(value, path, ctx);
    const one = item(value, path, ctx);
    return one === INVALID ? INVALID : [one];
  };
}

/** Turns a valid value into another (computed defaults, say); `fn` must not fail. */
export function transform<T, U>(reader: Reader<T>, fn: (value: T) => U): Reader<U> {
  return (value, path, ctx) => {
    const read = reader(value, path, ctx);
    return read === INVALID ? INVALID : fn(read);
  };
}

/** Joins a relative key path ("steps[2].after", "[1]") onto `parent` without quoting its brackets and dots. */
export function joinPath(parent: string, relative: string): string {
  if (relative === "") return parent;
  if (parent === "" || relative.startsWith("[")) return `${parent}${relative}`;
  return `${parent}.${relative}`;
}

/** Reports a problem at a key path relative to the value being checked. */
export type Problem = (relative: string, text: string) => void;

/**
 * A cross-field check on an already valid value: `problem("steps[2].after", …)` reports at
 * `<path>.steps[2].after` (`problem("", …)` at the value itself). Any problem makes it invalid.
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
