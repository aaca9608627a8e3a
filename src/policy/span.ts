import type { Span } from "./types.js";
import { instantAt, localTime, weekdayOf } from "./zoned-time.js";
import type { EpochDay, LocalTime } from "./zoned-time.js";

/** Decides whether an occurrence may open on a date (holidays say no). */
export type DayFilter = (day: EpochDay) => boolean;

const ANY_DAY: DayFilter = () => true;

/** True when the span closes on the day after it opens (22:00–06:00, or a whole day 08:00–08:00). */
export function isOvernight(span: Span): boolean {
  return span.until <= span.from;
}

function opensOn(span: Span, day: EpochDay, allowed: DayFilter): boolean {
  return span.days.includes(weekdayOf(day)) && allowed(day);
}

/**
 * The date on which the occurrence covering local time `t` opened, or null when none covers it.
 * An overnight occurrence belongs to the date it opened on, so 02:00 Saturday is Friday's night.
 */
export function occurrenceCovering(span: Span, t: LocalTime, allowed: DayFilter = ANY_DAY): EpochDay | null {
  if (isOvernight(span)) {
    if (t.minute >= span.from && opensOn(span, t.day, allowed)) return t.day;
    if (t.minute < span.until && opensOn(span, t.day - 1, allowed)) return t.day - 1;
    return null;
  }
  return t.minute >= span.from && t.minute < span.until && opensOn(span, t.day, allowed) ? t.day : null;
}

// Far enough to step over any run of holidays a config could list; beyond it the span never opens.
const HORIZON_DAYS = 800;

/** The first opening of the span strictly after `at` (ms), or null when it never opens again. */
export function nextStart(span: Span, zone: string, at: number, allowed: DayFilter = ANY_DAY): number | null {
  const today = localTime(at, zone).day;
  for (let day = today - 1; day <= today + HORIZON_DAYS; day++) {
    if (!opensOn(span, day, allowed)) continue;
    const opening = instantAt(day, span.from, zone);
    if (opening > at) return opening;
  }
  return null;
}

/** The instant the occurrence that opened on `day` closes. */
export function occurrenceEnd(span: Span, day: EpochDay, zone: string): number {
  return instantAt(isOvernight(span) ? day + 1 : day, span.until, zone);
}
