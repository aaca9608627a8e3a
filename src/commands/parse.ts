import { unknownCommandMessage } from "./registry.js";
import type { Registry } from "./registry.js";

/** What a line of chat asks for, or why it could not be understood. */
export type ParseResult = { ok: true; command: string; args: unknown } | { ok: false; humanMessage: string };

/** Splits a chat line into its command word (lower-cased) and the rest, forgiving "/", "!", odd spacing and "ack42". */
export function splitCommandLine(text: string): { word: string; rest: string } {
  const line = text.trim().replace(/^[/!]\s*/, "").replace(/\s+/g, " ");
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
