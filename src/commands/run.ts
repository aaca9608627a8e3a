import { CommandError, StorageUnavailableError } from "../errors.js";
import { parseCommand, type Registry } from "./registry.js";
import type { CommandContext, CommandEffect } from "./types.js";
import { ackCommand } from "./ack.js";
import { clearCommand } from "./clear.js";
import { detailCommand } from "./detail.js";
import { escalateCommand } from "./escalate.js";
import { registryWithHelp } from "./help.js";
import { historyCommand } from "./history.js";
import { noteCommand } from "./note.js";
import { onCallCommand } from "./oncall.js";
import { showCommand } from "./show.js";
import { silenceCommand } from "./silence.js";
import { silencesCommand, unsilenceCommand } from "./silences.js";
import { unackCommand } from "./unack.js";
import { webCommand } from "./web.js";

/** Every chat command, in the order help lists them: the daily ones first, help last. */
export const defaultRegistry: Registry = registryWithHelp([
  ackCommand,
  unackCommand,
  showCommand,
  detailCommand,
  historyCommand,
  noteCommand,
  clearCommand,
  silenceCommand,
  silencesCommand,
  unsilenceCommand,
  onCallCommand,
  escalateCommand,
  webCommand,
]);

/**
 * The result of running one line of chat. `reply` always goes back to the person; `error` is
 * for the log only (a CommandError's internal detail, or the bug behind an apology).
 */
export type CommandOutcome =
  | { ok: true; command: string; reply: string; effects: readonly CommandEffect[] }
  | { ok: false; kind: "unparsed"; command: null; reply: string }
  | { ok: false; kind: "refused"; command: string; reply: string; error: CommandError }
  | { ok: false; kind: "failed"; command: string; reply: string; error: unknown };

/** The single error boundary for chat commands: parses, runs, and never rejects. */
export async function runCommand(
  text: string,
  ctx: CommandContext,
  registry: Registry = defaultRegistry,
): Promise<CommandOutcome> {
  const parsed = parseCommand(text, registry);
  if (!parsed.ok) return { ok: false, kind: "unparsed", command: null, reply: parsed.humanMessage };
  return runParsedCommand(parsed.command, parsed.args, ctx, registry);
}

/**
 * Runs a command whose arguments were parsed already (from a form, say), behind the same error
 * boundary; `args` must come from that command's own parsing.
 */
export async function runParsedCommand(
  name: string,
  args: unknown,
  ctx: CommandContext,
  registry: Registry = defaultRegistry,
): Promise<CommandOutcome> {
  const command = registry.find(name);
  try {
    if (command === undefined) throw new Error(`parsed command "${name}" is not in the registry`);
    return { ok: true, command: command.name, reply: await command.handler(args, ctx), effects: command.effects };
  } catch (error) {
    if (error instanceof CommandError)
      return { ok: false, kind: "refused", command: name, reply: error.humanMessage, error };
    const reply =
      error instanceof StorageUnavailableError
        ? `Sorry, I cannot write my database right now (${error.reason}), so "${name}" changed nothing. ` +
          "Try again once it is fixed; the people on call have been told."
        : `Sorry, something went wrong on my side while running "${name}". It has been logged.`;
    return { ok: false, kind: "failed", command: name, reply, error };
  }
}
