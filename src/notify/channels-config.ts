import { placeholdersIn, sampleUrl, templateProblems, type Placeholder } from "./sms-template.js";
import { maybe, object, optional, refine, transform, type Field } from "../schema/combinators.js";
import { expected, INVALID, isAbsent, isMapping, keyPath, type Reader } from "../schema/reader.js";
import { duration, enumOf, int, str } from "../schema/scalars.js";
import type { Secret } from "../schema/secret.js";
import { secret } from "../schema/secret-field.js";

/** How the bot reaches its SMTP server. */
export interface SmtpConfig {
  readonly host: string;
  /** Defaults by `secure`: 465 for true, 587 for starttls, 25 for false. */
  readonly port: number;
  /** true: TLS from the first byte; "starttls": plain, then an upgrade that must succeed; false: never encrypted (a loopback relay). */
  readonly secure: boolean | "starttls";
  readonly user: string | null;
  readonly password: Secret | null;
  /** Milliseconds for connecting, the greeting and each command. */
  readonly timeout: number;
}

/** The `email:` section: SMTP server, sender and subject prefix. */
export interface EmailConfig {
  readonly smtp: SmtpConfig;
  /** `alerts@example.org` or `Mauve <alerts@example.org>`; its domain also names the threading Message-IDs. */
  readonly from: string;
  /** Goes before the alert id in subjects: "[mauve]" gives "[mauve #42] RAISED …". */
  readonly subjectPrefix: string;
}

/** Credentials for the SMS gateway. */
export type SmsAuth =
  | { readonly kind: "basic"; readonly user: string; readonly password: Secret }
  | { readonly kind: "bearer"; readonly token: Secret }
  | { readonly kind: "header"; readonly name: string; readonly value: Secret };

/** The `sms:` section, presets already expanded into the general form. */
export interface SmsConfig {
  /** Which preset it came from, for messages; null for a hand-written gateway. */
  readonly preset: "twilio" | null;
  /** May hold {to}, {text} and {from}, filled URL-encoded. */
  readonly url: string;
  readonly method: "POST" | "GET";
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: SmsAuth | null;
  /** The request body with placeholders (POST only). */
  readonly bodyTemplate: string | null;
  readonly encoding: "json" | "form";
  /** Sender: E.164 number or an alphanumeric sender id. */
  readonly from: string | null;
  readonly timeout: number;
  /** Longest SMS text in characters. */
  readonly maxChars: number;
}

const SECOND = 1_000;
const MINUTE = 60_000;

// A secret that may be left out entirely (an SMTP relay without AUTH).
function optionalSecret(): Field<Secret | null> {
  const inner = secret();
  return {
    keys: inner.keys,
    read: (mapping, name, parent, ctx) => (inner.keys(name).every((k) => isAbsent(mapping[k])) ? null : inner.read(mapping, name, parent, ctx)),
  };
}

const host = str({ pattern: /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$/, what: "a host name or IP address like smtp.example.org" });
const ADDRESS = "[^\\s@<>\"]+@[^\\s@<>\"]+\\.[^\\s@<>\"]+";
const sender = str({ pattern: new RegExp(`^(?:${ADDRESS}|[^<>\\r\\n@]*<${ADDRESS}>)$`), what: "an address like alerts@example.org or Mauve <alerts@example.org>", max: 254 });
const DEFAULT_PORT = { true: 465, starttls: 587, false: 25 } as const;

const secureMode: Reader<boolean | "starttls"> = (value, path, ctx) =>
  value === true || value === false || value === "starttls" ? value : expected("true, false or starttls", value, path, ctx);

const smtp = refine(
  transform(
    object({
      host,
      port: maybe(int(1, 65_535)),
      secure: optional(secureMode, "starttls"),
      user: maybe(str()),
      password: optionalSecret(),
      timeout: optional(duration({ min: SECOND, max: 5 * MINUTE }), "30s"),
    }),
    (s): SmtpConfig => ({ ...s, port: s.port ?? DEFAULT_PORT[`${s.secure}`] }),
  ),
  (s, problem) => {
    if (s.user !== null && s.password === null) problem("password", "expected a password (password, password_env or password_file) since user is set");
    if (s.user === null && s.password !== null) problem("user", "expected a user since a password is set");
  },
);

/** Reads the `email:` section (wrap it in `maybe()` where email is optional). */
export const emailSection: Reader<EmailConfig> = object({
  smtp,
  from: sender,
  subject_prefix: optional(str({ max: 64, pattern: /^[^\r\n]+$/, what: "one line of text" }), "[mauve]"),
});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Credentials go in `auth`, where they are Secrets; these are set from the request itself.
const RESERVED_HEADERS = new Set(["authorization", "host", "content-length", "transfer-encoding", "connection"]);

const headers: Reader<Readonly<Record<string, string>>> = (value, path, ctx) => {
  if (!isMapping(value)) return expected("a mapping of header names to values", value, path, ctx);
  const problems = Object.entries(value).map(([name, v]) => {
    const at = keyPath(path, name);
    if (!HEADER_NAME.test(name)) return expected("an HTTP header name", name, at, ctx);
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      ctx.report(at, "set by the bot; put credentials under auth, where they stay secret");
      return INVALID;
    }
    if (typeof v !== "string" || /[\r\n\0]/.test(v)) return expected("a one-line string", v, at, ctx);
    return null;
  });
  return problems.every((p) => p === null) ? (value as Record<string, string>) : INVALID;
};

const authForms = object({
  basic: maybe(object({ user: str(), password: secret() })),
  bearer: optionalSecret(),
  header: maybe(object({ name: str({ pattern: HEADER_NAME, what: "an HTTP header name" }), value: secret() })),
});

// Exactly one form: two would leave it unclear which credentials the gateway gets.
const authSection: Reader<SmsAuth> = (value, path, ctx) => {
  const given = isMapping(value) ? ["basic", "bearer", "header"].filter((f) => Object.keys(value).some((k) => k === f || k.startsWith(`${f}_`))) : [];
  if (isMapping(value) && given.length !== 1) {
    ctx.report(path, `expected exactly one of basic, bearer or header, got ${given.length === 0 ? "none" : given.join(" and ")}`);
    return INVALID;
  }
  const a = authForms(value, path, ctx);
  if (a === INVALID) return INVALID;
  if (a.basic) return { kind: "basic", ...a.basic };
  if (a.header) return { kind: "header", ...a.header };
  return a.bearer ? { kind: "bearer", token: a.bearer } : INVALID;
};

const SENDER = /^(?:\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$/;
const smsFrom = str({ pattern: SENDER, what: "an E.164 number like +447700900123 or a sender id of up to 11 letters and digits" });
const timeout = optional(duration({ min: SECOND, max: 2 * MINUTE }), "10s");
const maxChars = optional(int(60, 1600), 160);

function httpUrl(what: string, basePath: boolean): Reader<string> {
  return (value, path, ctx) => {
    const url = typeof value === "string" && URL.canParse(sampleUrl(value)) ? new URL(sampleUrl(value)) : null;
    if (url === null || !["http:", "https:"].includes(url.protocol)) return expected(what, value, path, ctx);
    if (url.username !== "" || url.password !== "") return expected(`${what} without credentials (put them under auth)`, "a URL with credentials", path, ctx);
    if (basePath && (url.pathname !== "/" || url.search !== "")) return expected(what, value, path, ctx);
    return basePath ? (value as string).replace(/\/$/, "") : (value as string);
  };
}

const customSms = refine(
  transform(
    object({
      url: httpUrl("an http(s) URL like https://sms.example.org/send", false),
      method: optional(enumOf("POST", "GET"), "POST"),
      headers: optional(headers, {}),
      auth: maybe(authSection),
      body_template: maybe(str()),
      encoding: optional(enumOf("json", "form"), "json"),
      from: maybe(smsFrom),
      timeout,
      max_chars: maxChars,
    }),
    (s): SmsConfig => ({ preset: null, ...s }),
  ),
  (s, problem) => {
    const available = new Set<Placeholder>(s.from === null ? ["to", "text"] : ["to", "text", "from"]);
    if (s.method === "GET" && s.bodyTemplate !== null) return problem("body_template", "a GET request has no body: put the placeholders in the url");
    if (s.method === "POST" && s.bodyTemplate === null) return problem("body_template", "expected a body template for a POST request");
    for (const p of templateProblems(s.url, "url", available)) problem("url", p);
    if (s.bodyTemplate !== null) for (const p of templateProblems(s.bodyTemplate, s.encoding, available)) problem("body_template", p);
    const used = new Set([...placeholdersIn(s.url), ...placeholdersIn(s.bodyTemplate ?? "")]);
    for (const needed of ["to", "text"]) if (!used.has(needed)) problem(s.method === "GET" ? "url" : "body_template", `expected a {${needed}} placeholder`);
  },
);

const TWILIO_BODY = "To={to}&From={from}&Body={text}";

// Twilio's Messages API: form-encoded POST, Basic auth with the account SID and auth token.
const twilioSms = transform(
  object({
    preset: enumOf("twilio"),
    account_sid: str({ pattern: /^AC[0-9a-fA-F]{32}$/, what: "a Twilio account SID (AC and 32 hex digits)" }),
    auth_token: secret(),
    from: smsFrom,
    url: optional(httpUrl("a base URL without a path like https://api.twilio.com", true), "https://api.twilio.com"),
    timeout,
    max_chars: maxChars,
  }),
  (t): SmsConfig => ({
    preset: "twilio",
    url: `${t.url}/2010-04-01/Accounts/${t.accountSid}/Messages.json`,
    method: "POST",
    headers: {},
    auth: { kind: "basic", user: t.accountSid, password: t.authToken },
    bodyTemplate: TWILIO_BODY,
    encoding: "form",
    from: t.from,
    timeout: t.timeout,
    maxChars: t.maxChars,
  }),
);

/** Reads the `sms:` section: a hand-written gateway, or `preset: twilio` expanded into one. */
export const smsSection: Reader<SmsConfig> = (value, path, ctx) =>
  isMapping(value) && value["preset"] !== undefined ? twilioSms(value, path, ctx) : customSms(value, path, ctx);
