import { formatDuration, HOUR_MS, parseDuration, SECOND_MS } from "../util/duration.js";
import { MAX_IDS, quoted, readBecause, readCommandDuration, readIds, refuser, tooShort } from "./args.js";
import { refusalFor } from "./capability.js";
import { eachId } from "./each-id.js";
import { alertName } from "./format.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** How long an ack should last: the bot's default, a duration, or a number of working hours. */
export type AckLength =
  | { readonly kind: "default" }
  | { readonly kind: "for"; readonly ms: number }
  | { readonly kind: "working-hours"; readonly hours: number };

/** What `ack` was asked: which alerts, for how long, and why ("" when not said). */
export interface AckArgs {
  readonly ids: readonly number[];
  readonly length: AckLength;
  readonly note: string;
}

const USAGE = "ack <ids> [for <duration> | for <n> working hours] [because <note>]";
const EXAMPLE = "ack 42,43 for 2h because rebooting";
const refuse = refuser(USAGE, EXAMPLE);
const WORKING_HOURS = /^(\d{1,3}(?:\.\d+)?|an?|one)\s+(?:working|work|business|office)\s+hours?$/i;

/** Reads what follows "for": a duration ("2h", "90 minutes") or "<n> working hours". */
export function readAckLength(text: string): { ok: true; length: AckLength } | { ok: false; text: string } {
  const t = text.trim();
  if (t === "") return { ok: false, text: 'For how long? Put a duration after "for".' };
  const wh = WORKING_HOURS.exec(t);
  if (wh !== null) {
    const hours = /^\d/.test(wh[1] ?? "") ? Number(wh[1]) : 1;
    return hours * HOUR_MS >= SECOND_MS ? { ok: true, length: { kind: "working-hours", hours } } : tooShort("An ack");
  }
  const read = readCommandDuration(t, "An ack", '90m, 2h, 1d, "2 hours" or "4 working hours"');
  return read.ok ? { ok: true, length: { kind: "for", ms: read.ms } } : read;
}

/** Reads an ack's ids as typed in chat or in a form field. */
export function readAckIds(text: string): { ok: true; ids: number[] } | { ok: false; text: string } {
  const ids = readIds(text);
  if (!ids.ok && ids.bad === null) return { ok: false, text: "Which alert?" };
  if (!ids.ok) {
    const bad = quoted(ids.bad ?? "");
    const hint = parseDuration(ids.bad ?? "") !== null ? ` To say how long, write "for ${bad}".` : "";
    return { ok: false, text: `"${bad}" is not an alert number.${hint}` };
  }
  if (ids.ids.length > MAX_IDS)
    return { ok: false, text: `That is ${ids.ids.length} alerts; I take at most ${MAX_IDS} at once.` };
  return ids;
}

// "because" ends the structured part: whatever follows is the note, even if it says "for".
function parseAck(rest: string): ArgsResult<AckArgs> {
  const because = readBecause(rest);
  if (!because.ok) return refuse(because.text);
  const { head, note } = because;
  const [idText = "", ...forParts] = head.split(/\bfor\b/i);
  const ids = readAckIds(idText);
  if (!ids.ok) return refuse(ids.text);
  if (forParts.length === 0) return { ok: true, args: { ids: ids.ids, length: { kind: "default" }, note } };
  const length = readAckLength(forParts.join("for"));
  return length.ok ? { ok: true, args: { ids: ids.ids, length: length.length, note } } : refuse(length.text);
}

// The ack's end, before the cap; a string is a refusal for the person. Working hours are those of
// the alert's workgroup, so one ack of several alerts may end at different times.
function askedUntil(length: AckLength, ctx: CommandContext, id: number): number | string {
  if (length.kind === "default") return ctx.now + ctx.ackDefaultMs;
  if (length.kind === "for") return ctx.now + length.ms;
  const instead = `say how long instead, e.g. "for ${length.hours}h"`;
  if (ctx.workingHoursFrom === undefined)
    return `No working hours are configured here, so I can't count "${length.hours} working hours"; ${instead}.`;
  const until = ctx.workingHoursFrom(ctx.now, length.hours, id);
  return (
    until ?? `The working hours configured here have no ${length.hours} hours left in the calendar I know; ${instead}.`
  );
}

function handleAck(args: AckArgs, ctx: CommandContext): string {
  const because = args.note === "" ? "" : ` because ${args.note}`;
  const capped: Array<{ asked: number; ms: number }> = [];
  const lines = eachId(args.ids, ctx, (id) => {
    const refused = refusalFor(ctx, "ack", id);
    if (refused !== null) return refused;
    const asked = askedUntil(args.length, ctx, id);
    if (typeof asked === "string") return args.ids.length === 1 ? asked : `#${id}: ${asked}`;
    const until = Math.min(asked, ctx.now + ctx.ackMaxMs);
    const ms = until - ctx.now;
    if (asked > until) capped.push({ asked, ms });
    const ack = { by: ctx.person.name, at: ctx.now, until, note: args.note };
    const lasting =
      args.length.kind === "working-hours"
        ? `${formatDuration(ms)} (${plural(args.length.hours, "working hour")})`
        : formatDuration(ms);
    const outcome = ctx.alerts.ack(id, ack);
    if (outcome.ok) return `${alertName(outcome.alert)} acknowledged for ${lasting} by ${ack.by}${because}`;
    if (outcome.reason === "not-raised")
      return `${alertName(outcome.alert)} is not raised, so there is nothing to acknowledge`;
    return `#${id}: no such alert`;
  });
  const cap = capped.sort((a, b) => b.asked - a.asked)[0];
  if (cap !== undefined)
    lines.push(
      `(${formatDuration(cap.asked - ctx.now)} is longer than acks may last, so I used the maximum, ${formatDuration(cap.ms)}.)`,
    );
  return lines.join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `ack`: acknowledges alerts for a while, so their notifications stop until then or until they clear. */
export const ackCommand: Command<AckArgs> = {
  name: "ack",
  effects: ["alerts-changed"],
  aliases: ["acknowledge"],
  usage: USAGE,
  summary: "acknowledge alerts, which stops their notifications for a while (default and maximum set by the bot)",
  example: EXAMPLE,
  parse: parseAck,
  handler: handleAck,
};
