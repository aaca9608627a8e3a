import { Secret } from "../schema/secret.js";

/** What stands in for a secret in scrubbed text. */
export const REDACTED = "[redacted]";

/** Scrubs text of secrets before it is logged or stored; made once per channel from its credentials. */
export type Redactor = (text: string) => string;

/**
 * Replaces every occurrence of every secret in `text` with "[redacted]". Longest first, so that a
 * secret containing another is removed whole. Callers pass the forms a secret travels in
 * ({@link secretForms}), since a server echoing an auth header shows it base64- or URL-encoded.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const unique = [...new Set(secrets)].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of unique) out = out.split(secret).join(REDACTED);
  return out;
}

/** A {@link Redactor} bound to a fixed set of secrets. */
export function redactor(secrets: Iterable<string>): Redactor {
  const list = [...secrets];
  return (text) => redact(text, list);
}

/** A secret as it may appear on the wire or be echoed back: raw, base64, URL/form- and JSON-escaped. */
export function secretForms(secret: string): string[] {
  if (secret === "") return [];
  return [
    secret,
    ...base64(secret),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ];
}

/** The forms of user:password credentials: HTTP Basic and SMTP AUTH PLAIN/LOGIN encode them in base64. */
export function credentialForms(user: string, password: string): string[] {
  if (password === "") return [];
  return [
    ...secretForms(password),
    ...base64(`${user}:${password}`),
    ...base64(`\u0000${user}\u0000${password}`),
    ...base64(`${user}\u0000${user}\u0000${password}`),
  ];
}

/**
 * A {@link Redactor} for every {@link Secret} in a loaded configuration, in each form it travels in:
 * what the entry points give their logger, so a secret echoed into an error never reaches a log.
 * Secrets shorter than {@link MIN_LOGGED_SECRET_LENGTH} are left out: hiding every "s" would leave
 * each line unreadable, and a secret that short is not kept by hiding it.
 */
export function configRedactor(config: unknown): Redactor {
  const found: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (value instanceof Secret) {
      const secret = value.reveal();
      if (secret.length >= MIN_LOGGED_SECRET_LENGTH) found.push(...secretForms(secret));
    } else if (typeof value === "object" && value !== null && depth < 32) {
      for (const v of value instanceof Map || value instanceof Set ? value.values() : Object.values(value))
        walk(v, depth + 1);
    }
  };
  walk(config, 0);
  return redactor(found);
}

/** The shortest config secret {@link configRedactor} looks for. */
export const MIN_LOGGED_SECRET_LENGTH = 4;

// Padded and unpadded: servers that echo credentials may drop the "=".
function base64(text: string): string[] {
  const padded = Buffer.from(text, "utf8").toString("base64");
  return [padded, padded.replace(/=+$/, "")];
}
