import type { AlertRecord } from "../alerts/types.js";
import { alertLine } from "./format.js";
import type { AlertFilter, ArgsResult, Command, CommandContext } from "./types.js";

/** What `show` was asked to list. */
export interface ShowArgs {
  readonly filter: AlertFilter;
}

const USAGE = "show [raised|acked|all]";
const WORDS: Readonly<Record<string, AlertFilter>> = {
  "": "raised",
  raised: "raised",
  acked: "acked",
  acknowledged: "acked",
  all: "all",
};
const EMPTY: Readonly<Record<AlertFilter, string>> = {
  raised: "No raised alerts.",
  acked: "No acknowledged alerts.",
  all: "No alerts.",
};

/** A chat message longer than this scrolls off a phone screen; the rest is summarised as a count. */
export const SHOW_MAX_LINES = 30;

function parseShow(rest: string): ArgsResult<ShowArgs> {
  const filter = WORDS[rest.trim().toLowerCase()];
  if (filter !== undefined) return { ok: true, args: { filter } };
  return { ok: false, humanMessage: `I can show raised, acked or all alerts, not "${rest.trim()}". Usage: ${USAGE}` };
}

// Raised before cleared, then most important first; among equals, the longest-standing first, then by number.
function byUrgency(a: AlertRecord, b: AlertRecord): number {
  const cleared = Number(a.status === "cleared") - Number(b.status === "cleared");
  return cleared || b.importance - a.importance || (a.raisedAt ?? Infinity) - (b.raisedAt ?? Infinity) || a.shortId - b.shortId;
}

function handleShow(args: ShowArgs, ctx: CommandContext): string {
  const alerts = [...ctx.alerts.list(args.filter)].sort(byUrgency);
  if (alerts.length === 0) return EMPTY[args.filter];
  const lines = alerts.slice(0, SHOW_MAX_LINES).map((a) => alertLine(a, ctx.now));
  if (alerts.length > SHOW_MAX_LINES) lines.push(`…and ${alerts.length - SHOW_MAX_LINES} more`);
  return lines.join("\n");
}

/** `show`: lists alerts compactly, one per line, most important first. */
export const showCommand: Command<ShowArgs> = {
  name: "show",
  aliases: ["list", "ls", "status"],
  usage: USAGE,
  summary: "list alerts, most important first (raised ones unless you say acked or all)",
  example: "show all",
  parse: parseShow,
  handler: handleShow,
};
