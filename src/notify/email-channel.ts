// The email channel: one mail per recipient over SMTP (nodemailer), threaded per alert, what an
// SMTP failure means, and the `email:` section of the config.
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { randomUUID } from "node:crypto";
import { createTransport } from "nodemailer";
import type { Clock } from "../clock/clock.js";
import { ellipsize, oneLine } from "../codec/text.js";
import {
  delivered,
  failed,
  noAddress,
  type Channel,
  type DeliveryOutcome,
  type DeliveryFailure,
  withDeadline,
} from "./channel.js";
import { check, maybe, object, optional, transform } from "../schema/combinators.js";
import { expected, type Reader } from "../schema/reader.js";
import { duration, int, str } from "../schema/scalars.js";
import { optionalSecret, type Secret } from "../schema/secret.js";
import { type NotificationMessage, htmlDocument } from "./message.js";
import { credentialForms, redactor, type Redactor } from "./redact.js";
import { formatDuration, SECOND_MS, MINUTE_MS } from "../util/duration.js";

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
  readonly timeoutMs: number;
}

/** The `email:` section: SMTP server, sender and subject prefix. */
export interface EmailConfig {
  readonly smtp: SmtpConfig;
  /** `alerts@example.org` or `Mauve <alerts@example.org>`; its domain also names the threading Message-IDs. */
  readonly from: string;
  /** Goes before the alert id in subjects: "[mauve]" gives "[mauve #42] RAISED …". */
  readonly subjectPrefix: string;
}

const host = str({
  pattern: /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$/,
  what: "a host name or IP address like smtp.example.org",
});
const ADDRESS = '[^\\s@<>"]+@[^\\s@<>"]+\\.[^\\s@<>"]+';
const sender = str({
  pattern: new RegExp(`^(?:${ADDRESS}|[^<>\\r\\n@]*<${ADDRESS}>)$`),
  what: "an address like alerts@example.org or Mauve <alerts@example.org>",
  max: 254,
});
const DEFAULT_PORT = { true: 465, starttls: 587, false: 25 } as const;

const secureMode: Reader<boolean | "starttls"> = (value, path, ctx) =>
  value === true || value === false || value === "starttls"
    ? value
    : expected("true, false or starttls", value, path, ctx);

const smtp = check(
  transform(
    object({
      host,
      port: maybe(int(1, 65_535)),
      secure: optional(secureMode, "starttls"),
      user: maybe(str()),
      password: optionalSecret(),
      timeout: optional(duration({ min: SECOND_MS, max: 5 * MINUTE_MS }), "30s"),
    }),
    ({ timeout, ...s }): SmtpConfig => ({ ...s, port: s.port ?? DEFAULT_PORT[`${s.secure}`], timeoutMs: timeout }),
  ),
  (s, problem) => {
    if (s.user !== null && s.password === null)
      problem("password", "expected a password (password, password_env or password_file) since user is set");
    if (s.user === null && s.password !== null) problem("user", "expected a user since a password is set");
  },
);

/** Reads the `email:` section (wrap it in `maybe()` where email is optional). */
export const emailSection: Reader<EmailConfig> = object({
  smtp,
  from: sender,
  subject_prefix: optional(str({ max: 64, pattern: /^[^\r\n]+$/, what: "one line of text" }), "[mauve]"),
});

/** What the email channel needs besides its config. */
export interface EmailChannelDeps {
  readonly clock: Clock;
  /** Makes each mail's unique Message-ID part; tests pin it. */
  readonly uniqueId?: () => string;
}

/** nodemailer's SMTP options for our config: TLS mode, credentials, and every timeout. */
export function smtpTransportOptions(smtp: SmtpConfig): SMTPTransport.Options {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure === true,
    // "starttls" must not fall back to plain text; `false` must not try to upgrade.
    requireTLS: smtp.secure === "starttls",
    ignoreTLS: smtp.secure === false,
    ...(smtp.user !== null && smtp.password !== null
      ? { auth: { user: smtp.user, pass: smtp.password.reveal() } }
      : {}),
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    // Alert text comes from the network: never let it make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
}

/** The email channel: one mail per recipient over SMTP, text and HTML, threaded per alert. */
export function createEmailChannel(config: EmailConfig, deps: EmailChannelDeps): Channel {
  const { smtp } = config;
  const transport = createTransport(smtpTransportOptions(smtp));
  const server = `${smtp.host}:${smtp.port}`;
  const redact: Redactor = redactor(smtp.password ? credentialForms(smtp.user ?? "", smtp.password.reveal()) : []);
  const domain = senderDomain(config.from);
  return {
    name: "email",
    async send(recipient, message): Promise<DeliveryOutcome> {
      if (!recipient.email) return noAddress("email", recipient);
      const thread = threadHeaders(message.threadKey, domain, deps.uniqueId);
      const mail = {
        from: config.from,
        to: { name: oneLine(recipient.name), address: recipient.email },
        subject: mailSubject(config.subjectPrefix, message.shortId, oneLine(message.subject)),
        text: message.text,
        ...(message.html === undefined ? {} : { html: htmlDocument(message.html) }),
        ...thread,
        // The Date header comes from the injected clock like every other time in src/.
        date: new Date(deps.clock.now()),
        headers: mauveHeaders(message),
      };
      const timedOut = (): DeliveryOutcome =>
        failed(true, `timed out after ${formatDuration(smtp.timeoutMs)} sending through ${server}`);
      return withDeadline(deps.clock, smtp.timeoutMs, timedOut, async () => {
        try {
          const info = await transport.sendMail(mail);
          return delivered(ellipsize(oneLine(redact(`${server} accepted ${thread.messageId}: ${info.response}`)), 300));
        } catch (err) {
          return smtpFailure(err, server, redact);
        }
      });
    },
  };
}

// RFC 3834: tells autoresponders not to answer; X-Mauve-Alert lets people filter mail by alert.
function mauveHeaders(message: NotificationMessage): Record<string, string> {
  const headers: Record<string, string> = { "Auto-Submitted": "auto-generated", "X-Mauve-Kind": message.kind };
  if (message.shortId !== undefined) headers["X-Mauve-Alert"] = String(message.shortId);
  return headers;
}

/** The headers that put every mail about one alert into one thread in mail clients (RFC 5322 §3.6.4). */
export interface ThreadHeaders {
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: string;
}

/**
 * Message-ID-style references for a mail. Each mail gets its own Message-ID (clients drop
 * duplicates as the same message); mails with a thread key also point at one root reference per
 * alert. The root is never sent as a Message-ID itself, so a re-raise can't collide with it, and
 * clients thread on the shared reference alone.
 */
export function threadHeaders(
  threadKey: string | undefined,
  domain: string,
  unique: () => string = randomUUID,
): ThreadHeaders {
  const id = unique();
  if (threadKey === undefined) return { messageId: `<${id}@${domain}>` };
  const root = `<${threadKey}@${domain}>`;
  return { messageId: `<${threadKey}.${id}@${domain}>`, inReplyTo: root, references: root };
}

/** The domain of a sender address (`Mauve <alerts@example.org>` → `example.org`), which names our Message-IDs. */
export function senderDomain(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address
    .slice(address.lastIndexOf("@") + 1)
    .trim()
    .toLowerCase();
  return /^[a-z0-9.-]+$/.test(domain) && domain !== "" ? domain : "mauve-xmpp.invalid";
}

/** The mail subject: the alert id goes inside a bracketed prefix (`[mauve #42] RAISED …`), else after it. */
export function mailSubject(prefix: string, shortId: number | undefined, subject: string): string {
  if (shortId === undefined) return `${prefix} ${subject}`;
  const bracketed = /^\[(.*)\]$/.exec(prefix);
  return bracketed ? `[${bracketed[1]} #${shortId}] ${subject}` : `${prefix} #${shortId} ${subject}`;
}

// What nodemailer hangs on its errors (lib/smtp-connection: _formatError).
interface SmtpError {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly command?: string;
  readonly message?: string;
}

// Failures of our own making that no retry will fix: no credentials, a malformed envelope or message.
const PERMANENT_CODES = new Set(["EAUTH", "EENVELOPE", "EMESSAGE"]);
const MAX_ERROR = 300;

/**
 * Maps a nodemailer error to an outcome: an SMTP 4xx reply is recoverable and a 5xx is not
 * (RFC 5321 §4.2.1); without a reply, a connection that failed or timed out is recoverable.
 * The text is scrubbed by `redact`, since a server may echo what it was sent.
 */
export function smtpFailure(err: unknown, server: string, redact: Redactor): DeliveryFailure {
  const e: SmtpError = typeof err === "object" && err !== null ? err : { message: String(err) };
  const command = e.command ? ` (${e.command.split(" ").slice(0, 2).join(" ")})` : "";
  // Scrub first: collapsing whitespace or cutting could split a secret so that it no longer matches.
  const say = (text: string): string => ellipsize(oneLine(redact(text)), MAX_ERROR);
  const code = e.responseCode;
  if (code !== undefined && code >= 400 && code < 600) {
    return failed(code < 500, say(`SMTP ${e.response ?? code} from ${server}${command}`));
  }
  if (e.code === "ETIMEDOUT") return failed(true, say(`timed out talking to ${server}${command}`));
  if (e.code !== undefined && PERMANENT_CODES.has(e.code))
    return failed(false, say(`${e.message ?? e.code}${command}`));
  return failed(true, say(`cannot send through ${server}: ${e.message ?? e.code ?? "unknown error"}`));
}
