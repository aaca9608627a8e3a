import { readDuration, SECOND_MS } from "../util/duration.js";
import type { ArgsResult } from "./types.js";

/** Ids a person may list in one command; more is a paste gone wrong. */
export const MAX_IDS = 50;

/** Longer notes belong in a ticket; this keeps history lines readable in chat (every note: `note`, `because`, forms). */
export const MAX_NOTE = 1_000;

/** How much of what a person typed a reply quotes back: enough to recognise it, never a paste. */
const QUOTED_CHARS = 40;

/** Text a person typed, shortened for quoting it back in a reply ("I don't know \"zzzz…\""). */
export function quoted(text: string): string {
  const chars = [...text];
  return chars.length > QUOTED_CHARS ? `${chars.slice(0, QUOTED_CHARS - 1).join("")}…` : text;
}

/** Why a note cannot be kept, or null when it can. */
export function noteProblem(note: string): string | null {
  return note.length > MAX_NOTE ? `That note is ${note.length} characters; keep it under ${MAX_NOTE}.` : null;
}

/**
 * A duration typed after "for" (or in a form's field), in ms, for `what` ("An ack", "A silence"):
 * refused with a sentence when unreadable, when a unit repeats, or when it rounds to nothing
 * (replies show whole seconds, and "acknowledged for 0s" helps nobody).
 */
export function readCommandDuration(
  text: string,
  what: string,
  examples: string,
): { ok: true; ms: number } | { ok: false; text: string } {
  const t = text.trim();
  const read = readDuration(t);
  if (!read.ok && read.problem === "repeated")
    return {
      ok: false,
      text: `"${quoted(t)}" gives a unit twice or out of order; write one duration, largest unit first, e.g. 2h or 1h30m.`,
    };
  if (!read.ok) return { ok: false, text: `I can't read "${quoted(t)}" as a duration; try ${examples}.` };
  return read.ms < SECOND_MS ? tooShort(what) : { ok: true, ms: read.ms };
}

/** The refusal of a length that rounds to nothing. */
export function tooShort(what: string): { ok: false; text: string } {
  return { ok: false, text: `${what} has to last longer than that.` };
}

/** A refusal that ends with the command's usage and example, so every parse error teaches the syntax. */
export function refuser(usage: string, example: string): (text: string) => { ok: false; humanMessage: string } {
  return (text) => ({ ok: false, humanMessage: `${text} Usage: ${usage}, e.g. "${example}".` });
}

/**
 * Splits off the note after the first "because": whatever follows is the note, even if it says
 * "for" or "because" again. `note` is null when the person said "because" and nothing after it.
 */
export function splitBecause(rest: string): { head: string; note: string | null } {
  const [head = "", ...noteParts] = rest.split(/\bbecause\b/i);
  const note = noteParts
    .join("because")
    .trim()
    .replace(/^[:,-]\s*/, "");
  return { head: head.trim().replace(/[,;]$/, ""), note: noteParts.length > 0 && note === "" ? null : note };
}

/**
 * The note after "because" (see splitBecause), refused when "because" has nothing after it or
 * the note is longer than MAX_NOTE.
 */
export function readBecause(rest: string): { ok: true; head: string; note: string } | { ok: false; text: string } {
  const { head, note } = splitBecause(rest);
  if (note === null) return { ok: false, text: 'Say why after "because".' };
  const problem = noteProblem(note);
  return problem === null ? { ok: true, head, note } : { ok: false, text: problem };
}

/** One alert number as people type it: `42`, `#42`, `42.`. */
export function readId(token: string): number | null {
  const m = /^#?(\d{1,9})[.:]?$/.exec(token);
  return m?.[1] === undefined || Number(m[1]) === 0 ? null : Number(m[1]);
}

/** Alert numbers separated by spaces, commas, "and" or "&", without repeats; the refusal names the first bad token. */
export function readIds(text: string): { ok: true; ids: number[] } | { ok: false; bad: string | null } {
  const ids: number[] = [];
  for (const token of text.split(/[\s,;]+/).filter((t) => t !== "" && !/^(and|&)$/i.test(t))) {
    const id = readId(token);
    if (id === null) return { ok: false, bad: token };
    if (!ids.includes(id)) ids.push(id);
  }
  return ids.length === 0 ? { ok: false, bad: null } : { ok: true, ids };
}

/** Exactly one alert number, for commands about one alert. */
export function readOneId(
  rest: string,
  refuse: (text: string) => { ok: false; humanMessage: string },
): ArgsResult<number> {
  const text = rest.trim();
  if (text === "") return refuse("Which alert?");
  const ids = readIds(text);
  if (!ids.ok) return refuse(ids.bad === null ? "Which alert?" : `"${quoted(ids.bad)}" is not an alert number.`);
  if (ids.ids.length > 1) return refuse("One alert at a time, please.");
  return { ok: true, args: ids.ids[0] ?? 0 };
}
