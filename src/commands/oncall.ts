import { CommandError } from "../errors.js";
import { quoted } from "./args.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `oncall` was asked: one workgroup's name, or null for all of them. */
export interface OnCallArgs {
  readonly workgroup: string | null;
}

function parseOnCall(rest: string): ArgsResult<OnCallArgs> {
  const words = rest
    .trim()
    .replace(/^(for|in|of)\s+/i, "")
    .split(" ")
    .filter((w) => w !== "");
  if (words.length > 1)
    return {
      ok: false,
      humanMessage: `One workgroup at a time, please. Usage: oncall [workgroup], e.g. "oncall ops".`,
    };
  return { ok: true, args: { workgroup: words[0] ?? null } };
}

function handleOnCall(args: OnCallArgs, ctx: CommandContext): string {
  if (ctx.oncall === undefined)
    throw new CommandError("Sorry, this bot has no rotas to tell who is on call.", {
      detail: "CommandContext lacks oncall",
    });
  const outcome = ctx.oncall(args.workgroup);
  if (!outcome.ok) {
    const known = outcome.known.length === 0 ? "There are no workgroups." : `Workgroups: ${outcome.known.join(", ")}.`;
    return `I don't know a workgroup "${quoted(args.workgroup ?? "")}". ${known}`;
  }
  if (outcome.rota.length === 0) return "There are no workgroups.";
  return outcome.rota
    .map(({ workgroup, people }) => {
      const [first, ...rest] = people;
      if (first === undefined) return `${workgroup}: nobody is on call`;
      return `${workgroup}: ${first} is on call${rest.length === 0 ? "" : `, then ${rest.join(", ")}`}`;
    })
    .join("\n");
}

/** `oncall`: who answers for each workgroup right now, and who backs them up. */
export const onCallCommand: Command<OnCallArgs> = {
  name: "oncall",
  effects: [],
  aliases: ["on-call", "who"],
  usage: "oncall [workgroup]",
  summary: "who is on call now in each workgroup (or one), then who backs them up",
  example: "oncall ops",
  parse: parseOnCall,
  handler: handleOnCall,
};
