import { formatDuration } from "../util/duration.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

function parseWeb(rest: string): ArgsResult<null> {
  return rest.trim() === ""
    ? { ok: true, args: null }
    : { ok: false, humanMessage: 'Just "web": I answer with a sign-in link for the web board.' };
}

function handleWeb(_args: null, ctx: CommandContext): string {
  if (ctx.webSignIn === undefined)
    return "This AlertBot has no web board turned on (an admin can add http.board to its config; see docs/web.md).";
  const link = ctx.webSignIn();
  if (!link.ok) return "Ask me for a web link in a direct chat: a link said here could be used by anyone in the room.";
  return `Your sign-in link for the web board, good once within ${formatDuration(link.validMs)} and only for you: ${link.url}`;
}

/** `web`: a one-time sign-in link for the web board, bound to the person who asked (docs/web.md). */
export const webCommand: Command<null> = {
  name: "web",
  effects: [],
  aliases: ["board"],
  usage: "web",
  summary: "a one-time sign-in link for the web board (in a direct chat)",
  example: "web",
  parse: parseWeb,
  handler: handleWeb,
};
