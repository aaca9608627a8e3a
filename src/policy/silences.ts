import { matches } from "./matcher.js";
import type { AlertFacts } from "./matcher.js";
import type { Matcher } from "./types.js";

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

/** The silences that mute this alert at `now`. */
export function activeSilences(alert: AlertFacts, silences: readonly Silence[], now: number): Silence[] {
  return silences.filter((s) => s.until > now && matches(s.matcher, alert));
}

/** True when at least one live silence matches the alert. */
export function isSilenced(alert: AlertFacts, silences: readonly Silence[], now: number): boolean {
  return activeSilences(alert, silences, now).length > 0;
}

/** When the alert stops being silenced (the last matching silence lapses), or null when it is not silenced. */
export function silencedUntil(alert: AlertFacts, silences: readonly Silence[], now: number): number | null {
  const active = activeSilences(alert, silences, now);
  return active.length === 0 ? null : Math.max(...active.map((s) => s.until));
}
