import type { AlertRecord } from "../alerts/types.js";
import type { Notice } from "../policy/notice.js";

const MAX_SUMMARY = 300;

/** One line naming an alert the way people refer to it: `#42 web1 disk-full`. */
export function alertLabel(alert: AlertRecord): string {
  const subject = alert.subject && alert.subject !== alert.source ? ` (${alert.subject})` : "";
  return `#${alert.shortId} ${alert.source} ${alert.alertId}${subject}`;
}

/** The chat text for a notice, with the reply that acknowledges it. */
export function formatNotice(notice: Notice): string {
  const { alert } = notice;
  const summary = alert.summary ? `: ${truncate(alert.summary, MAX_SUMMARY)}` : "";
  if (notice.kind === "raised") {
    return `RAISED ${alertLabel(alert)}${summary}\nReply "ack ${alert.shortId}" to acknowledge.`;
  }
  return `CLEARED ${alertLabel(alert)}${summary}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}
