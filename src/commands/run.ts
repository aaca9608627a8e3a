import { CommandError } from "../errors.js";
import { defaultRegistry } from "./default-registry.js";
import { parseCommand } from "./parse.js";
import type { Registry } from "./registry.js";
import type { CommandContext } from "./types.js";

/**
 * The result of running one line of chat. `reply` always goes back to the person; `error` is
 * for the log only (a CommandError's internal detail, or the bug behind an apology).
 */
export type CommandOutcome =
  | { ok: true; command: string; reply: string }
  | { ok: false; kind: "unparsed"; command: null; reply: string }
  | { ok: false; kind: "refused"; command: string; reply: string; error: CommandError }
  | { ok: false; kind: "failed"; command: string; reply: string; error: unknown };

/** The single error boundary for chat commands: parses, runs, and never rejects. */
export async function runCommand(text: string, ctx: CommandContext, registry: Registry = defaultRegistry): Promise<CommandOutcome> {
  const parsed = parseCommand(text, registry);
  if (!parsed.ok) return { ok: false, kind: "unparsed", command: null, reply: parsed.humanMessage };
  return runParsedCommand(parsed.command, parsed.args, ctx, registry);
}

/**
 * Runs a command whose arguments were parsed already (from a form, say), behind the same error
 * boundary; `args` must come from that command's own parsing.
 */
export async function runParsedCommand(name: string, args: unknown, ctx: CommandContext, registry: Registry = defaultRegistry): Promise<CommandOutcome> {
  const command = registry.find(name);
  try {
    if (command === undefined) throw new Error(`parsed command "${name}" is not in the registry`);
    return { ok: true, command: command.name, reply: await command.handler(args, ctx) };
  } catch (error) {
    if (error instanceof CommandError) return { ok: false, kind: "refused", command: name, reply: error.humanMessage, error };
    const reply = `Sorry, something went wrong on my side while running "${name}". It has been logged.`;
    return { ok: false, kind: "failed", command: name, reply, error };
  }
}
