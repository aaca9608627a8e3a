import type { Span, Window, Policy, Workgroup } from "./types.js";
import { instantAt, localTime, weekdayOf, type EpochDay, type LocalTime, parseDate } from "./zoned-time.js";

/** Decides whether an occurrence may open on a date (holidays say no). */
export type DayFilter = (day: EpochDay) => boolean;

const ANY_DAY: DayFilter = () => true;

/** True when the span closes on the day after it opens (22:00–06:00, or a whole day 08:00–08:00). */
function isOvernight(span: Span): boolean {
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
function nextStart(span: Span, zone: string, at: number, allowed: DayFilter = ANY_DAY): number | null {
  const today = localTime(at, zone).day;
  for (let day = today - 1; day <= today + HORIZON_DAYS; day++) {
    if (!opensOn(span, day, allowed)) continue;
    const opening = instantAt(day, span.from, zone);
    if (opening > at) return opening;
  }
  return null;
}

function notHoliday(window: Window): DayFilter {
  const closed = new Set(window.holidays.map(parseDate));
  return (day) => !closed.has(day);
}

/** True when the window is open at `at` (ms), read on the window's own wall clock. */
export function isOpen(window: Window, at: number): boolean {
  return occurrenceCovering(window, localTime(at, window.timezone), notHoliday(window)) !== null;
}

/**
 * When notifications held for this window may go out: `at` itself when it is open, else the next
 * opening, or null when it never opens again (every remaining day a holiday, say).
 */
export function nextOpening(window: Window, at: number): number | null {
  return isOpen(window, at) ? at : nextStart(window, window.timezone, at, notHoliday(window));
}

/**
 * When the window's occurrence open at `at` shuts, or null when it is shut at `at`. The policy looks
 * at a held chain then, so that time shut is not counted towards its steps and reminders.
 */
export function nextClosing(window: Window, at: number): number | null {
  const opened = occurrenceCovering(window, localTime(at, window.timezone), notHoliday(window));
  if (opened === null) return null;
  return instantAt(isOvernight(window) ? opened + 1 : opened, window.until, window.timezone);
}

const STEP_MS = 60_000;
const MAX_STEPS = 60 * 24 * 400; // a year and a bit of minutes: no window is that long without closing

/**
 * When `ms` of open time in `window` will have passed, counting from `from` ("ack 42 for 4 working
 * hours" on a Friday afternoon runs into Monday). Minute resolution; null if the window never opens.
 */
export function addOpenTime(window: Window, from: number, ms: number): number | null {
  let at = from;
  let left = ms;
  for (let steps = 0; left > 0 && steps < MAX_STEPS; steps++) {
    if (!isOpen(window, at)) {
      const opens = nextOpening(window, at);
      if (opens === null) return null;
      at = opens;
      continue;
    }
    const step = Math.min(STEP_MS, left);
    at += step;
    left -= step;
  }
  return left > 0 ? null : at;
}

/**
 * The window "N working hours" counts for an alert of `workgroup`: the one the workgroup names in
 * `working_hours`, else the window named `working_hours`, else the first window configured.
 */
export function workingHoursWindow(
  policy: Pick<Policy, "windows">,
  workgroup: Pick<Workgroup, "workingHours"> | undefined,
): Window | undefined {
  const named = workgroup?.workingHours ?? "working_hours";
  return (Object.hasOwn(policy.windows, named) ? policy.windows[named] : undefined) ?? Object.values(policy.windows)[0];
}
