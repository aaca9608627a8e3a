import { CommandError, StorageUnavailableError } from "../errors.js";
import { formatDuration } from "../util/duration.js";
import { quoted } from "./args.js";
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

/**
 * How long a command that changes something may have been on its way (its XEP-0203 delay stamp:
 * typed offline, held by a client or a server) and still run.
 */
export const LATE_COMMAND_MS = 2 * 60_000;

/**
 * The refusal of a line typed at `sentAt` that reached the bot only at `now`, past LATE_COMMAND_MS,
 * when it changes something: an "ack 42" typed an hour ago must not silence the alert raised again
 * since, nor a "clear 42" clear it. Lines that only read (`show`, `detail`) run late all the same,
 * as lines that do not parse are answered as usual. Null: run it; else the command and the reply.
 */
export function lateCommandRefusal(
  text: string,
  sentAt: number,
  now: number,
  registry: Registry = defaultRegistry,
): { command: string; reply: string } | null {
  if (now - sentAt <= LATE_COMMAND_MS) return null;
  const parsed = parseCommand(text, registry);
  if (!parsed.ok || (registry.find(parsed.command)?.effects.length ?? 0) === 0) return null;
  const reply =
    `You sent "${quoted(text.trim())}" ${formatDuration(now - sentAt)} ago and it reached me only now, ` +
    "so I did not run it: what it is about may have changed since. Send it again if you still mean it.";
  return { command: parsed.command, reply };
}

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
