import { createRegistry, unknownCommandMessage } from "./registry.js";
import type { Registry } from "./registry.js";
import type { ArgsResult, Command } from "./types.js";

/** What `help` was asked about: one command's name, or null for the list. */
export interface HelpArgs {
  readonly command: string | null;
}

function describeAll(registry: Registry): string {
  const lines = registry.commands.map((c) => `${c.usage} — ${c.summary}`);
  return ["Commands:", ...lines, 'Say "help <command>" for details and an example.'].join("\n");
}

function describeOne(command: Command<unknown>): string {
  const aliases = command.aliases.length > 0 ? [`Also: ${command.aliases.join(", ")}`] : [];
  return [command.usage, capitalise(command.summary) + ".", ...aliases, `Example: ${command.example}`].join("\n");
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `help`, written from the registry it belongs to, so it lists whatever commands exist. */
export function helpCommand(registry: () => Registry): Command<HelpArgs> {
  return {
    name: "help",
    effects: [],
    aliases: ["?", "commands"],
    usage: "help [command]",
    summary: "list the commands, or explain one",
    example: "help ack",
    parse(rest): ArgsResult<HelpArgs> {
      const word = rest.trim().replace(/^[/!]/, "").toLowerCase();
      if (word === "") return { ok: true, args: { command: null } };
      const command = registry().find(word);
      if (command === undefined) return { ok: false, humanMessage: unknownCommandMessage(word, registry()) };
      return { ok: true, args: { command: command.name } };
    },
    handler(args) {
      const command = args.command === null ? undefined : registry().find(args.command);
      return command === undefined ? describeAll(registry()) : describeOne(command);
    },
  };
}

/** A registry of `commands` followed by a `help` that describes them all, itself included. */
export function registryWithHelp(commands: readonly Command<unknown>[]): Registry {
  const registry: Registry = createRegistry([...commands, helpCommand(() => registry)]);
  return registry;
}
