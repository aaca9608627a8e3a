import { quotedSubject, type AlertRecord } from "../alerts/types.js";
import { toPlainText } from "../codec/html.js";
import { oneLine, quoteLines } from "../codec/text.js";
import { formatDuration } from "../util/duration.js";
import { formatInZone } from "../policy/zoned-time.js";
import { readOneId, refuser } from "./args.js";
import { alertsWith } from "./capability.js";
import { alertName, alertState, hasLiveAck, relative } from "./format.js";
import { formatMatcher } from "./silence-matcher.js";
import { activeSilences } from "../policy/matcher.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `detail` was asked: one alert. */
export interface DetailArgs {
  readonly id: number;
}

const USAGE = "detail <id>";
/** A chat message is no place for a whole HTML report: the rest is a `…`. */
export const DETAIL_MAX_CHARS = 1_500;

function parseDetail(rest: string): ArgsResult<DetailArgs> {
  const id = readOneId(rest, refuser(USAGE, "detail 42"));
  return id.ok ? { ok: true, args: { id: id.args } } : id;
}

function describe(alert: AlertRecord, ctx: CommandContext): string[] {
  const { now } = ctx;
  const out = [`${alertName(alert)}: ${alertState(alert, now)}`, `Importance: ${alert.importance}`];
  // Whatever the sender wrote, in quotes after a label that says whose words they are: never a
  // source shown as a subject, nor a subject ("web1") where the source goes.
  const subject = quotedSubject(alert, Number.POSITIVE_INFINITY);
  if (subject !== null) out.push(`Subject, as its sender wrote it: ${subject}`);
  const zone = ctx.timeZone ?? "UTC";
  if (alert.raisedAt !== null) out.push(`Raised: ${formatInZone(alert.raisedAt, zone)}`);
  if (alert.status === "cleared" && alert.clearedAt !== null)
    out.push(`Cleared: ${formatInZone(alert.clearedAt, zone)}`);
  if (hasLiveAck(alert, now) && alert.ack !== null) out.push(`Acked until: ${formatInZone(alert.ack.until, zone)}`);
  const grade = ctx.gradeOf?.(alert);
  if (grade !== undefined) out.push(`Level: ${grade.level} (workgroup ${grade.workgroup})`);
  const summary = oneLine(alert.summary);
  if (summary !== "") out.push(`Summary: ${summary}`);
  if (hasLiveAck(alert, now) && alert.ack !== null && alert.ack.note !== "")
    out.push(`Ack note (${oneLine(alert.ack.by)}): ${oneLine(alert.ack.note)}`);
  const silences =
    alert.status === "raised" && ctx.silences !== undefined ? activeSilences(alert, ctx.silences.list(now), now) : [];
  for (const s of silences)
    out.push(
      `Silenced for ${formatDuration(s.until - now)} more by silence #${s.id} (${formatMatcher(s.matcher)}, set by ${s.by})`,
    );
  if (alert.suppressUntil !== null && alert.suppressUntil > now)
    out.push(`Its sender holds notifications back for ${formatDuration(alert.suppressUntil - now)} more`);
  if (alert.scheduledRaiseAt !== null)
    out.push(`Will raise ${relative(alert.scheduledRaiseAt, now)} unless its sender says otherwise`);
  if (alert.scheduledClearAt !== null)
    out.push(`Will clear ${relative(alert.scheduledClearAt, now)} unless its sender says otherwise`);
  const skew = ctx.clockSkew?.(alert.source) ?? null;
  if (skew !== null) {
    const how = `${formatDuration(Math.abs(skew.skewMs))} ${skew.skewMs > 0 ? "behind" : "ahead of"} AlertBot's`;
    out.push(
      `Clock skew: ${alert.source}'s clock was ${how} at its last update (${relative(skew.at, now)}); its times were shifted to AlertBot's clock`,
    );
  }
  const detail = toPlainText(alert.detail).trim();
  if (detail !== "")
    out.push(
      "Detail:",
      quoteLines(detail.length > DETAIL_MAX_CHARS ? detail.slice(0, DETAIL_MAX_CHARS - 1) + "…" : detail),
    );
  return out;
}

function handleDetail(args: DetailArgs, ctx: CommandContext): string {
  const alert = alertsWith(ctx, "get", "look alerts up").get(args.id);
  return alert === undefined ? `#${args.id}: no such alert` : describe(alert, ctx).join("\n");
}

/** `detail`: everything known about one alert, including its detail text and what mutes it. */
export const detailCommand: Command<DetailArgs> = {
  name: "detail",
  effects: [],
  aliases: ["details", "info", "describe"],
  usage: USAGE,
  summary: "show everything about one alert: state, ack, silences, and its detail text",
  example: "detail 42",
  parse: parseDetail,
  handler: handleDetail,
};
