import { readOneId, refuser } from "./args.js";
import { alertsWith, refusalFor } from "./capability.js";
import { formatDuration } from "../util/duration.js";
import { alertName, holdText } from "./format.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `escalate` was asked: one alert. */
export interface EscalateArgs {
  readonly id: number;
}

const USAGE = "escalate <id>";

function parseEscalate(rest: string): ArgsResult<EscalateArgs> {
  const id = readOneId(rest, refuser(USAGE, "escalate 42"));
  return id.ok ? { ok: true, args: { id: id.args } } : id;
}

function handleEscalate(args: EscalateArgs, ctx: CommandContext): string {
  const alerts = alertsWith(ctx, "escalate", "escalate");
  const refused = refusalFor(ctx, "escalate", args.id);
  if (refused !== null) return refused;
  const outcome = alerts.escalate(args.id, { by: ctx.person.name, at: ctx.now, note: "" });
  if (outcome.ok) {
    const told = outcome.told.length === 0 ? "" : `: telling ${outcome.told.join(", ")}`;
    return `${alertName(outcome.alert)} escalated by ${ctx.person.name}${told}`;
  }
  if (outcome.reason === "not-raised")
    return `${alertName(outcome.alert)} is not raised, so there is nothing to escalate`;
  if (outcome.reason === "nobody-left")
    return `${alertName(outcome.alert)} is already at the last step of its escalation: nobody is left to tell`;
  if (outcome.reason === "nobody-reached") {
    return `${alertName(outcome.alert)} moved to the next step of its escalation, but that step found nobody to tell (see "history ${outcome.alert.shortId}")`;
  }
  if (outcome.reason === "acked") {
    const ack = outcome.alert.ack;
    const by = ack === null ? "" : ` by ${ack.by} for ${formatDuration(Math.max(0, ack.until - ctx.now))} more`;
    const id = outcome.alert.shortId;
    return `${alertName(outcome.alert)} is acknowledged${by}, which pauses its escalation, so I did not move it on. To bring in its next step now, say "unack ${id}" and then "escalate ${id}".`;
  }
  if (outcome.reason === "held") {
    const hint =
      outcome.held.reason === "silenced"
        ? ' To tell people anyway, end the silence ("silences" lists them) and escalate again.'
        : "";
    return `${alertName(outcome.alert)} ${holdText(outcome.held, ctx.now)}, so nobody would be told now: I did not move its escalation on.${hint}`;
  }
  return `#${args.id}: no such alert`;
}

/**
 * `escalate`: moves an alert to the next step of its escalation now, without waiting. It refuses,
 * and says why, when an ack or a hold (silence, suppress_until, host down, shut window) would keep
 * that step from telling anyone: moving it anyway told nobody, then told people by surprise the
 * moment the hold ended.
 */
export const escalateCommand: Command<EscalateArgs> = {
  name: "escalate",
  effects: ["alerts-changed"],
  aliases: ["esc"],
  usage: USAGE,
  summary: "move an alert to the next step of its escalation now",
  example: "escalate 42",
  parse: parseEscalate,
  handler: handleEscalate,
};
