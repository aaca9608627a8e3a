import { MAX_IDS, quoted, readBecause, readIds, refuser } from "./args.js";
import { alertsWith, refusalFor } from "./capability.js";
import { eachId } from "./each-id.js";
import { alertName, holdText } from "./format.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `unack` and `clear` were asked: which alerts, and why ("" when not said). */
export interface IdsArgs {
  readonly ids: readonly number[];
  readonly note: string;
}

/** A parser of `<ids> [because <note>]` for commands over several alerts, with their own usage in refusals. */
export function idsWithNote(usage: string, example: string): (rest: string) => ArgsResult<IdsArgs> {
  const refuse = refuser(usage, example);
  return (rest) => {
    const because = readBecause(rest);
    if (!because.ok) return refuse(because.text);
    const { head, note } = because;
    const ids = readIds(head);
    if (!ids.ok) return refuse(ids.bad === null ? "Which alert?" : `"${quoted(ids.bad)}" is not an alert number.`);
    if (ids.ids.length > MAX_IDS) return refuse(`That is ${ids.ids.length} alerts; I take at most ${MAX_IDS} at once.`);
    return { ok: true, args: { ids: ids.ids, note } };
  };
}

function handleUnack(args: IdsArgs, ctx: CommandContext): string {
  const alerts = alertsWith(ctx, "unack", "take acks back");
  const change = { by: ctx.person.name, at: ctx.now, note: args.note };
  return eachId(args.ids, ctx, (id) => {
    const refused = refusalFor(ctx, "ack", id);
    if (refused !== null) return refused;
    const outcome = alerts.unack(id, change);
    if (outcome.ok && outcome.held)
      return `${alertName(outcome.alert)} is no longer acknowledged (by ${change.by}), but it ${holdText(outcome.held, ctx.now)}: nothing is sent until then`;
    if (outcome.ok)
      return `${alertName(outcome.alert)} is no longer acknowledged (by ${change.by}); its notifications resume`;
    if (outcome.reason === "not-acked") return `${alertName(outcome.alert)} was not acknowledged`;
    return `#${id}: no such alert`;
  }).join("\n");
}

/** `unack`: takes acknowledgements back, so the alerts notify again. */
export const unackCommand: Command<IdsArgs> = {
  name: "unack",
  effects: ["alerts-changed"],
  aliases: ["unacknowledge", "un-ack"],
  usage: "unack <ids> [because <note>]",
  summary: "take an acknowledgement back, so the alert notifies again",
  example: "unack 42",
  parse: idsWithNote("unack <ids> [because <note>]", "unack 42"),
  handler: handleUnack,
};
