import { alertLabel, describedLabel, type AlertRecord } from "../alerts/types.js";
import type { AlertGrade, AlertHold } from "./types.js";
import { ellipsize, oneLine } from "../codec/text.js";
import { formatDuration } from "../util/duration.js";

/**
 * The label people read beside an alert: the level the policy gave it (the one its notices name)
 * and its Mauve importance as a number, e.g. `[normal, importance 90]`. There is one meaning of
 * "urgent": the level.
 */
export function gradeLabel(alert: AlertRecord, grade: AlertGrade | null): string {
  return grade === null ? `[importance ${alert.importance}]` : `[${grade.level}, importance ${alert.importance}]`;
}

/**
 * How people name an alert in replies: `#42 web1 disk-full`. Sender text is folded to one line
 * here too (ingest already does), so that a reply line never starts with the sender's words.
 */
export function alertName(alert: AlertRecord): string {
  return `#${alert.shortId} ${alertLabel(alert)}`;
}

/** "12m ago", or "just now" under a second. */
export function ago(then: number, now: number): string {
  return now - then < 1_000 ? "just now" : `${formatDuration(now - then)} ago`;
}

/** "12m ago" for the past, "in 5m" for the future, "just now" within a second. */
export function relative(at: number, now: number): string {
  return at - now >= 1_000 ? `in ${formatDuration(at - now)}` : ago(at, now);
}

const MAX_SUMMARY = 120;

/**
 * One compact line for `show`: `#42 [normal, importance 90] web1 disk-full: Disk / is 97% full (raised 12m ago)`,
 * named as notices name it (`describedLabel`: the source leads, never the sender's subject);
 * `silencedUntil` (when a live silence mutes it) adds how long it stays silenced.
 */
export function alertLine(
  alert: AlertRecord,
  now: number,
  silencedUntil: number | null = null,
  grade: AlertGrade | null = null,
): string {
  // Without a summary the label (which names the id) says it all.
  const text = oneLine(alert.summary);
  const summary = text === "" ? "" : `: ${ellipsize(text, MAX_SUMMARY)}`;
  const silenced =
    silencedUntil === null || silencedUntil <= now || alert.status !== "raised"
      ? ""
      : `, silenced for ${formatDuration(silencedUntil - now)} more`;
  return `#${alert.shortId} ${gradeLabel(alert, grade)} ${describedLabel(alert)}${summary} (${alertState(alert, now)}${silenced})`;
}

/** Where an alert stands, in a few words: "raised 12m ago, acked by bob for 1h more" or "cleared 5m ago". */
export function alertState(alert: AlertRecord, now: number): string {
  if (alert.status === "cleared") return alert.clearedAt === null ? "cleared" : `cleared ${ago(alert.clearedAt, now)}`;
  const raised = alert.raisedAt === null ? "raised" : `raised ${ago(alert.raisedAt, now)}`;
  // An ack past its end is about to be expired by the due timer: don't claim it still holds.
  if (!hasLiveAck(alert, now) || alert.ack === null) return raised;
  return `${raised}, acked by ${oneLine(alert.ack.by)} for ${formatDuration(alert.ack.until - now)} more`;
}

/** What keeps an alert quiet, after its name: "is silenced (silence 3 by bob: deploy) for 1h more". */
export function holdText(held: AlertHold, now: number): string {
  const more = held.until === null ? "" : ` for ${formatDuration(Math.max(0, held.until - now))} more`;
  if (held.reason === "silenced") return `is silenced (${held.detail})${more}`;
  if (held.reason === "suppressed") return `is held back by its sender (suppress_until)${more}`;
  if (held.reason === "inhibited") return `is held back because ${held.detail}`;
  return `waits for its window (${held.detail})${held.until === null ? "" : `, which opens in ${formatDuration(Math.max(0, held.until - now))}`}`;
}

/** Whether the alert is raised and acknowledged past `now`. */
export function hasLiveAck(alert: Pick<AlertRecord, "status" | "ack">, now: number): boolean {
  return alert.status === "raised" && alert.ack !== null && alert.ack.until > now;
}
