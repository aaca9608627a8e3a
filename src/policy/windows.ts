import { nextStart, occurrenceCovering } from "./span.js";
import type { DayFilter } from "./span.js";
import type { Window } from "./types.js";
import { localTime, parseDate } from "./zoned-time.js";

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
