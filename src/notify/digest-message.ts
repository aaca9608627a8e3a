import type { AlertRecord } from "../alerts/types.js";
import { ellipsize, oneLine } from "../codec/text.js";
import { renderAlertHtml } from "./message-html.js";
import { alertName, type NotificationMessage } from "./message.js";

/** Options for {@link buildDigest}. */
export interface DigestOptions {
  /** How many alerts to list by name; the rest are counted. */
  readonly show?: number;
  /** Why a digest rather than single notices ("12 alerts in 2 minutes"). */
  readonly reason?: string;
}

const MAX_SUMMARY = 120;

/**
 * One message standing for many alerts during a storm: the count, the most important few
 * (raised first, then by importance, then oldest id), and how to see the rest. Nothing is left uncounted.
 */
export function buildDigest(alerts: readonly AlertRecord[], options: DigestOptions = {}): NotificationMessage {
  const show = Math.max(1, options.show ?? 5);
  const raised = alerts.filter((a) => a.status === "raised").length;
  const ranked = [...alerts].sort(byUrgency);
  const listed = ranked.slice(0, show).map((a) => {
    const summary = a.summary ? `: ${ellipsize(oneLine(a.summary), MAX_SUMMARY)}` : "";
    return `#${a.shortId} ${a.status === "raised" ? "" : "(cleared) "}${alertName(a)}${summary}`;
  });
  const rest = ranked.length - listed.length;
  const count = `${alerts.length} alert${alerts.length === 1 ? "" : "s"}`;
  const subject = `DIGEST ${count}, ${raised} raised`;
  const lines = [subject];
  if (options.reason) lines.push(oneLine(options.reason));
  lines.push(...listed.map((l) => `- ${l}`));
  if (rest > 0) lines.push(`…and ${rest} more.`);
  lines.push(`Say "show" in chat to see them all, "ack <id>" to acknowledge one.`);
  return { kind: "digest", subject, text: lines.join("\n"), html: renderAlertHtml({ lines, detailHtml: "", facts: [] }), alerts: ranked };
}

function byUrgency(a: AlertRecord, b: AlertRecord): number {
  const cleared = Number(a.status === "cleared") - Number(b.status === "cleared");
  return cleared || b.importance - a.importance || a.shortId - b.shortId;
}
