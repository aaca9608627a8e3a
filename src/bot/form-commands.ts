import { FORM_COMMANDS, runFormCommand } from "../commands/index.js";
import type { Adhoc } from "../xmpp/disco.js";
import type { CommandRunner } from "./command-runner.js";

/**
 * Offers `ack` and `silence` as XEP-0050 ad-hoc commands with XEP-0004 forms, for clients that
 * show them; only configured people see or run them, and they go through the same command door.
 */
export function offerFormCommands(adhoc: Adhoc, commands: CommandRunner, afterCommand: (command: string) => Promise<void>): void {
  for (const command of FORM_COMMANDS) {
    adhoc.onAdhoc({
      node: command.node,
      name: command.name,
      form: command.form,
      allowed: (jid) => commands.person(jid) !== null,
      async run(fields, from) {
        const person = commands.person(from);
        if (!person) return { ok: false, text: "Sorry, I only take commands from the people in my configuration.", final: true };
        const result = await runFormCommand(command, (name) => (fields.get(name) ?? []).join("\n"), commands.context(person));
        if (result.ok) await afterCommand(command.node);
        return result;
      },
    });
  }
}
