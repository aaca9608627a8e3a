import { formatDuration, parseDuration } from "../config/duration.js";
import { alertName } from "./format.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `ack` was asked: which alerts, for how long (null: the default), and why ("" when not said). */
export interface AckArgs {
  readonly ids: readonly number[];
  readonly durationMs: number | null;
  readonly note: string;
}

const USAGE = "ack <ids> [for <duration>] [because <note>]";
const EXAMPLE = "ack 42,43 for 2h because rebooting";
const MAX_IDS = 50;

function refuse(text: string): ArgsResult<AckArgs> {
  return { ok: false, humanMessage: `${text} Usage: ${USAGE}, e.g. "${EXAMPLE}".` };
}

// "because" ends the structured part: whatever follows is the note, even if it says "for".
function parseAck(rest: string): ArgsResult<AckArgs> {
  const [head = "", ...noteParts] = rest.split(/\bbecause\b/i);
  const note = noteParts.join("because").trim();
  if (noteParts.length > 0 && note === "") return refuse('Say why after "because".');
  const [idText = "", ...forParts] = head.split(/\bfor\b/i);
  const ids: number[] = [];
  for (const token of idText.split(/[\s,]+/).filter((t) => t !== "" && !/^(and|&)$/i.test(t))) {
    const m = /^#?(\d{1,9})[.]?$/.exec(token);
    if (m?.[1] === undefined || Number(m[1]) === 0) {
      const hint = parseDuration(token) !== null ? ` To say how long, write "for ${token}".` : "";
      return refuse(`"${token}" is not an alert number.${hint}`);
    }
    if (!ids.includes(Number(m[1]))) ids.push(Number(m[1]));
  }
  if (ids.length === 0) return refuse("Which alert?");
  if (ids.length > MAX_IDS) return refuse(`That is ${ids.length} alerts; I take at most ${MAX_IDS} at once.`);
  if (forParts.length === 0) return { ok: true, args: { ids, durationMs: null, note } };
  const text = forParts.join("for").trim();
  const durationMs = parseDuration(text);
  if (text === "") return refuse('For how long? Put a duration after "for".');
  if (durationMs === null) return refuse(`I can't read "${text}" as a duration; try 90m, 2h, 1d or "2 hours".`);
  if (durationMs === 0) return refuse("An ack has to last longer than that.");
  return { ok: true, args: { ids, durationMs, note } };
}

function handleAck(args: AckArgs, ctx: CommandContext): string {
  const asked = args.durationMs ?? ctx.ackDefaultMs;
  const ms = Math.min(asked, ctx.ackMaxMs);
  const ack = { by: ctx.person.name, at: ctx.now, until: ctx.now + ms, note: args.note };
  const because = args.note === "" ? "" : ` because ${args.note}`;
  const lines = args.ids.map((id) => {
    const outcome = ctx.alerts.ack(id, ack);
    if (outcome.ok) return `${alertName(outcome.alert)} acknowledged for ${formatDuration(ms)} by ${ack.by}${because}`;
    if (outcome.reason === "not-raised") return `${alertName(outcome.alert)} is not raised, so there is nothing to acknowledge`;
    return `#${id}: no such alert`;
  });
  if (asked > ms) lines.push(`(${formatDuration(asked)} is longer than acks may last, so I used the maximum, ${formatDuration(ms)}.)`);
  return lines.join("\n");
}

/** `ack`: acknowledges alerts for a while, so their notifications stop until then or until they clear. */
export const ackCommand: Command<AckArgs> = {
  name: "ack",
  aliases: ["acknowledge"],
  usage: USAGE,
  summary: "acknowledge alerts, which stops their notifications for a while (default and maximum set by the bot)",
  example: EXAMPLE,
  parse: parseAck,
  handler: handleAck,
};
