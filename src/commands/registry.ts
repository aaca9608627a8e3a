import { quoted } from "./args.js";
import type { Command } from "./types.js";

/** The commands the bot understands, found by name or alias. */
export interface Registry {
  /** In the order help lists them. */
  readonly commands: readonly Command<unknown>[];
  find(word: string): Command<unknown> | undefined;
}

/** Builds a registry; a word claimed twice is a programming error and throws. */
export function createRegistry(commands: readonly Command<unknown>[]): Registry {
  const byWord = new Map<string, Command<unknown>>();
  for (const command of commands) {
    for (const word of [command.name, ...command.aliases]) {
      const key = word.toLowerCase();
      if (byWord.has(key)) throw new Error(`command word "${key}" is registered twice`);
      byWord.set(key, command);
    }
  }
  return { commands, find: (word) => byWord.get(word.toLowerCase()) };
}

/** The reply to a word that names no command, with a suggestion when it looks like a typo. */
export function unknownCommandMessage(word: string, registry: Registry): string {
  const names = registry.commands.map((c) => c.name);
  const close = registry.commands.find((c) => [c.name, ...c.aliases].some((w) => isTypo(word.toLowerCase(), w)));
  const guess = close === undefined ? "" : ` Did you mean "${close.name}"?`;
  return `I don't know "${quoted(word)}".${guess} Try: ${names.join(", ")}`;
}

// One letter wrong, missing, extra, or two neighbours swapped ("akc", "shw", "hepl").
function isTypo(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1 || Math.min(a.length, b.length) < 2) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const [ra, rb] = [a.slice(i), b.slice(i)];
  const swapped = ra.length > 1 && ra[0] === rb[1] && ra[1] === rb[0] && ra.slice(2) === rb.slice(2);
  return swapped || ra.slice(1) === rb.slice(1) || ra.slice(1) === rb || ra === rb.slice(1);
}

/** What a line of chat asks for, or why it could not be understood. */
export type ParseResult = { ok: true; command: string; args: unknown } | { ok: false; humanMessage: string };

// Whitespace and the invisible format characters (U+200B zero width space, U+2060 word joiner,
// U+FEFF...) that clients and pastes leave around text: a line of nothing else says nothing.
const BLANK = /^[\s\p{Cf}]*$/u;
const EDGES = /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu;
// The same characters inside a line: a U+200B pasted from a web page, a soft hyphen, the U+200E/F
// marks a right-to-left keyboard puts around digits. Kept inside a word they made "ack 42" read as
// I don't know "ack" or "42" is not an alert number, quoting back text that looks right. Those that
// shape text are kept: U+200C/U+200D (joiners: Persian and Indic words, emoji sequences) and the
// tag characters of flag emoji.
const INVISIBLE = /(?!\u200c|\u200d|[\u{e0020}-\u{e007f}])\p{Cf}/gu;

/**
 * Whether a line has nothing visible in it. Such lines get no answer at all, whatever invisible
 * characters they hold (docs/chat.md): clients send them as typing noise, and "I don't know" helps nobody.
 */
export function isBlank(text: string): boolean {
  return BLANK.test(text);
}

/** Splits a chat line into its command word (lower-cased) and the rest, forgiving "/", "!", odd spacing and "ack42". */
export function splitCommandLine(text: string): { word: string; rest: string } {
  const line = text
    .replace(EDGES, "")
    .replace(INVISIBLE, "")
    .replace(/^[/!]\s*/, "")
    .replace(/\s+/g, " ");
  const m = /^([^\s\d#]*)\s*(.*)$/.exec(line);
  const word = (m?.[1] ?? "").toLowerCase();
  // "help?" and "show:" mean help and show; a bare "?" is still a word of its own.
  return { word: word.length > 1 ? word.replace(/[.!?:,]+$/, "") : word, rest: m?.[2] ?? "" };
}

/** Parses one line of chat into a command and its arguments, using the registry's grammar. */
export function parseCommand(text: string, registry: Registry): ParseResult {
  const { word, rest } = splitCommandLine(text);
  if (word === "") {
    const names = registry.commands.map((c) => c.name).join(", ");
    return { ok: false, humanMessage: `Start with a command. Try: ${names}` };
  }
  const command = registry.find(word);
  if (command === undefined) return { ok: false, humanMessage: unknownCommandMessage(word, registry) };
  const parsed = command.parse(rest);
  return parsed.ok ? { ok: true, command: command.name, args: parsed.args } : parsed;
}

/**
 * Which line said in a room is a command for the bot, and its text: only a line addressed to the
 * bot ("AlertBot: ack 42", "@alertbot show", "alertbot, help"); an empty one means "help". People
 * talk among themselves in a room, and a colleague's "help" or "clear" is not for the bot.
 * Returns null for lines to ignore.
 */
export function roomCommand(body: string, botNick: string): string | null {
  const nick = botNick.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const addressed = new RegExp(`^\\s*@?${nick}(?=$|[\\s:,])[\\s:,]*`, "i").exec(body);
  if (addressed === null) return null;
  const line = body.slice(addressed[0].length);
  return isBlank(line) ? "help" : line.replace(EDGES, "");
}
