/**
 * Which line said in a room is a command for the bot, and its text: only a line addressed to the
 * bot ("AlertBot: ack 42", "@alertbot show", "alertbot, help"); an empty one means "help". People
 * talk among themselves in a room, and a colleague's "help" or "clear" is not for the bot.
 * Returns null for lines to ignore.
 */
export function roomCommand(body: string, botNick: string): string | null {
  const nick = botNick.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const addressed = new RegExp(`^\\s*@?${nick}(?=$|[\\s:,])[\\s:,]*`, "i").exec(body);
  return addressed === null ? null : body.slice(addressed[0].length).trim() || "help";
}
