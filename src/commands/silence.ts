import type { AlertRecord } from "../alerts/types.js";
import { byUrgency } from "../alerts/urgency.js";
import { formatDuration, parseDuration } from "../util/duration.js";
import { FirstInOrder } from "../util/first-in-order.js";
import { matches } from "../policy/matcher.js";
import type { Matcher } from "../policy/types.js";
import { noteProblem, quoted, readBecause, readCommandDuration, refuser } from "./args.js";
import { refusalText } from "./authorise.js";
import { alertsWith, silencesOf, verdict } from "./capability.js";
import { alertName } from "./format.js";
import { exactMatcher, formatMatcher, MATCHER_SYNTAX, parseMatcher, type SilenceTarget } from "./silence-matcher.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `silence` was asked: what to mute, for how long, and why ("" when not said). */
export interface SilenceArgs {
  readonly target: SilenceTarget;
  readonly durationMs: number;
  readonly note: string;
}

const USAGE = "silence <matcher> for <duration> [because <note>]";
const EXAMPLE = "silence source=web* id=disk-* for 2h because migrating storage";
const refuse = refuser(USAGE, EXAMPLE);
/** How many muted alerts the reply names before it only counts. */
const NAMED = 10;

/** Reads a silence's matcher text and duration text, as typed in chat or in a form's fields. */
export function readSilence(
  matcherText: string,
  durationText: string,
  note: string,
): { ok: true; args: SilenceArgs } | { ok: false; text: string } {
  const target = parseMatcher(matcherText);
  if (!target.ok) return { ok: false, text: `${target.text} A matcher looks like: ${MATCHER_SYNTAX}.` };
  if (durationText.trim() === "") return { ok: false, text: 'For how long? Put a duration after "for".' };
  const duration = readCommandDuration(durationText, "A silence", "30m, 2h or 1d");
  if (!duration.ok) return duration;
  const problem = noteProblem(note);
  if (problem !== null) return { ok: false, text: problem };
  return { ok: true, args: { target: target.target, durationMs: duration.ms, note } };
}

function parseSilence(rest: string): ArgsResult<SilenceArgs> {
  const because = readBecause(rest);
  if (!because.ok) return refuse(because.text);
  const { head, note } = because;
  if (head === "" || /^for\b/i.test(head)) return refuse("What should I silence?");
  // The last "for" starts the duration: patterns may contain the word, durations never do.
  const m = /^(.*)\s+for(?:\s+(.*))?$/is.exec(head);
  if (m === null) {
    const last = head.split(" ").pop() ?? "";
    return refuse(`For how long?${parseDuration(last) !== null ? ` Write "for ${quoted(last)}".` : ""}`);
  }
  const read = readSilence(m[1] ?? "", m[2] ?? "", note);
  return read.ok ? read : refuse(read.text);
}

function resolve(target: SilenceTarget, ctx: CommandContext): { matcher: Matcher; what: string } | string {
  if (target.kind === "matcher") return { matcher: target.matcher, what: formatMatcher(target.matcher) };
  const alert = alertsWith(ctx, "get", "look alerts up").get(target.shortId);
  if (alert === undefined) return `#${target.shortId}: no such alert`;
  return { matcher: exactMatcher(alert), what: alertName(alert) };
}

async function handleSilence(args: SilenceArgs, ctx: CommandContext): Promise<string> {
  const silences = silencesOf(ctx);
  const resolved = resolve(args.target, ctx);
  if (typeof resolved === "string") return resolved;
  const alert = args.target.kind === "alert" ? (ctx.alerts.get?.(args.target.shortId) ?? null) : null;
  const v = verdict(ctx, "silence", alert);
  if (!v.ok) return `Sorry, ${refusalText("silence", v.workgroup)}.`;
  const maxMs = ctx.silenceMaxMs ?? ctx.ackMaxMs;
  const ms = Math.min(args.durationMs, maxMs);
  const id = silences.add(resolved.matcher, ctx.now + ms, ctx.person.name, args.note, ctx.now);
  const because = args.note === "" ? "" : ` because ${args.note}`;
  const out = [`Silence #${id} by ${ctx.person.name}: ${resolved.what} for ${formatDuration(ms)}${because}.`];
  if (args.durationMs > ms)
    out.push(
      `(${formatDuration(args.durationMs)} is longer than silences may last, so I used the maximum, ${formatDuration(maxMs)}.)`,
    );
  // The most urgent it mutes are named, as `show` would list them first.
  const first = new FirstInOrder<AlertRecord>(NAMED, byUrgency);
  let muted = 0;
  for await (const a of ctx.alerts.list("raised")) {
    if (!matches(resolved.matcher, a)) continue;
    muted++;
    first.add(a);
  }
  const names =
    first.first().map(alertName).join(", ") +
    (muted > NAMED ? `, and ${muted - NAMED} more ("show silenced" lists them)` : "");
  out.push(
    muted === 0
      ? "No raised alert matches it now."
      : `It mutes ${muted === 1 ? "1 raised alert" : `${muted} raised alerts`} now: ${names}.`,
  );
  return out.join("\n");
}

/** `silence`: mutes notifications about matching alerts for a while; they still show in `show`. */
export const silenceCommand: Command<SilenceArgs> = {
  name: "silence",
  effects: ["silences-changed"],
  aliases: ["mute"],
  usage: USAGE,
  summary: `mute notifications about matching alerts for a while (matcher: ${MATCHER_SYNTAX})`,
  example: EXAMPLE,
  parse: parseSilence,
  handler: handleSilence,
};
