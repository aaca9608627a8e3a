import type { Span, Window, Policy, Workgroup } from "./types.js";
import { instantAt, localTime, weekdayOf, type EpochDay, parseDate } from "./zoned-time.js";

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
 * The instants one occurrence spans: from the first moment its opening time is read on `day` to the
 * first its closing time is read after. Read as instants, not as local times of day: on the night
 * the clocks go back, 20:00-01:30 closes at the first 01:30 and the repeated half hour after it,
 * read as 01:00-01:30 again, is past its end, not a second stretch of the same night.
 */
function occurrenceSpan(span: Span, zone: string, day: EpochDay): { from: number; until: number } {
  return {
    from: instantAt(day, span.from, zone),
    until: instantAt(isOvernight(span) ? day + 1 : day, span.until, zone),
  };
}

/**
 * The date on which the occurrence covering the instant `at` opened, or null when none covers it.
 * An overnight occurrence belongs to the date it opened on, so 02:00 Saturday is Friday's night.
 */
export function occurrenceCovering(
  span: Span,
  zone: string,
  at: number,
  allowed: DayFilter = ANY_DAY,
): EpochDay | null {
  const today = localTime(at, zone).day;
  // An occurrence ends on the local day after it opens at the latest, so it opened today or, overnight, yesterday.
  for (const day of isOvernight(span) ? [today, today - 1] : [today]) {
    if (!opensOn(span, day, allowed)) continue;
    const { from, until } = occurrenceSpan(span, zone, day);
    if (from <= at && at < until) return day;
  }
  return null;
}

// Far enough to step over any run of holidays a config could list; beyond it the span never opens.
const HORIZON_DAYS = 800;

/**
 * The first opening of the span strictly after `at` (ms), or null when it never opens again. An
 * occurrence the clocks skip whole (02:00-02:30 the night they go forward) is no opening.
 */
function nextStart(span: Span, zone: string, at: number, allowed: DayFilter = ANY_DAY): number | null {
  const today = localTime(at, zone).day;
  for (let day = today - 1; day <= today + HORIZON_DAYS; day++) {
    if (!opensOn(span, day, allowed)) continue;
    const { from, until } = occurrenceSpan(span, zone, day);
    if (from > at && from < until) return from;
  }
  return null;
}

function notHoliday(window: Window): DayFilter {
  const closed = new Set(window.holidays.map(parseDate));
  return (day) => !closed.has(day);
}

/** True when the window is open at `at` (ms), read on the window's own wall clock. */
export function isOpen(window: Window, at: number): boolean {
  return occurrenceCovering(window, window.timezone, at, notHoliday(window)) !== null;
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
  const opened = occurrenceCovering(window, window.timezone, at, notHoliday(window));
  return opened === null ? null : occurrenceSpan(window, window.timezone, opened).until;
}

// Two years and a bit of daily occurrences: no count of working hours asked for runs longer.
const MAX_OCCURRENCES = HORIZON_DAYS;

/**
 * When `ms` of open time in `window` will have passed, counting from `from` ("ack 42 for 4 working
 * hours" on a Friday afternoon runs into Monday), occurrence by occurrence, each counted as the
 * time between its instants (an hour shorter the night the clocks go forward); null if the window
 * never opens again.
 */
export function addOpenTime(window: Window, from: number, ms: number): number | null {
  let at = from;
  let left = ms;
  for (let occurrences = 0; left > 0; occurrences++) {
    if (occurrences > MAX_OCCURRENCES) return null;
    const opens = nextOpening(window, at);
    if (opens === null) return null;
    const closes = nextClosing(window, opens);
    if (closes === null) {
      at = opens; // an opening that is no stretch of time at all (skipped by the clocks going forward)
      continue;
    }
    const taken = Math.min(closes - opens, left);
    at = opens + taken;
    left -= taken;
  }
  return at;
}

/**
 * The window "N working hours" counts for an alert of `workgroup`: the one the workgroup names in
 * `working_hours`, else the window named `working_hours`, else the first window configured.
 */
export function workingHoursWindow(
  policy: Pick<Policy, "windows">,
  workgroup: Pick<Workgroup, "workingHours"> | undefined,
): Window | undefined {
  return windowNamed(policy, workgroup?.workingHours ?? "working_hours") ?? Object.values(policy.windows)[0];
}

/** The window configured under `name`, if any (a name like "constructor" is no window). */
export function windowNamed(policy: Pick<Policy, "windows">, name: string | null | undefined): Window | undefined {
  return name !== null && name !== undefined && Object.hasOwn(policy.windows, name) ? policy.windows[name] : undefined;
}
