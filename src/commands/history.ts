import { ellipsize, oneLine } from "../codec/text.js";
import { formatInZone } from "../policy/zoned-time.js";
import { readOneId, refuser } from "./args.js";
import { alertsWith } from "./capability.js";
import { ago, alertName } from "./format.js";
import type { ArgsResult, Command, CommandContext, HistoryLine } from "./types.js";

/** What `history` was asked: one alert. */
export interface HistoryArgs {
  readonly id: number;
}

const USAGE = "history <id>";
/** The newest lines shown; older ones are counted, as `show` does. */
export const HISTORY_MAX_LINES = 20;
const MAX_DETAIL = 200;

function parseHistory(rest: string): ArgsResult<HistoryArgs> {
  const id = readOneId(rest, refuser(USAGE, "history 42"));
  return id.ok ? { ok: true, args: { id: id.args } } : id;
}

// Instants recorded in details ("until 2026-01-05T09:00:00.000Z") are read in the reader's zone too.
const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z\b/g;

function historyLine(h: HistoryLine, now: number, zone: string): string {
  // The head names the zone once; each line shows the wall clock and how long ago.
  const local = (at: number): string => formatInZone(at, zone).slice(0, 16);
  const text = oneLine(h.detail).replace(ISO_INSTANT, (iso) =>
    Number.isFinite(Date.parse(iso)) ? local(Date.parse(iso)) : iso,
  );
  const detail = ellipsize(text, MAX_DETAIL);
  return `${local(h.at)} (${ago(h.at, now)}): ${h.kind} by ${oneLine(h.actor)}${detail === "" ? "" : ` — ${detail}`}`;
}

function handleHistory(args: HistoryArgs, ctx: CommandContext): string {
  const entries = alertsWith(ctx, "history", "show history").history(args.id);
  if (entries === undefined) return `#${args.id}: no such alert`;
  const alert = ctx.alerts.get?.(args.id);
  const name = alert === undefined ? `#${args.id}` : alertName(alert);
  if (entries.length === 0) return `${name} has no history yet.`;
  const shown = entries.slice(-HISTORY_MAX_LINES);
  const older = entries.length - shown.length;
  const zone = ctx.timeZone ?? "UTC";
  const head =
    older > 0
      ? `History of ${name}, times in ${zone} (the last ${shown.length}; ${older} older, ${olderWhere(args.id, ctx)}):`
      : `History of ${name}, times in ${zone}:`;
  return [head, ...shown.map((h) => historyLine(h, ctx.now, zone))].join("\n");
}

// Chat shows the newest lines only; the older ones are kept, and the board's page lists them all.
function olderWhere(id: number, ctx: CommandContext): string {
  return ctx.webSignIn === undefined
    ? "kept: the web board, once an admin turns it on, lists them"
    : `listed on the web board's page for #${id} ("web" in a direct chat gives a link)`;
}

/** `history`: what happened to one alert, oldest first: raises, clears, acks, notes, who was told. */
export const historyCommand: Command<HistoryArgs> = {
  name: "history",
  effects: [],
  aliases: ["hist", "log"],
  usage: USAGE,
  summary: "show what happened to one alert: raises, clears, acks, notes and who was told",
  example: "history 42",
  parse: parseHistory,
  handler: handleHistory,
};
