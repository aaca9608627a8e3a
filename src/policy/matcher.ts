import type { AlertRecord } from "../alerts/types.js";
import type { Matcher } from "./types.js";

/** The fields of an alert that rules and silences look at. */
export type AlertFacts = Pick<AlertRecord, "source" | "alertId" | "subject" | "importance">;

/** A compiled pattern, or why the text is not one. */
export type PatternResult = { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly reason: string };

const REGEX_FORM = /^\/(.*)\/([a-z]*)$/s;
const REGEX_FLAGS = /^[imsu]*$/;

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
    if (nestedQuantifier(body)) {
      return { ok: false, reason: "a repeated group that itself repeats (like (a+)+) can take exponential time: write it without the nesting" };
    }
    try {
      return { ok: true, regex: new RegExp(body, flags) };
    } catch (err) {
      return { ok: false, reason: `not a valid regex (${(err as Error).message})` };
    }
  }
  const body = text.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return { ok: true, regex: new RegExp(`^${body}$`, "is") };
}

/**
 * Whether a quantified group contains a quantifier: the shape behind catastrophic backtracking
 * ((a+)+, (x*y?)*). People type silences at run time, so such patterns are refused, not run.
 */
function nestedQuantifier(body: string): boolean {
  const groups: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "(") groups.push(false);
    else if (c === ")") {
      const inner = groups.pop() ?? false;
      const next = body[i + 1];
      const quantified = next === "*" || next === "+" || next === "{";
      if (inner && quantified) return true;
      if (groups.length > 0 && (inner || quantified)) groups[groups.length - 1] = true;
    } else if ((c === "*" || c === "+" || c === "{") && groups.length > 0) groups[groups.length - 1] = true;
  }
  return false;
}

// Silences arrive at run time, so the cache is bounded rather than keyed by config lifetime.
const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 2_000;

function regexOf(pattern: string): RegExp | null {
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
  return anyMatches(matcher.source, alert.source) && anyMatches(matcher.subject, alert.subject) && anyMatches(matcher.alertId, alert.alertId);
}
