// The short line stored beside the protobuf in each pubsub item, so that ops browsing a node in
// any XMPP client can read it: `web1: 2 alerts — RAISE disk-full "Disk / is 97% full"; CLEAR load`.
import { charCount, ellipsize, oneLine } from "./text.js";
import type { Alert, AlertUpdate } from "./types.js";

/** The default bound on a summary line, in characters. */
const SUMMARY_MAX_CHARS = 300;

// Times within this many seconds of "now" count as now, as the bot treats them.
const NOW_SLACK_SECONDS = 5;

function duration(seconds: number): string {
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

// What the alert does now, and what it will do later ("CLEAR heartbeat (RAISE in 10m)").
function describeTimes(alert: Alert, now: number): { verb: string; later: string[] } {
  const events = [
    { verb: "RAISE", at: alert.raiseTimeS },
    { verb: "CLEAR", at: alert.clearTimeS },
  ].filter((e) => e.at !== 0);
  // Without a transmission time, take the earliest time given as "now": a heartbeat then still
  // reads as "CLEAR (RAISE in 10m)", which is what senders mean by it.
  const reference = now !== 0 ? now : Math.min(...events.map((e) => e.at));
  const due = events.filter((e) => e.at <= reference + NOW_SLACK_SECONDS).sort((a, b) => a.at - b.at);
  const future = events.filter((e) => !due.includes(e)).sort((a, b) => a.at - b.at);
  const later = future.map((e) => `${e.verb} in ${duration(e.at - reference)}`);
  const current = due.at(-1)?.verb ?? (alert.raiseTimeS === 0 ? "RAISE" : undefined);
  if (current !== undefined) return { verb: current, later };
  return { verb: later[0] ?? "RAISE", later: later.slice(1) };
}

function describeAlert(alert: Alert, now: number): string {
  const { verb, later } = describeTimes(alert, now);
  const summary = oneLine(alert.summary);
  const quoted = summary === "" ? "" : ` "${ellipsize(summary, 80)}"`;
  const pending = later.length === 0 ? "" : ` (${later.join(", ")})`;
  return `${verb} ${ellipsize(oneLine(alert.id), 60)}${quoted}${pending}`;
}

/** A one-line, human-readable account of an update, at most `maxChars` characters. */
export function summariseUpdate(update: AlertUpdate, maxChars = SUMMARY_MAX_CHARS): string {
  const n = update.alerts.length;
  const source = ellipsize(oneLine(update.source), 60);
  if (n === 0)
    return ellipsize(
      update.replace ? `${source}: replace with 0 alerts — clears all` : `${source}: 0 alerts`,
      maxChars,
    );
  const head = `${source}: ${n} alert${n === 1 ? "" : "s"}${update.replace ? " (replace)" : ""} — `;
  let line = head;
  for (const [i, alert] of update.alerts.entries()) {
    const item = (i === 0 ? "" : "; ") + describeAlert(alert, update.transmissionTimeS);
    const after = n - i - 1;
    // Keep room to say how many were left out rather than cutting an item in half.
    const tail = after > 0 ? `; +${after} more`.length : 0;
    if (i > 0 && charCount(line) + charCount(item) + tail > maxChars) {
      line += `; +${n - i} more`;
      break;
    }
    line += item;
  }
  return ellipsize(line, maxChars);
}
