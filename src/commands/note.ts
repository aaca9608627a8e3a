import { noteProblem, quoted, readId, refuser } from "./args.js";
import { alertsWith } from "./capability.js";
import { alertName } from "./format.js";
import type { ArgsResult, Command, CommandContext } from "./types.js";

/** What `note` was asked: the alert and the words to add to its history. */
export interface NoteArgs {
  readonly id: number;
  readonly text: string;
}

const USAGE = "note <id> <text>";
const EXAMPLE = "note 42 the RAID controller is being replaced on Tuesday";
const refuse = refuser(USAGE, EXAMPLE);

function parseNote(rest: string): ArgsResult<NoteArgs> {
  const [first = "", ...words] = rest.trim().split(" ");
  if (first === "") return refuse("Which alert?");
  const id = readId(first);
  if (id === null) return refuse(`"${quoted(first)}" is not an alert number.`);
  const text = words
    .join(" ")
    .replace(/^[:,-]\s*/, "")
    .trim();
  if (text === "") return refuse("What should the note say?");
  const problem = noteProblem(text);
  if (problem !== null) return refuse(problem);
  return { ok: true, args: { id, text } };
}

function handleNote(args: NoteArgs, ctx: CommandContext): string {
  const outcome = alertsWith(ctx, "note", "take notes").note(args.id, {
    by: ctx.person.name,
    at: ctx.now,
    note: args.text,
  });
  return outcome.ok
    ? `Noted on ${alertName(outcome.alert)} by ${ctx.person.name}: ${args.text}`
    : `#${args.id}: no such alert`;
}

/** `note`: adds a person's words to an alert's history, for whoever looks next. */
export const noteCommand: Command<NoteArgs> = {
  name: "note",
  effects: ["alerts-changed"],
  aliases: ["comment"],
  usage: USAGE,
  summary: "add a note to an alert's history",
  example: EXAMPLE,
  parse: parseNote,
  handler: handleNote,
};
