import type { RE2JS as Re2 } from "re2js";
import type { AlertRecord } from "../alerts/types.js";
import { onFirstUse } from "../util/on-first-use.js";
import type { Matcher, Level, Rule } from "./types.js";

/** The fields of an alert that rules and silences look at. */
export type AlertFacts = Pick<AlertRecord, "source" | "alertId" | "subject" | "importance">;

/** A compiled pattern: whether it matches a text. */
export interface CompiledPattern {
  test(text: string): boolean;
}

/** A compiled pattern, or why the text is not one. */
export type PatternResult =
  { readonly ok: true; readonly regex: CompiledPattern } | { readonly ok: false; readonly reason: string };

const REGEX_FORM = /^\/(.*)\/([a-z]*)$/s;
const REGEX_FLAGS = /^[imsu]*$/;
// Loaded at the first pattern: an agent's configuration seldom has one.
const re2 = onFirstUse<{ RE2JS: typeof Re2 }>("re2js");

/** Loads the regex engine now (AlertBot: a silence typed at night compiles one; see loadHtmlParsers). */
export function loadPatternEngine(): void {
  re2();
}
// The engine's flag for each of ours; "u" adds none.
const RE2_FLAGS: Readonly<Record<string, "CASE_INSENSITIVE" | "MULTILINE" | "DOTALL">> = {
  i: "CASE_INSENSITIVE",
  m: "MULTILINE",
  s: "DOTALL",
};
// JavaScript reads "\k<name>" as a backreference, which the translation to RE2 syntax would turn into text.
const NAMED_BACKREFERENCE = /(?<!\\)(?:\\\\)*\\k</;

/**
 * Compiles a pattern: `/regex/flags` (flags among i, m, s, u; unanchored, as regexes are) or a
 * glob where `*` is any run and `?` one character, matching the whole text case-insensitively,
 * because host names and subjects are typed by people who do not think about case.
 */
export function compilePattern(text: string): PatternResult {
  const m = REGEX_FORM.exec(text);
  if (m !== null && text.length > 1) {
    const [, body = "", flags = ""] = m;
    if (!REGEX_FLAGS.test(flags)) return { ok: false, reason: `regex flags may only be i, m, s or u, got "${flags}"` };
    try {
      new RegExp(body, flags); // JavaScript's own check first: its messages are the ones people know
    } catch (err) {
      return { ok: false, reason: `not a valid regex (${(err as Error).message})` };
    }
    return linear(body, flags);
  }
  const body = text
    .replace(/[.+^${}()|[\]\\/]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return linear(`^${body}$`, "is");
}

/**
 * Patterns are run by RE2 (re2js, pure JavaScript), which matches in time linear in the text
 * whatever the pattern, so a silence typed at run time like /(a+)+$/ cannot stall the bot, as it
 * can with a backtracking engine. RE2 has no backreferences or lookaround: those are refused.
 */
function linear(body: string, flags: string): PatternResult {
  const unsupported = (detail: string): PatternResult => ({
    ok: false,
    reason: `a regex the linear-time engine (RE2) cannot run: it has no backreferences or lookaround (${detail})`,
  });
  if (NAMED_BACKREFERENCE.test(body)) return unsupported("\\k<...>");
  const { RE2JS } = re2();
  const bits = [...flags].reduce((all, f) => {
    const flag = RE2_FLAGS[f];
    return flag === undefined ? all : all | RE2JS[flag];
  }, 0);
  try {
    return { ok: true, regex: RE2JS.compile(RE2JS.translateRegExp(body), bits) };
  } catch (err) {
    return unsupported((err as Error).message.replace(/^error parsing regexp: /, ""));
  }
}

// Silences arrive at run time, so the cache is bounded rather than keyed by config lifetime.
const cache = new Map<string, CompiledPattern | null>();
const CACHE_LIMIT = 2_000;

function regexOf(pattern: string): CompiledPattern | null {
  let regex = cache.get(pattern);
  if (regex === undefined) {
    const compiled = compilePattern(pattern);
    regex = compiled.ok ? compiled.regex : null;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, regex);
  }
  return regex;
}

function anyMatches(patterns: readonly string[] | undefined, text: string): boolean {
  if (patterns === undefined) return true;
  // An invalid pattern (a silence typed wrongly) matches nothing rather than everything.
  return patterns.some((p) => regexOf(p)?.test(text) === true);
}

/** True when the alert satisfies every field the matcher gives (an empty matcher matches all). */
export function matches(matcher: Matcher, alert: AlertFacts): boolean {
  const range = matcher.importance;
  if (range?.min !== undefined && alert.importance < range.min) return false;
  if (range?.max !== undefined && alert.importance > range.max) return false;
  return (
    anyMatches(matcher.source, alert.source) &&
    anyMatches(matcher.subject, alert.subject) &&
    anyMatches(matcher.alertId, alert.alertId)
  );
}

/** What the rules decided for one alert. */
export interface Classification {
  readonly level: Level;
  readonly workgroup: string;
  /** The window notifications wait for, when the rule names one. */
  readonly window?: string;
  /** Which rule matched (its index in the config's `rules` list). */
  readonly ruleIndex: number;
}

/**
 * Classifies an alert by the first rule that matches it. The config guarantees a last rule without
 * a matcher, so running off the end is a bug in whoever built the rules, and throws.
 */
export function classify(rules: readonly Rule[], alert: AlertFacts): Classification {
  const ruleIndex = rules.findIndex((rule) => matches(rule.match, alert));
  const rule = rules[ruleIndex];
  if (rule === undefined) throw new Error("policy rules have no default: the last rule must match every alert");
  const base = { level: rule.level, workgroup: rule.workgroup, ruleIndex };
  return rule.window === null ? base : { ...base, window: rule.window };
}

/** A person's "don't tell anyone about these until then", kept by the bot as plain JSON. */
export interface Silence {
  readonly id: string;
  /** Same language as rules: globs or /regex/ on source, subject, alert id; importance ranges. */
  readonly matcher: Matcher;
  /** When it lapses (ms). */
  readonly until: number;
  /** The person who made it. */
  readonly by: string;
  readonly why: string;
}

/** What decides whether a silence mutes an alert: the bot's stored silences (numbered) fit too. */
export type Muting = Pick<Silence, "matcher" | "until">;

/** The silences that mute this alert at `now`. */
export function activeSilences<S extends Muting>(alert: AlertFacts, silences: readonly S[], now: number): S[] {
  return silences.filter((s) => s.until > now && matches(s.matcher, alert));
}

/** True when at least one live silence matches the alert. */
export function isSilenced(alert: AlertFacts, silences: readonly Muting[], now: number): boolean {
  return activeSilences(alert, silences, now).length > 0;
}

/** When the alert stops being silenced (the last matching silence lapses), or null when it is not silenced. */
export function silencedUntil(alert: AlertFacts, silences: readonly Muting[], now: number): number | null {
  const active = activeSilences(alert, silences, now);
  return active.length === 0 ? null : Math.max(...active.map((s) => s.until));
}
