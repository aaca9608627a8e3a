import type { AlertRecord } from "../alerts/types.js";
import { compilePattern } from "../policy/matcher.js";
import type { ImportanceRange, Matcher } from "../policy/types.js";
import { quoted } from "./args.js";

/** What `silence` was pointed at: alerts matching a matcher, or one alert by its number. */
export type SilenceTarget =
  { readonly kind: "matcher"; readonly matcher: Matcher } | { readonly kind: "alert"; readonly shortId: number };

type PatternKey = "source" | "alertId" | "subject";

/** The words people use for each matcher field; the first is how the bot writes it back. */
const KEYS: Readonly<Record<string, PatternKey | "importance">> = {
  source: "source",
  src: "source",
  host: "source",
  sources: "source",
  hosts: "source",
  id: "alertId",
  ids: "alertId",
  alert: "alertId",
  alertid: "alertId",
  "alert-id": "alertId",
  alert_id: "alertId",
  check: "alertId",
  subject: "subject",
  subj: "subject",
  importance: "importance",
  imp: "importance",
  priority: "importance",
};
const SHOWN: Readonly<Record<PatternKey, string>> = { source: "source", alertId: "id", subject: "subject" };
const EVERYTHING = new Set(["everything", "all", "*"]);
const REGEX = /^\/.*\/[a-z]*$/s;

/** Matcher syntax for help and refusals. */
export const MATCHER_SYNTAX =
  'source=web*, id=disk-*, subject="db *", importance>=80, /regex/, #42 or everything; a bare word is a source';

type Parsed = { ok: true; target: SilenceTarget } | { ok: false; text: string };

// Whitespace-separated tokens; "double quotes" keep spaces inside one value.
function tokens(text: string): string[] {
  const spaced = text.trim().replace(/\s*(>=|<=|=|>|<)\s*/g, "$1");
  return spaced.match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
}

function unquote(value: string): string {
  return value.replace(/"/g, "");
}

function patterns(value: string): { ok: true; list: string[] } | { ok: false; text: string } {
  const raw = unquote(value);
  const list = REGEX.test(raw) ? [raw] : raw.split(",").filter((v) => v !== "");
  if (list.length === 0) return { ok: false, text: `"${quoted(value)}" gives no pattern.` };
  for (const p of list) {
    // A space ends a token, so "/web 1/" typed bare arrives as "/web" and "1/": taken as globs, it
    // silenced something else than asked. A token that opens a regex must close it.
    if (p.startsWith("/") && !REGEX.test(p))
      return {
        ok: false,
        text: `"${quoted(p)}" starts a /regex/ but does not end one. A regex with spaces goes in double quotes, e.g. source="/web 1/".`,
      };
    const compiled = compilePattern(p);
    if (!compiled.ok) return { ok: false, text: `"${quoted(p)}" is ${compiled.reason}.` };
  }
  return { ok: true, list };
}

// Importance is Mauve's number only: "urgent", "normal" and "low" are the levels the rules give.
function importance(op: string, value: string): ImportanceRange | null {
  const range = /^(\d{1,6})(?:-|\.\.)(\d{1,6})$/.exec(value);
  if (range !== null && op === "=") return { min: Number(range[1]), max: Number(range[2]) };
  if (!/^\d{1,6}$/.test(value)) return null;
  const n = Number(value);
  const ranges: Readonly<Record<string, ImportanceRange>> = {
    "=": { min: n, max: n },
    ":": { min: n, max: n },
    ">=": { min: n },
    ">": { min: n + 1 },
    "<=": { max: n },
    "<": { max: n - 1 },
  };
  return ranges[op] ?? null;
}

/** Reads a matcher as people type it (see MATCHER_SYNTAX); every pattern is checked with the policy's compilePattern. */
export function parseMatcher(text: string): Parsed {
  const words = tokens(text);
  if (words.length === 0) return { ok: false, text: "What should I silence?" };
  const first = words[0] ?? "";
  const alertRef = /^#?(\d{1,9})$/.exec(first);
  if (words.length === 1 && alertRef !== null && Number(alertRef[1]) > 0)
    return { ok: true, target: { kind: "alert", shortId: Number(alertRef[1]) } };
  if (words.length === 1 && EVERYTHING.has(first.toLowerCase()))
    return { ok: true, target: { kind: "matcher", matcher: {} } };
  const fields: { -readonly [K in keyof Matcher]: Matcher[K] } = {};
  for (const word of words) {
    const m = /^([a-z][\w-]*)(>=|<=|=|>|<|:)(.*)$/i.exec(word);
    const name = (m?.[1] ?? "").toLowerCase();
    // Own keys only: "constructor=web1" read Object's constructor as a field, and silenced everything.
    const key = m === null || !Object.hasOwn(KEYS, name) ? undefined : KEYS[name];
    if (m !== null && key === undefined && !REGEX.test(word))
      return {
        ok: false,
        text: `I don't know the field "${quoted(m[1] ?? "")}"; use source, id, subject or importance.`,
      };
    if (/^#?\d+$/.test(word))
      return { ok: false, text: `To silence one alert, say "silence #${word.replace("#", "")} for …" on its own.` };
    if (key === "importance") {
      const range = importance(m?.[2] ?? "", unquote(m?.[3] ?? ""));
      if (range === null)
        return {
          ok: false,
          text: `I can't read "${quoted(word)}"; try importance>=80 or importance=40-59 (urgent, normal and low are levels the rules give, not importances).`,
        };
      if (fields.importance !== undefined) return { ok: false, text: "Give importance once." };
      fields.importance = range;
      continue;
    }
    if (m !== null && m[2] !== "=" && m[2] !== ":")
      return { ok: false, text: `"${m[2]}" only works with importance; write ${m[1]}=pattern.` };
    const read = patterns(key === undefined ? word : (m?.[3] ?? ""));
    if (!read.ok) return read;
    const field = key ?? "source";
    fields[field] = [...(fields[field] ?? []), ...read.list];
  }
  return { ok: true, target: { kind: "matcher", matcher: fields } };
}

function shownPattern(p: string): string {
  return /[\s"]/.test(p) && !REGEX.test(p) ? `"${p}"` : p;
}

function shownImportance(r: ImportanceRange): string {
  if (r.min !== undefined && r.min === r.max) return `importance=${r.min}`;
  if (r.min !== undefined && r.max !== undefined) return `importance=${r.min}-${r.max}`;
  return r.min !== undefined ? `importance>=${r.min}` : `importance<=${r.max ?? 0}`;
}

/** Writes a matcher back in the syntax `parseMatcher` reads: `source=web* id=disk-*`, or "everything". */
export function formatMatcher(matcher: Matcher): string {
  const parts: string[] = [];
  for (const key of ["source", "alertId", "subject"] as const) {
    const list = matcher[key];
    if (list !== undefined && list.length > 0) parts.push(`${SHOWN[key]}=${list.map(shownPattern).join(",")}`);
  }
  if (matcher.importance !== undefined) parts.push(shownImportance(matcher.importance));
  return parts.length === 0 ? "everything" : parts.join(" ");
}

// A literal as a pattern: plain text is an exact (case-insensitive) glob unless it has glob or regex characters.
function literal(text: string): string {
  return /[*?]/.test(text) || text.startsWith("/") ? `/^${text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$/` : text;
}

/** The matcher that covers exactly one alert: its source and its id. */
export function exactMatcher(alert: Pick<AlertRecord, "source" | "alertId">): Matcher {
  return { source: [literal(alert.source)], alertId: [literal(alert.alertId)] };
}
