import { ellipsize, oneLine } from "../codec/text.js";
import { failed, type DeliveryFailure } from "./channel.js";
import type { Redactor } from "./redact.js";

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
  const e: SmtpError = typeof err === "object" && err !== null ? (err as SmtpError) : { message: String(err) };
  const command = e.command ? ` (${e.command.split(" ").slice(0, 2).join(" ")})` : "";
  // Scrub first: collapsing whitespace or cutting could split a secret so that it no longer matches.
  const say = (text: string): string => ellipsize(oneLine(redact(text)), MAX_ERROR);
  const code = e.responseCode;
  if (code !== undefined && code >= 400 && code < 600) {
    return failed(code < 500, say(`SMTP ${e.response ?? code} from ${server}${command}`));
  }
  if (e.code === "ETIMEDOUT") return failed(true, say(`timed out talking to ${server}${command}`));
  if (e.code !== undefined && PERMANENT_CODES.has(e.code)) return failed(false, say(`${e.message ?? e.code}${command}`));
  return failed(true, say(`cannot send through ${server}: ${e.message ?? e.code ?? "unknown error"}`));
}
