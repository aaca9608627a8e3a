import { alertsWith, refusalFor } from "./capability.js";
import { eachId } from "./each-id.js";
import { alertName } from "./format.js";
import { idsWithNote, type IdsArgs } from "./unack.js";
import type { Command, CommandContext } from "./types.js";

const USAGE = "clear <ids> [because <note>]";
const EXAMPLE = "clear 42 because fixed by hand";

function handleClear(args: IdsArgs, ctx: CommandContext): string {
  const alerts = alertsWith(ctx, "clear", "clear alerts by hand");
  const change = { by: ctx.person.name, at: ctx.now, note: args.note };
  const because = args.note === "" ? "" : ` because ${args.note}`;
  return eachId(args.ids, ctx, (id) => {
    const refused = refusalFor(ctx, "clear", id);
    if (refused !== null) return refused;
    const outcome = alerts.clear(id, change);
    if (outcome.ok) return `${alertName(outcome.alert)} cleared by hand by ${change.by}${because}`;
    if (outcome.reason === "not-raised") return `${alertName(outcome.alert)} is already cleared`;
    return `#${id}: no such alert`;
  }).join("\n");
}

/** `clear`: clears alerts by hand (recorded as a manual clear); the sender raises them again if they still hold. */
export const clearCommand: Command<IdsArgs> = {
  name: "clear",
  effects: ["alerts-changed"],
  aliases: ["resolve"],
  usage: USAGE,
  summary: "clear an alert by hand (recorded as manual; its sender raises it again if the problem is still there)",
  example: EXAMPLE,
  parse: idsWithNote(USAGE, EXAMPLE),
  handler: handleClear,
};
