import type { AlertRecord } from "../alerts/types.js";
import { formatDuration } from "../config/duration.js";

/**
 * Importance bands shown in `show`, highest first. Mauve's default importance is 50, so an
 * alert nobody graded reads "normal"; senders go above 80 for what should wake someone.
 */
export const IMPORTANCE_BANDS: ReadonlyArray<{ readonly min: number; readonly label: string }> = [
  { min: 80, label: "urgent" },
  { min: 60, label: "high" },
  { min: 40, label: "normal" },
  { min: 0, label: "low" },
];

/** The band label for an importance, e.g. 90 → "urgent". */
export function importanceLabel(importance: number): string {
  return IMPORTANCE_BANDS.find((b) => importance >= b.min)?.label ?? "low";
}

/** How people name an alert in replies: `#42 web1 disk-full`. */
export function alertName(alert: AlertRecord): string {
  return `#${alert.shortId} ${alert.source} ${alert.alertId}`;
}

/** "12m ago", or "just now" under a second. */
export function ago(then: number, now: number): string {
  return now - then < 1_000 ? "just now" : `${formatDuration(now - then)} ago`;
}

const MAX_SUMMARY = 120;

/** One compact line for `show`: `#42 [urgent] web1: Disk / is 97% full (raised 12m ago)`. */
export function alertLine(alert: AlertRecord, now: number): string {
  const text = alert.summary.trim() || alert.alertId;
  const summary = text.length > MAX_SUMMARY ? text.slice(0, MAX_SUMMARY - 1) + "…" : text;
  const subject = alert.subject || alert.source;
  return `#${alert.shortId} [${importanceLabel(alert.importance)}] ${subject}: ${summary} (${state(alert, now)})`;
}

function state(alert: AlertRecord, now: number): string {
  if (alert.status === "cleared") return alert.clearedAt === null ? "cleared" : `cleared ${ago(alert.clearedAt, now)}`;
  const raised = alert.raisedAt === null ? "raised" : `raised ${ago(alert.raisedAt, now)}`;
  // An ack past its end is about to be expired by the due timer: don't claim it still holds.
  if (alert.ack === null || alert.ack.until <= now) return raised;
  return `${raised}, acked by ${alert.ack.by} for ${formatDuration(alert.ack.until - now)} more`;
}
