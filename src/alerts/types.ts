import { ellipsize, oneLine } from "../codec/text.js";

/** Where an alert stands now. */
export type AlertStatus = "raised" | "cleared";

/**
 * The bot's view of one alert, keyed by (source, alertId), with the short numeric id people type (`ack 42`).
 * Times here are UNIX milliseconds (internal); the wire format uses seconds.
 */
export interface AlertRecord {
  /** Short numeric id for humans; stable for the life of the (source, alertId) pair. */
  shortId: number;
  source: string;
  alertId: string;
  status: AlertStatus;
  subject: string;
  summary: string;
  /** Sanitised HTML. */
  detail: string;
  importance: number;
  /** When the current raise began, or null when cleared. */
  raisedAt: number | null;
  clearedAt: number | null;
  /** A future raise or clear the sender asked for (heartbeats), or null. */
  scheduledRaiseAt: number | null;
  scheduledClearAt: number | null;
  /** Notifications held back until then (the update's suppress_until). */
  suppressUntil: number | null;
  ack: AckInfo | null;
  /**
   * When the policy must next look at this alert: set to the moment of every raise, clear, ack and
   * ack expiry, then to the escalation's next step. Durable, so a crash never loses a notice owed.
   */
  policyDueAt: number | null;
  updatedAt: number;
}

/** An alert before the store has given it a short id. */
export type AlertState = Omit<AlertRecord, "shortId"> & { shortId?: number };

/** Who acknowledged an alert, until when, and why. */
export interface AckInfo {
  by: string;
  at: number;
  until: number;
  note: string;
}

/** The kinds of change recorded in an alert's history. */
export type AlertEventKind =
  | "raised"
  | "cleared"
  | "updated"
  | "acked"
  | "unacked"
  | "ack-expired"
  | "scheduled"
  | "notified"
  | "notify-failed"
  | "noted";

/** One line of an alert's history. */
export interface AlertEvent {
  kind: AlertEventKind;
  at: number;
  /** Who or what caused it: an agent JID, a person, "bot". */
  actor: string;
  detail: string;
}

/**
 * An alert as people name it, without its short id: `web1 disk-full`. Sender text is folded to
 * one line (ingest already does), so a line built on it never starts with the sender's words.
 */
export function alertLabel(alert: Pick<AlertRecord, "source" | "alertId">): string {
  return oneLine(`${alert.source} ${alert.alertId}`);
}

/** The most of a sender's subject a label shows: `detail` and the board's alert page show it whole. */
export const LABEL_SUBJECT_CHARS = 60;

/**
 * The sender's subject in single quotes, a `'` or `\` inside escaped with a backslash (so nothing
 * inside can end it early), cut to `maxChars`; null when there is none, or when it only repeats
 * the source (AlertBot fills an unset subject with the source). Single, not double: a `"` in a
 * mail's Subject has nodemailer encode the whole header (RFC 2047), and the filters people route
 * alert mail by (`^Subject: \[mauve`) no longer match.
 */
export function quotedSubject(
  alert: Pick<AlertRecord, "source" | "subject">,
  maxChars: number = LABEL_SUBJECT_CHARS,
): string | null {
  const subject = oneLine(alert.subject);
  if (subject === "" || subject === oneLine(alert.source)) return null;
  return `'${ellipsize(subject, maxChars).replace(/['\\]/g, (c) => `\\${c}`)}'`;
}

/**
 * An alert as people read it beside others: `web1 disk-full (subject 'Disk full')`. It leads with
 * the source and id, which AlertBot vouches for; the subject is the sender's own words (any sender
 * may write "web1" there), so it follows, marked as such, and only when it says more than the source.
 */
export function describedLabel(alert: Pick<AlertRecord, "source" | "alertId" | "subject">): string {
  const subject = quotedSubject(alert);
  return alertLabel(alert) + (subject === null ? "" : ` (subject ${subject})`);
}
