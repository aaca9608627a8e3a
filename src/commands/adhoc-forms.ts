import { readAckIds, readAckLength, type AckArgs } from "./ack.js";
import { noteProblem } from "./args.js";
import type { Registry } from "./registry.js";
import { defaultRegistry, runParsedCommand } from "./run.js";
import { readSilence } from "./silence.js";
import type { ArgsResult, CommandContext, CommandEffect } from "./types.js";

/** One field of a command's form: plain data, shaped like XEP-0004's field so the XMPP edge can send it as is. */
export interface CommandFormField {
  readonly var: string;
  readonly type: "text-single" | "text-multi";
  readonly label: string;
  readonly desc?: string;
  readonly required?: boolean;
}

/** A chat command offered as a form (XEP-0050 ad-hoc command): its node, its form, and how a filled form becomes arguments. */
export interface FormCommand {
  /** The ad-hoc node, also the chat command it runs. */
  readonly node: string;
  readonly name: string;
  readonly form: {
    readonly title: string;
    readonly instructions: string;
    readonly fields: readonly CommandFormField[];
  };
  /** Reads the submitted values (`value(var)`: "" when absent) into the command's arguments. */
  parse(value: (field: string) => string): ArgsResult<unknown>;
}

function fail(text: string): { ok: false; humanMessage: string } {
  return { ok: false, humanMessage: text };
}

/** `ack` as a form: alert numbers, an optional duration (or working hours), an optional note. */
export const ACK_FORM: FormCommand = {
  node: "ack",
  name: "Acknowledge alerts",
  form: {
    title: "Acknowledge alerts",
    instructions: "Stops the alerts' notifications for a while. Leave the duration empty for the default.",
    fields: [
      { var: "ids", type: "text-single", label: "Alert numbers", desc: "e.g. 42, 43", required: true },
      { var: "duration", type: "text-single", label: "For how long", desc: "e.g. 2h, 90m, 1d or 4 working hours" },
      { var: "note", type: "text-multi", label: "Because" },
    ],
  },
  parse(value): ArgsResult<AckArgs> {
    const ids = readAckIds(value("ids"));
    if (!ids.ok) return fail(ids.text);
    const note = value("note").replace(/\s+/g, " ").trim();
    const problem = noteProblem(note);
    if (problem !== null) return fail(problem);
    if (value("duration").trim() === "") return { ok: true, args: { ids: ids.ids, length: { kind: "default" }, note } };
    const length = readAckLength(value("duration").replace(/^\s*for\s+/i, ""));
    return length.ok ? { ok: true, args: { ids: ids.ids, length: length.length, note } } : fail(length.text);
  },
};

/** `silence` as a form: a matcher, a duration, an optional note. */
export const SILENCE_FORM: FormCommand = {
  node: "silence",
  name: "Silence alerts",
  form: {
    title: "Silence alerts",
    instructions: "Mutes notifications about matching alerts for a while; they still show in the list.",
    fields: [
      {
        var: "matcher",
        type: "text-single",
        label: "Which alerts",
        desc: "e.g. source=web* id=disk-*, a host name, or #42",
        required: true,
      },
      { var: "duration", type: "text-single", label: "For how long", desc: "e.g. 30m, 2h, 1d", required: true },
      { var: "note", type: "text-multi", label: "Because" },
    ],
  },
  parse(value) {
    const read = readSilence(
      value("matcher"),
      value("duration").replace(/^\s*for\s+/i, ""),
      value("note").replace(/\s+/g, " ").trim(),
    );
    return read.ok ? read : fail(read.text);
  },
};

/** The commands offered as ad-hoc forms. */
export const FORM_COMMANDS: readonly FormCommand[] = [ACK_FORM, SILENCE_FORM];

/** The submitted values of a form, one a field (a text-multi's lines joined), as `parse` reads them. */
export type FormValues = ReadonlyMap<string, readonly string[]>;

/**
 * Reads submitted values for `command.parse`: a text-single field with several values is refused
 * (two durations were added up silently: "2h" and "1h" made a 3h ack), a text-multi's are lines.
 */
export function formValues(
  command: FormCommand,
  fields: FormValues,
): { ok: true; value: (field: string) => string } | { ok: false; text: string } {
  for (const field of command.form.fields) {
    const count = fields.get(field.var)?.length ?? 0;
    if (field.type === "text-single" && count > 1)
      return { ok: false, text: `"${field.label}" takes one value; ${count} were sent.` };
  }
  return { ok: true, value: (field) => (fields.get(field) ?? []).join("\n") };
}

/** How a submitted form ended: done with a note (and what the command changed), or refused with a text. */
export type FormResult =
  | { ok: true; command: string; note: string; effects: readonly CommandEffect[] }
  | { ok: false; kind: "unparsed" | "refused" | "failed"; command: string; text: string; error?: unknown };

/**
 * Runs a submitted form as its command, behind the commands' error boundary. The result has
 * the shape the ad-hoc edge takes: a note to show when done (with what the command changed, for the
 * bot to act on), or a text to show above the form again.
 */
export async function runFormCommand(
  command: FormCommand,
  value: (field: string) => string,
  ctx: CommandContext,
  registry: Registry = defaultRegistry,
): Promise<FormResult> {
  const parsed = command.parse(value);
  if (!parsed.ok) return { ok: false, kind: "unparsed", command: command.node, text: parsed.humanMessage };
  const outcome = await runParsedCommand(command.node, parsed.args, ctx, registry);
  if (outcome.ok) return { ok: true, command: outcome.command, note: outcome.reply, effects: outcome.effects };
  const error = outcome.kind === "unparsed" ? undefined : outcome.error;
  return { ok: false, kind: outcome.kind, command: command.node, text: outcome.reply, error };
}
