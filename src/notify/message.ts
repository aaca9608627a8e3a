import { createHash } from "node:crypto";
import { describedLabel, quotedSubject, type AlertRecord } from "../alerts/types.js";
import { digestOrder } from "../alerts/urgency.js";
import { toPlainText, escapeHtml, sanitiseHtml } from "../codec/html.js";
import { SMS_MAX_CHARS } from "../codec/sms-encoding.js";
import { ellipsize, oneLine, quoteLines } from "../codec/text.js";
import { formatInZone } from "../policy/zoned-time.js";

/** Why a notification goes out. */
export type NotificationKind =
  "raised" | "cleared" | "reminder" | "escalated" | "acked" | "ack-expired" | "noted" | "digest";

/**
 * A notification before any channel has shaped it: email sends `subject`, `text` and `html`,
 * chat sends `text`, SMS squeezes `subject` and the ack hint into one short message.
 */
export interface NotificationMessage {
  readonly kind: NotificationKind;
  /** The alert's short id (`ack 42`); absent for a digest. */
  readonly shortId?: number;
  /** One line without the id: `RAISED web1 disk-full: /var is 98% full`. */
  readonly subject: string;
  /** The full plain text, id and ack hint included. */
  readonly text: string;
  /** The same as a safe HTML fragment: our text escaped, the detail re-sanitised. */
  readonly html?: string;
  readonly alert?: AlertRecord;
  /** A digest's alerts, most urgent first (SMS lists their ids): the first {@link DIGEST_RANKED} of them. */
  readonly alerts?: readonly AlertRecord[];
  /** How many alerts a digest stands for (more than `alerts` holds in a big storm). */
  readonly alertCount?: number;
  /** Groups every message about one alert (email threads them); absent for a digest. */
  readonly threadKey?: string;
}

/** What the policy knows about this notice beyond the alert itself. */
export interface MessageContext {
  /** Why it goes out now, in the policy's words ("nobody acknowledged it within 15m"). */
  readonly reason?: string;
  /** IANA zone the reader reads times in (default UTC); times are shown with it named. */
  readonly timeZone?: string | undefined;
}

/** The headline word of each kind. */
export const KIND_WORD: Readonly<Record<NotificationKind, string>> = {
  raised: "RAISED",
  cleared: "CLEARED",
  reminder: "REMINDER",
  escalated: "ESCALATED",
  acked: "ACKED",
  "ack-expired": "ACK EXPIRED",
  noted: "NOTE",
  digest: "DIGEST",
};

/**
 * How to acknowledge, worded for every channel: acks are chat commands, and neither an email nor
 * an SMS reply reaches AlertBot, so "reply" would mislead the reader of those.
 */
function ackHint(shortId: number): string {
  return `Say "ack ${shortId}" in chat to acknowledge.`;
}

/** Kinds that ask the reader to do something, so they carry the "ack 42" hint. */
export function wantsAck(kind: NotificationKind): boolean {
  return kind === "raised" || kind === "reminder" || kind === "escalated" || kind === "ack-expired";
}

const MAX_SUBJECT = 200;
const MAX_SUMMARY = 300;
const MAX_DETAIL_TEXT = 4000;

/** Builds the channel-neutral message for one alert and kind (use {@link buildDigest} for digests). */
export function buildMessage(
  alert: AlertRecord,
  kind: Exclude<NotificationKind, "digest">,
  context: MessageContext = {},
): NotificationMessage {
  const label = describedLabel(alert);
  const summary = alert.summary ? `: ${ellipsize(oneLine(alert.summary), MAX_SUMMARY)}` : "";
  const by = kind === "acked" && alert.ack ? ` by ${oneLine(alert.ack.by)}` : "";
  const subject = ellipsize(`${KIND_WORD[kind]} ${label}${by}${summary}`, MAX_SUBJECT);
  const lines = [`${KIND_WORD[kind]} #${alert.shortId} ${label}${summary}`];
  if (wantsAck(kind)) lines.push(ackHint(alert.shortId));
  const zone = context.timeZone ?? "UTC";
  if (alert.ack && (kind === "acked" || kind === "reminder")) lines.push(ackLine(alert.ack, zone));
  if (context.reason) lines.push(oneLine(context.reason));
  const detail = alert.detail ? quoteLines(ellipsize(toPlainText(alert.detail), MAX_DETAIL_TEXT)) : "";
  const facts = alertFacts(alert, zone);
  const text = [lines.join("\n"), detail, facts.map(([k, v]) => `${k}: ${v}`).join("\n")]
    .filter((p) => p !== "")
    .join("\n\n");
  const html = renderAlertHtml({ lines, detailHtml: alert.detail, facts });
  return { kind, shortId: alert.shortId, subject, text, html, alert, threadKey: threadKeyFor(alert) };
}

/**
 * A stable key for every message about one alert. The short id alone could be reused after the
 * store is wiped, so a hash of (source, alert id) keeps another alert's mail out of the thread.
 */
export function threadKeyFor(alert: Pick<AlertRecord, "shortId" | "source" | "alertId">): string {
  const hash = createHash("sha256").update(`${alert.source}\u0000${alert.alertId}`).digest("hex").slice(0, 10);
  return `alert-${alert.shortId}-${hash}`;
}

/** Times in messages: the reader's zone (UTC by default), to the minute, the zone named. */
function formatTime(ms: number, zone = "UTC"): string {
  return formatInZone(ms, zone);
}

function ackLine(ack: NonNullable<AlertRecord["ack"]>, zone: string): string {
  const note = ack.note ? `: ${oneLine(ack.note)}` : "";
  return `Acknowledged by ${oneLine(ack.by)} until ${formatTime(ack.until, zone)}${note}`;
}

function alertFacts(alert: AlertRecord, zone: string): Array<[string, string]> {
  const facts: Array<[string, string]> = [
    ["Source", oneLine(alert.source)],
    ["Alert", oneLine(alert.alertId)],
  ];
  // Whole here (the headline cuts it), and labelled as the sender's words like everywhere else.
  const subject = quotedSubject(alert, Number.POSITIVE_INFINITY);
  if (subject !== null) facts.push(["Subject, as its sender wrote it", subject]);
  if (alert.importance !== 0) facts.push(["Importance", String(alert.importance)]);
  if (alert.raisedAt !== null) facts.push(["Raised", formatTime(alert.raisedAt, zone)]);
  if (alert.clearedAt !== null && alert.status === "cleared")
    facts.push(["Cleared", formatTime(alert.clearedAt, zone)]);
  return facts;
}

/** The pieces of an alert message, already plain text except `detailHtml`. */
export interface HtmlParts {
  readonly lines: readonly string[];
  /** The alert's detail: sanitised when stored, and sanitised again here before it reaches a mail client. */
  readonly detailHtml: string;
  readonly facts: ReadonlyArray<readonly [string, string]>;
}

/** Renders an alert message as an HTML fragment; every piece of our own text is escaped. */
function renderAlertHtml(parts: HtmlParts): string {
  const out = parts.lines.map((line, i) =>
    i === 0 ? `<p><strong>${escapeHtml(line)}</strong></p>` : `<p>${escapeHtml(line)}</p>`,
  );
  const detail = parts.detailHtml ? sanitiseHtml(parts.detailHtml) : "";
  if (detail !== "") out.push(`<div>${detail}</div>`);
  if (parts.facts.length > 0) {
    const rows = parts.facts.map(
      ([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`,
    );
    out.push(`<table>${rows.join("")}</table>`);
  }
  return out.join("\n");
}

/** Wraps a fragment in a minimal document, the shape mail clients render most predictably. */
export function htmlDocument(fragment: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n${fragment}\n</body></html>\n`;
}

/** Options for {@link buildDigest}. */
export interface DigestOptions {
  /** How many alerts to list by name; the rest are counted. */
  readonly show?: number;
  /** Why a digest rather than single notices ("12 alerts in 2 minutes"). */
  readonly reason?: string;
  /** How many alerts it stands for, and how many of them raised, when `alerts` are only the most urgent. */
  readonly counts?: { readonly alerts: number; readonly raised: number };
}

/**
 * How many of a digest's alerts it carries, most urgent first: more than it lists by name
 * (digest_top is at most 50) or the longest SMS holds by id (each takes at least 3 characters, "#1 ").
 * A storm's digest read all its alerts, 100,000 in the bot's one turn, to list a few.
 */
export const DIGEST_RANKED = Math.ceil(SMS_MAX_CHARS / 3);

const MAX_DIGEST_SUMMARY = 120;

/**
 * One message standing for many alerts during a storm: the count, the most important few
 * (raised first, then by importance, then oldest id), and how to see the rest. Nothing is left uncounted.
 */
export function buildDigest(alerts: readonly AlertRecord[], options: DigestOptions = {}): NotificationMessage {
  const show = Math.max(1, options.show ?? 5);
  const total = options.counts?.alerts ?? alerts.length;
  const raised = options.counts?.raised ?? alerts.filter((a) => a.status === "raised").length;
  const ranked = [...alerts].sort(digestOrder).slice(0, DIGEST_RANKED);
  const listed = ranked.slice(0, show).map((a) => {
    const summary = a.summary ? `: ${ellipsize(oneLine(a.summary), MAX_DIGEST_SUMMARY)}` : "";
    return `#${a.shortId} ${a.status === "raised" ? "" : "(cleared) "}${describedLabel(a)}${summary}`;
  });
  const rest = total - listed.length;
  const count = `${total} alert${total === 1 ? "" : "s"}`;
  const subject = `DIGEST ${count}, ${raised} raised`;
  const lines = [subject];
  if (options.reason) lines.push(oneLine(options.reason));
  lines.push(...listed.map((l) => `- ${l}`));
  if (rest > 0) lines.push(`…and ${rest} more.`);
  lines.push(`Say "show" in chat to see them all, "ack <id>" to acknowledge one.`);
  return {
    kind: "digest",
    subject,
    text: lines.join("\n"),
    html: renderAlertHtml({ lines, detailHtml: "", facts: [] }),
    alerts: ranked,
    alertCount: total,
  };
}
