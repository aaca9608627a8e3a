import { defaultRegistry } from "./default-registry.js";
import { parseCommand } from "./parse.js";
import type { Registry } from "./registry.js";

/**
 * Which line said in a room is a command for the bot, and its text: a line addressed to the bot
 * ("AlertBot: ack 42", "@alertbot show") always is, so a typo gets its hint; any other line only
 * when it parses as a command, so people talking among themselves ("who broke the build?") are
 * left alone. Returns null for lines to ignore.
 */
export function roomCommand(body: string, botNick: string, registry: Registry = defaultRegistry): string | null {
  const nick = botNick.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const addressed = new RegExp(`^\\s*@?${nick}(?=$|[\\s:,])[\\s:,]*`, "i").exec(body);
  if (addressed !== null) return body.slice(addressed[0].length).trim() || "help";
  return parseCommand(body, registry).ok ? body : null;
}
