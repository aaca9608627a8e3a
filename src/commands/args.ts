import type { ArgsResult } from "./types.js";

/** Ids a person may list in one command; more is a paste gone wrong. */
export const MAX_IDS = 50;

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
  if (!ids.ok) return refuse(ids.bad === null ? "Which alert?" : `"${ids.bad}" is not an alert number.`);
  if (ids.ids.length > 1) return refuse("One alert at a time, please.");
  return { ok: true, args: ids.ids[0] ?? 0 };
}
