import { readOneId, refuser } from "./args.js";
import { alertsWith, refusalFor } from "./capability.js";
import { alertName } from "./format.js";
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
  if (outcome.reason === "not-raised") return `${alertName(outcome.alert)} is not raised, so there is nothing to escalate`;
  if (outcome.reason === "nobody-left") return `${alertName(outcome.alert)} is already at the last step of its escalation: nobody is left to tell`;
  return `#${args.id}: no such alert`;
}

/** `escalate`: moves an alert to the next step of its escalation now, without waiting. */
export const escalateCommand: Command<EscalateArgs> = {
  name: "escalate",
  aliases: ["esc"],
  usage: USAGE,
  summary: "move an alert to the next step of its escalation now",
  example: "escalate 42",
  parse: parseEscalate,
  handler: handleEscalate,
};
