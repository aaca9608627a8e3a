import { isAbsolute, resolve } from "node:path";
import { formatDuration, parseDuration } from "../util/duration.js";
import { expected, INVALID, type Reader } from "./reader.js";

/** Options for {@link str}. */
export interface StrOptions {
  /** Longest accepted length in characters (Mauve's field limits, say). */
  readonly max?: number;
  /** A pattern the whole string must match, described by `what` in messages. */
  readonly pattern?: RegExp;
  readonly what?: string;
}

/** Reads a non-empty string, optionally bounded in length and matched against a pattern. */
export function str(options: StrOptions = {}): Reader<string> {
  const what = options.what ?? "a non-empty string";
  return (value, path, ctx) => {
    if (typeof value !== "string" || value.trim() === "") return expected(what, value, path, ctx);
    if (options.pattern !== undefined && !options.pattern.test(value)) return expected(what, value, path, ctx);
    if (options.max !== undefined && value.length > options.max) {
      ctx.report(path, `expected at most ${options.max} characters, got ${value.length}`);
      return INVALID;
    }
    return value;
  };
}

/** Reads a whole number between `min` and `max` inclusive. */
export function int(min: number, max: number): Reader<number> {
  return (value, path, ctx) =>
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
      ? value
      : expected(`a whole number between ${min} and ${max}`, value, path, ctx);
}

/** Reads `true` or `false` (YAML 1.2: "yes" and "on" are strings, and rejected). */
export function bool(): Reader<boolean> {
  return (value, path, ctx) => (typeof value === "boolean" ? value : expected("true or false", value, path, ctx));
}

/** Reads a duration such as "90s", "5m" or "1h30m" into milliseconds, within [min, max]. */
export function duration(bounds: { min: number; max: number }): Reader<number> {
  const range = `between ${formatDuration(bounds.min)} and ${formatDuration(bounds.max)}`;
  return (value, path, ctx) => {
    const ms = typeof value === "string" ? parseDuration(value) : null;
    if (ms === null) return expected(`a duration like "90s", "5m" or "1h30m"`, value, path, ctx);
    if (ms < bounds.min || ms > bounds.max) return expected(`a duration ${range}`, value, path, ctx);
    return ms;
  };
}

/** Reads one of a fixed set of strings. */
export function enumOf<const T extends string>(...values: readonly T[]): Reader<T> {
  return (value, path, ctx) =>
    (values as readonly unknown[]).includes(value)
      ? (value as T)
      : expected(`one of ${values.join(", ")}`, value, path, ctx);
}

// RFC 7622 forbids these in a localpart; domains are DNS-ish labels (IDNs allowed) or IP literals.
const LOCALPART = /^[^\s"&'/:<>@]{1,1023}$/u;
const DOMAIN =
  /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?)*$/u;

function isDomain(text: string): boolean {
  return text.length <= 1023 && DOMAIN.test(text);
}

/** Reads a bare JID (`alice@example.org`), lower-cased so it compares equal to stanza addresses. */
export function bareJid(): Reader<string> {
  return (value, path, ctx) => {
    const [local, domain, extra] = typeof value === "string" ? value.split("@") : [];
    if (
      local === undefined ||
      domain === undefined ||
      extra !== undefined ||
      !LOCALPART.test(local) ||
      !isDomain(domain)
    ) {
      return expected("a bare JID like alice@example.org", value, path, ctx);
    }
    return `${local}@${domain}`.toLowerCase();
  };
}

/** Reads a domain JID such as a component or pubsub service (`pubsub.example.org`), lower-cased. */
export function domainJid(example: string): Reader<string> {
  return (value, path, ctx) =>
    typeof value === "string" && isDomain(value)
      ? value.toLowerCase()
      : expected(`a domain like ${example}`, value, path, ctx);
}

/** Reads an `xmpp://host:port` service URL, the form @xmpp/client and @xmpp/component take. */
export function serviceUrl(example: string): Reader<string> {
  return (value, path, ctx) => {
    const url = typeof value === "string" && URL.canParse(value) ? new URL(value) : null;
    if (
      url === null ||
      !["xmpp:", "xmpps:"].includes(url.protocol) ||
      url.hostname === "" ||
      !["", "/"].includes(url.pathname)
    ) {
      return expected(`a URL like ${example}`, value, path, ctx);
    }
    return value as string;
  };
}

/** Reads an email address (a plain `user@host.tld` check: the mail server has the last word). */
export function email(): Reader<string> {
  return str({ pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, what: "an email address like alice@example.org", max: 254 });
}

/** Reads a phone number in E.164 form (`+447700900123`), the form SMS gateways take. */
export function phone(): Reader<string> {
  return str({ pattern: /^\+[1-9]\d{6,14}$/, what: "a phone number in E.164 form like +447700900123" });
}

/** Reads an IANA time zone name (checked with Intl), returned in its canonical spelling. */
export function timeZone(): Reader<string> {
  return (value, path, ctx) => {
    try {
      if (typeof value === "string" && value !== "") {
        return new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
      }
    } catch {
      // RangeError: not a zone Intl knows; reported below like any other bad value.
    }
    return expected("an IANA time zone like Europe/London", value, path, ctx);
  };
}

/** Reads a filesystem path; relative ones resolve against the config file's directory. `:memory:` passes through. */
export function fsPath(): Reader<string> {
  return (value, path, ctx) => {
    if (typeof value !== "string" || value.trim() === "") return expected("a file path", value, path, ctx);
    if (value === ":memory:" || isAbsolute(value)) return value;
    return resolve(ctx.baseDir, value);
  };
}
