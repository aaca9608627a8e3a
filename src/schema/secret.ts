import { resolve } from "node:path";
import { inspect } from "node:util";
import type { Field } from "./combinators.js";
import { INVALID, isAbsent, keyPath, type Invalid, type ReadContext } from "./reader.js";

const REDACTED = "[redacted]";

/**
 * A password or shared secret from the config. Every way of printing it (String, JSON,
 * util.inspect, template literals) gives "[redacted]", so logging a whole config never leaks it;
 * only `reveal()` hands out the value, which makes each use easy to find in review.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself, for the one call that needs it (an XMPP login, an SMTP AUTH). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A secret given exactly one way: inline (`password: "..."`), from the environment
 * (`password_env: VAR`) or from a file (`password_file: /path`, contents trimmed).
 * Messages never quote the secret itself, only the variable name or the path.
 */
export function secret(): Field<Secret> {
  return {
    keys: (name) => [name, `${name}_env`, `${name}_file`],
    read(mapping, name, parent, ctx) {
      const given = [name, `${name}_env`, `${name}_file`].filter((key) => !isAbsent(mapping[key]));
      const [key, extra] = given;
      if (key === undefined) {
        ctx.report(
          keyPath(parent, name),
          `expected a secret, given as ${name}, ${name}_env or ${name}_file, got nothing`,
        );
        return INVALID;
      }
      if (extra !== undefined) {
        ctx.report(
          keyPath(parent, extra),
          `give only one of ${name}, ${name}_env or ${name}_file, got ${given.join(" and ")}`,
        );
        return INVALID;
      }
      const path = keyPath(parent, key);
      const raw = mapping[key];
      if (typeof raw !== "string" || raw === "")
        return fail(ctx, path, `expected a non-empty string, got ${kind(raw)}`);
      if (key === name) return new Secret(raw);
      return key.endsWith("_env") ? fromEnv(raw, path, ctx) : fromFile(raw, path, ctx);
    },
  };
}

function fromEnv(variable: string, path: string, ctx: ReadContext): Secret | Invalid {
  if (!ENV_NAME.test(variable))
    return fail(ctx, path, `expected an environment variable name like XMPP_PASSWORD, got ${JSON.stringify(variable)}`);
  const value = ctx.env[variable];
  if (value === undefined || value === "") return fail(ctx, path, `environment variable ${variable} is not set`);
  return new Secret(value);
}

function fromFile(file: string, path: string, ctx: ReadContext): Secret | Invalid {
  const absolute = resolve(ctx.baseDir, file);
  let text: string;
  try {
    text = ctx.readFile(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    return fail(ctx, path, `cannot read ${absolute}${code === undefined ? "" : ` (${code})`}`);
  }
  const value = text.trim();
  return value === "" ? fail(ctx, path, `${absolute} is empty`) : new Secret(value);
}

// The raw value may be the secret itself, typed wrongly (`password: 12345`): name its kind only.
function kind(value: unknown): string {
  if (value === "") return "an empty string";
  return Array.isArray(value) ? "a list" : typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

function fail(ctx: ReadContext, path: string, problem: string): Invalid {
  ctx.report(path, problem);
  return INVALID;
}

/** A secret that may be left out entirely (an SMTP relay without AUTH): null when none of its keys is given. */
export function optionalSecret(): Field<Secret | null> {
  const inner = secret();
  return {
    keys: inner.keys,
    read: (mapping, name, parent, ctx) =>
      inner.keys(name).every((k) => isAbsent(mapping[k])) ? null : inner.read(mapping, name, parent, ctx),
  };
}
