import { personOfActor } from "../alerts/actor.js";
import { formatDuration } from "../util/duration.js";
import { matches } from "../policy/matcher.js";
import { MAX_IDS, quoted, readIds, refuser } from "./args.js";
import { refusalText } from "./authorise.js";
import { silencesOf, verdict } from "./capability.js";
import { formatMatcher } from "./silence-matcher.js";
import type { ArgsResult, Command, CommandContext, SilenceRecord } from "./types.js";

/** What `unsilence` was asked: which silences to end. */
export interface UnsilenceArgs {
  readonly ids: readonly number[];
}

function silenceLine(s: SilenceRecord, ctx: CommandContext, muted: number): string {
  const because = s.why === "" ? "" : ` because ${s.why}`;
  return `#${s.id} ${formatMatcher(s.matcher)}: ${formatDuration(s.until - ctx.now)} left, set by ${s.by}${because} (mutes ${muted} raised)`;
}

async function handleSilences(_args: null, ctx: CommandContext): Promise<string> {
  const live = silencesOf(ctx).list(ctx.now);
  if (live.length === 0) return "No silences in force.";
  // One pass over every raised alert, however many, counting for each silence what it mutes.
  const muted = live.map(() => 0);
  for await (const a of ctx.alerts.list("raised")) live.forEach((s, i) => (muted[i]! += Number(matches(s.matcher, a))));
  return ["Silences in force:", ...live.map((s, i) => silenceLine(s, ctx, muted[i]!))].join("\n");
}

/** `silences`: the silences in force, with what they match, how long they last and who set them. */
export const silencesCommand: Command<null> = {
  name: "silences",
  effects: [],
  aliases: ["mutes"],
  usage: "silences",
  summary: "list the silences in force, with their numbers for unsilence",
  example: "silences",
  parse: (rest) =>
    rest.trim() === ""
      ? { ok: true, args: null }
      : { ok: false, humanMessage: 'Just "silences" lists them; to end one, say "unsilence <n>".' },
  handler: handleSilences,
};

const USAGE = "unsilence <n>";
const refuse = refuser(USAGE, "unsilence 3");

function parseUnsilence(rest: string): ArgsResult<UnsilenceArgs> {
  const ids = readIds(rest);
  if (!ids.ok)
    return refuse(
      ids.bad === null
        ? 'Which silence? "silences" lists their numbers.'
        : `"${quoted(ids.bad)}" is not a silence number.`,
    );
  if (ids.ids.length > MAX_IDS) return refuse(`That is ${ids.ids.length} silences; I take at most ${MAX_IDS} at once.`);
  return { ok: true, args: { ids: ids.ids } };
}

function handleUnsilence(args: UnsilenceArgs, ctx: CommandContext): string {
  const silences = silencesOf(ctx);
  const v = verdict(ctx, "silence", null);
  const live = new Map(silences.list(ctx.now).map((s) => [s.id, s]));
  return args.ids
    .map((id) => {
      const s = live.get(id);
      // Whoever set a silence may always end it; others need the right to silence across workgroups.
      if (s !== undefined && !v.ok && personOfActor(s.by) !== personOfActor(ctx.person.name))
        return `Silence #${id}: sorry, ${refusalText("silence", v.workgroup)}.`;
      if (s === undefined || !silences.end(id, ctx.now))
        return `Silence #${id}: none in force by that number (see "silences").`;
      return `Silence #${id} (${formatMatcher(s.matcher)}) ended by ${ctx.person.name}; its alerts notify again.`;
    })
    .join("\n");
}

/** `unsilence`: ends silences before their time, so their alerts notify again. */
export const unsilenceCommand: Command<UnsilenceArgs> = {
  name: "unsilence",
  effects: ["silences-changed", "silences-lifted"],
  aliases: ["unmute"],
  usage: USAGE,
  summary: "end a silence now (numbers as in silences)",
  example: "unsilence 3",
  parse: parseUnsilence,
  handler: handleUnsilence,
};
