// The SMS channel: the text of a notification squeezed into one SMS, the HTTP request to the
// admin's gateway (templates with {to}, {text} and {from}), what its answer means, and the `sms:`
// section of the config that describes the gateway.
import type { AlertRecord } from "../alerts/types.js";
import type { Clock } from "../clock/clock.js";
import { oneLine, ellipsize } from "../codec/text.js";
import { gsmSpelling, longestFitting, smsFits, SMS_MAX_CHARS, SMS_SEPTETS } from "../codec/sms-encoding.js";
import { failed, noAddress, type Channel, type DeliveryOutcome, delivered, withDeadline } from "./channel.js";
import { check, maybe, object, optional, transform } from "../schema/combinators.js";
import { expected, INVALID, isMapping, keyPath, type Reader } from "../schema/reader.js";
import { duration, enumOf, int, str } from "../schema/scalars.js";
import { optionalSecret, secret, type Secret } from "../schema/secret.js";
import { wantsAck, type NotificationMessage } from "./message.js";
import { redactor, credentialForms, secretForms, type Redactor } from "./redact.js";
import { formatDuration, SECOND_MS, MINUTE_MS } from "../util/duration.js";
import { compilePattern, type CompiledPattern } from "../policy/matcher.js";
import { patternReader } from "../policy/pattern-reader.js";

/** What the SMS channel needs besides its config. */
export interface SmsChannelDeps {
  readonly clock: Clock;
  /** Node's fetch unless a test swaps it. */
  readonly fetch?: typeof fetch;
}

/** The SMS channel: one HTTP request per message to the configured gateway. */
export function createSmsChannel(config: SmsConfig, deps: SmsChannelDeps): Channel {
  const doFetch = deps.fetch ?? fetch;
  const redact = redactor(smsSecrets(config.auth));
  // Only the host: the path and query may carry the phone number or the account id.
  const gateway = new URL(buildSmsRequest(config, "", "").url).host;
  const success = config.successBody === null ? null : successPattern(config.successBody);
  return {
    name: "sms",
    async send(recipient, message): Promise<DeliveryOutcome> {
      if (!recipient.sms) return noAddress("sms", recipient);
      const request = buildSmsRequest(config, recipient.sms, smsText(message, config.maxChars));
      const timedOut = (): DeliveryOutcome =>
        failed(true, `${gateway} did not answer within ${formatDuration(config.timeoutMs)}`);
      return withDeadline(deps.clock, config.timeoutMs, timedOut, async (signal) => {
        try {
          const init = { method: request.method, headers: request.headers, redirect: "manual", signal } as const;
          const response = await doFetch(
            request.url,
            request.body === undefined ? init : { ...init, body: request.body },
          );
          const body = await response.text();
          return httpOutcome(response.status, body, response.headers.get("retry-after"), gateway, redact, success);
        } catch (err) {
          return networkFailure(err, gateway, redact);
        }
      });
    },
  };
}

/** The default SMS length: one segment, 160 GSM-7 characters (70 UTF-16 units as UCS-2). */
const SMS_DEFAULT_CHARS = SMS_SEPTETS;

// One line, its typographic punctuation spelled in GSM-7 ("…" as "...", ’ as '): any character
// outside GSM-7 makes the whole SMS UCS-2, which holds 70 units where GSM-7 holds 160.
const gsm = (text: string): string => gsmSpelling(oneLine(text));

/**
 * The SMS text of a message: `#42 RAISED web1 disk-full: … Say "ack 42" in chat`, one line, at
 * most `maxChars` GSM-7 characters (extension characters like `[`, `|` and `€` count two) or, if
 * it needs UCS-2, 7/16 as many UTF-16 units, so the default fits one segment either way. The id
 * and the ack hint are never cut; the rest of the headline is shortened, between graphemes, to make
 * room. Nobody can answer an SMS (the gateway only sends), so the hint says where acks are taken.
 * A digest lists its alerts' ids (see {@link digestSms}).
 */
export function smsText(message: NotificationMessage, maxChars: number = SMS_DEFAULT_CHARS): string {
  if (message.kind === "digest" && message.alerts !== undefined && message.alerts.length > 0)
    return digestSms(message.subject, message.alerts, message.alertCount ?? message.alerts.length, maxChars);
  const id = message.shortId;
  const hint = id !== undefined && wantsAck(message.kind) ? ` Say "ack ${id}" in chat` : "";
  return fit(id === undefined ? "" : `#${id} `, gsm(message.subject), hint, maxChars);
}

/**
 * `lead + body + hint`, the body cut and marked "..." when the whole does not fit. The lead and the
 * hint are ASCII and short (an id is a number), so with `maxChars` at least 60 they always fit.
 */
function fit(lead: string, body: string, hint: string, maxChars: number): string {
  const whole = `${lead}${body}${hint}`;
  if (smsFits(whole, maxChars)) return whole;
  const fits = (start: string): boolean => smsFits(`${lead}${start.trimEnd()}...${hint}`, maxChars);
  const start = longestFitting(body, fits).trimEnd();
  return start === "" ? `${lead.trimEnd()}${hint}` : `${lead}${start}...${hint}`;
}

/**
 * A digest by SMS: `DIGEST 4 alerts, 4 raised: #3 web1 raid; #1 web1 disk; #2 #4. Say "ack <id>" in chat`.
 * Ids matter most (they are what people ack), so every id that fits is listed, most urgent first,
 * and the first few keep their names while the length allows; the ids left out are counted
 * (`alerts` are the most urgent of the `count` it stands for).
 */
function digestSms(subject: string, alerts: readonly AlertRecord[], count: number, maxChars: number): string {
  const hint = ` Say "ack <id>" in chat`;
  const head = `${gsm(subject)}:`;
  const named = (a: AlertRecord): string => gsm(`#${a.shortId} ${a.source} ${a.alertId}`);
  const build = (withNames: number, ids: number): string => {
    const listed = alerts.slice(0, ids).map((a, i) => (i < withNames ? `${named(a)};` : `#${a.shortId}`));
    const more = count > ids ? ` +${count - ids} more` : "";
    return `${head} ${listed.join(" ").replace(/;$/, "")}${more}.${hint}`;
  };
  const fits = (text: string): boolean => smsFits(text, maxChars);
  // Grown one at a time, so a digest of thousands costs no more than what one SMS can hold. A name
  // outside GSM-7 (an emoji) makes the whole text UCS-2, so it is measured, not counted.
  let ids = 0;
  while (ids < alerts.length && fits(build(0, ids + 1))) ids++;
  let withNames = 0;
  while (withNames < ids && fits(build(withNames + 1, ids))) withNames++;
  if (ids > 0) return build(withNames, ids);
  return fit("", `${head} +${count} more.`, hint, maxChars);
}

/** One HTTP request to the SMS gateway, ready for fetch. */
export interface SmsRequest {
  readonly url: string;
  readonly method: "POST" | "GET";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

const CONTENT_TYPE: Readonly<Record<SmsConfig["encoding"], string>> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
};

/** Fills the gateway's templates for one SMS; values are escaped for the URL and for the body's encoding. */
export function buildSmsRequest(config: SmsConfig, to: string, text: string): SmsRequest {
  const values = { to, text, from: config.from ?? "" };
  const headers: Record<string, string> = { ...config.headers, ...authHeader(config.auth) };
  const url = renderTemplate(config.url, values, "url");
  if (config.method === "GET" || config.bodyTemplate === null) return { url, method: config.method, headers };
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  if (!hasType) headers["Content-Type"] = CONTENT_TYPE[config.encoding];
  return { url, method: config.method, headers, body: renderTemplate(config.bodyTemplate, values, config.encoding) };
}

function authHeader(auth: SmsAuth | null): Record<string, string> {
  if (auth === null) return {};
  if (auth.kind === "basic") {
    const pair = Buffer.from(`${auth.user}:${auth.password.reveal()}`, "utf8").toString("base64");
    return { Authorization: `Basic ${pair}` };
  }
  if (auth.kind === "bearer") return { Authorization: `Bearer ${auth.token.reveal()}` };
  return { [auth.name]: auth.value.reveal() };
}

/** Every form the gateway's credentials may take in an echoed request or an error, for redaction. */
export function smsSecrets(auth: SmsAuth | null): string[] {
  if (auth === null) return [];
  if (auth.kind === "basic") return credentialForms(auth.user, auth.password.reveal());
  return secretForms(auth.kind === "bearer" ? auth.token.reveal() : auth.value.reveal());
}

// The SMS gateway's request is written by the admin as templates with {to}, {text} and {from}
// placeholders; each value is escaped for where it lands, so a message can't break the request.

/** The placeholders a template may use. */
export type Placeholder = "to" | "text" | "from";

/** How values are escaped: inside a JSON string, a form-encoded body, or a URL. */
export type TemplateEncoding = "json" | "form" | "url";

/** The values a template is filled with. */
export type TemplateValues = Readonly<Record<Placeholder, string>>;

const PLACEHOLDER = /\{(to|text|from)\}/g;
// Anything word-like in braces is meant as a placeholder; JSON's own braces hold quotes or spaces.
const WORD_IN_BRACES = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
// Sample values with every character that needs escaping somewhere.
const SAMPLE: TemplateValues = { to: "+447700900123", text: 'a "b" & c\\d\n= é?#/%+', from: "Mau ve&=" };

/** Fills a template, escaping each value for `encoding`. */
function renderTemplate(template: string, values: TemplateValues, encoding: TemplateEncoding): string {
  return template.replace(PLACEHOLDER, (_m, name: Placeholder) => escapeValue(values[name], encoding));
}

/** The placeholders a template uses. */
function placeholdersIn(template: string): Set<string> {
  return new Set([...template.matchAll(WORD_IN_BRACES)].map((m) => m[1] ?? ""));
}

/**
 * What is wrong with a template, as sentences for a config error: unknown placeholders, ones
 * with no value (`{from}` without a sender), and for JSON a body that would not parse once filled.
 */
function templateProblems(template: string, encoding: TemplateEncoding, available: ReadonlySet<Placeholder>): string[] {
  const problems: string[] = [];
  for (const name of placeholdersIn(template)) {
    if (!["to", "text", "from"].includes(name))
      problems.push(`unknown placeholder {${name}} (expected {to}, {text} or {from})`);
    else if (!available.has(name as Placeholder)) problems.push(`{${name}} is used but no ${name} is configured`);
  }
  if (encoding === "json" && problems.length === 0) {
    try {
      JSON.parse(renderTemplate(template, SAMPLE, "json"));
    } catch {
      problems.push('expected JSON with each placeholder inside a string, like {"to": "{to}", "text": "{text}"}');
    }
  }
  return problems;
}

/** A URL template filled with sample values, for checking that the result is a valid URL. */
function sampleUrl(template: string): string {
  return renderTemplate(template, SAMPLE, "url");
}

function escapeValue(value: string, encoding: TemplateEncoding): string {
  if (encoding === "json") return JSON.stringify(value).slice(1, -1);
  if (encoding === "form") return new URLSearchParams({ v: value }).toString().slice(2);
  return encodeURIComponent(value);
}

const MAX_BODY = 200;
const MAX_ERROR = 300;

/**
 * Maps the gateway's answer to an outcome: 2xx delivered (when `success` is given, only if the body
 * matches it); 5xx, 429 and 408 recoverable (the gateway is busy or down); other 4xx and redirects
 * not, as the request itself is wrong.
 */
export function httpOutcome(
  status: number,
  body: string,
  retryAfter: string | null,
  gateway: string,
  redact: Redactor,
  success: CompiledPattern | null = null,
): DeliveryOutcome {
  // Scrub before cutting: a cut through a secret would leave a prefix that no longer matches it.
  const snippet = body.trim() === "" ? "" : `: ${ellipsize(oneLine(redact(body)), MAX_BODY)}`;
  if (status >= 200 && status < 300) {
    if (success === null || success.test(body)) return delivered(`HTTP ${status} from ${gateway}`);
    // Many gateways answer 200 to a message they will not send (no credit, a bad number) and say
    // so in the body: counted as sent, it failed without anyone knowing, and nothing fell back.
    const refused = `HTTP ${status} from ${gateway}, but the answer does not match sms.success_body${snippet || " (empty)"}`;
    return failed(false, ellipsize(refused, MAX_ERROR));
  }
  const error = ellipsize(`HTTP ${status} from ${gateway}${snippet}`, MAX_ERROR);
  if (status >= 300 && status < 400) return failed(false, `${error} (redirects are not followed: check the url)`);
  const recoverable = status >= 500 || status === 429 || status === 408;
  return failed(recoverable, error, recoverable ? retryAfterMs(retryAfter) : undefined);
}

/** Maps a fetch rejection (no answer at all: refused, reset, DNS) to a recoverable outcome. */
export function networkFailure(err: unknown, gateway: string, redact: Redactor): DeliveryOutcome {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown } | null)?.code;
  const why = typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
  return failed(true, ellipsize(oneLine(redact(`cannot reach ${gateway}: ${why}`)), MAX_ERROR));
}

// Only the delta-seconds form (RFC 9110 §10.2.3): an HTTP date would need the wall clock.
function retryAfterMs(header: string | null): number | undefined {
  return header !== null && /^\d{1,6}$/.test(header.trim()) ? Number(header.trim()) * 1000 : undefined;
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
  readonly timeoutMs: number;
  /**
   * Longest SMS text in GSM-7 characters (extension characters count two); a text that needs UCS-2
   * gets 7/16 as many UTF-16 units. The default, 160, is one segment.
   */
  readonly maxChars: number;
  /** A glob or /regex/ a 2xx answer's body must match to count as sent; null: any 2xx is. */
  readonly successBody: string | null;
}

// Checked when the config is read: here it compiles.
function successPattern(text: string): CompiledPattern {
  const compiled = compilePattern(text);
  if (!compiled.ok) throw new Error(`sms.success_body: ${compiled.reason}`);
  return compiled.regex;
}

const successBody = patternReader('a glob like *queued* or a regex like /"status": *"(queued|sent)"/');

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
  const given = isMapping(value)
    ? ["basic", "bearer", "header"].filter((f) => Object.keys(value).some((k) => k === f || k.startsWith(`${f}_`)))
    : [];
  if (isMapping(value) && given.length !== 1) {
    ctx.report(
      path,
      `expected exactly one of basic, bearer or header, got ${given.length === 0 ? "none" : given.join(" and ")}`,
    );
    return INVALID;
  }
  const a = authForms(value, path, ctx);
  if (a === INVALID) return INVALID;
  if (a.basic) return { kind: "basic", ...a.basic };
  if (a.header) return { kind: "header", ...a.header };
  return a.bearer ? { kind: "bearer", token: a.bearer } : INVALID;
};

const SENDER = /^(?:\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11})$/;
const smsFrom = str({
  pattern: SENDER,
  what: "an E.164 number like +447700900123 or a sender id of up to 11 letters and digits",
});
const timeout = optional(duration({ min: SECOND_MS, max: 2 * MINUTE_MS }), "10s");
const maxChars = optional(int(60, SMS_MAX_CHARS), SMS_DEFAULT_CHARS);

function httpUrl(what: string, basePath: boolean): Reader<string> {
  return (value, path, ctx) => {
    const url = typeof value === "string" && URL.canParse(sampleUrl(value)) ? new URL(sampleUrl(value)) : null;
    if (url === null || !["http:", "https:"].includes(url.protocol)) return expected(what, value, path, ctx);
    if (url.username !== "" || url.password !== "")
      return expected(`${what} without credentials (put them under auth)`, "a URL with credentials", path, ctx);
    if (basePath && (url.pathname !== "/" || url.search !== "")) return expected(what, value, path, ctx);
    return basePath ? (value as string).replace(/\/$/, "") : (value as string);
  };
}

const customSms = check(
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
      success_body: maybe(successBody),
    }),
    ({ timeout, ...s }): SmsConfig => ({ preset: null, ...s, timeoutMs: timeout }),
  ),
  (s, problem) => {
    const available = new Set<Placeholder>(s.from === null ? ["to", "text"] : ["to", "text", "from"]);
    if (s.method === "GET" && s.bodyTemplate !== null)
      return problem("body_template", "a GET request has no body: put the placeholders in the url");
    if (s.method === "POST" && s.bodyTemplate === null)
      return problem("body_template", "expected a body template for a POST request");
    for (const p of templateProblems(s.url, "url", available)) problem("url", p);
    if (s.bodyTemplate !== null)
      for (const p of templateProblems(s.bodyTemplate, s.encoding, available)) problem("body_template", p);
    const used = new Set([...placeholdersIn(s.url), ...placeholdersIn(s.bodyTemplate ?? "")]);
    for (const needed of ["to", "text"])
      if (!used.has(needed))
        problem(s.method === "GET" ? "url" : "body_template", `expected a {${needed}} placeholder`);
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
    timeoutMs: t.timeout,
    maxChars: t.maxChars,
    // Twilio answers a refusal with a 4xx.
    successBody: null,
  }),
);

/** Reads the `sms:` section: a hand-written gateway, or `preset: twilio` expanded into one. */
export const smsSection: Reader<SmsConfig> = (value, path, ctx) =>
  isMapping(value) && value["preset"] !== undefined ? twilioSms(value, path, ctx) : customSms(value, path, ctx);
