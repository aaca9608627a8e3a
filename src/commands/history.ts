import { ellipsize, oneLine } from "../codec/text.js";
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

function historyLine(h: HistoryLine, now: number): string {
  const detail = ellipsize(oneLine(h.detail), MAX_DETAIL);
  return `${ago(h.at, now)}: ${h.kind} by ${oneLine(h.actor)}${detail === "" ? "" : ` — ${detail}`}`;
}

function handleHistory(args: HistoryArgs, ctx: CommandContext): string {
  const entries = alertsWith(ctx, "history", "show history").history(args.id);
  if (entries === undefined) return `#${args.id}: no such alert`;
  const alert = ctx.alerts.get?.(args.id);
  const name = alert === undefined ? `#${args.id}` : alertName(alert);
  if (entries.length === 0) return `${name} has no history yet.`;
  const shown = entries.slice(-HISTORY_MAX_LINES);
  const older = entries.length - shown.length;
  const head = older > 0 ? `History of ${name} (the last ${shown.length}; ${older} older):` : `History of ${name}:`;
  return [head, ...shown.map((h) => historyLine(h, ctx.now))].join("\n");
}

/** `history`: what happened to one alert, oldest first: raises, clears, acks, notes, who was told. */
export const historyCommand: Command<HistoryArgs> = {
  name: "history",
  aliases: ["hist", "log"],
  usage: USAGE,
  summary: "show what happened to one alert: raises, clears, acks, notes and who was told",
  example: "history 42",
  parse: parseHistory,
  handler: handleHistory,
};
