/** Milliseconds in a second, minute, hour, day and week: the units config bounds and defaults are written in. */
export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

/** Milliseconds in each duration unit, by every spelling we accept ("m", "min", "minutes"...). */
const UNIT_MS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const add = (ms: number, ...names: string[]): void => names.forEach((n) => (table[n] = ms));
  add(SECOND_MS, "s", "sec", "secs", "second", "seconds");
  add(MINUTE_MS, "m", "min", "mins", "minute", "minutes");
  add(HOUR_MS, "h", "hr", "hrs", "hour", "hours");
  add(DAY_MS, "d", "day", "days");
  add(WEEK_MS, "w", "wk", "wks", "week", "weeks");
  return table;
})();

// One "<number><unit>" term; terms may be glued ("1h30m") or spaced ("1 hour 30 minutes").
const TERM = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:,\s*|and\s+)?/;

/** Why a duration could not be read: not a duration at all, or a unit given twice or out of order. */
export type DurationProblem = "unreadable" | "repeated";

/**
 * Reads a duration such as "90s", "5m", "2h", "1d", "1h30m" or "2 hours" into milliseconds.
 * A bare number is refused because its unit would be a guess; so are terms that do not go from
 * larger units to smaller ones ("2h 2h", "30m 1h"): adding them up silently turned a slip into
 * a longer ack than anyone asked for.
 */
export function readDuration(text: string): { ok: true; ms: number } | { ok: false; problem: DurationProblem } {
  let rest = text
    .trim()
    .toLowerCase()
    .replace(/^an?\s+(?=[a-z])/, "1 ");
  if (rest === "") return { ok: false, problem: "unreadable" };
  let total = 0;
  let previous = Infinity;
  while (rest !== "") {
    const m = TERM.exec(rest);
    const unit = m?.[2] === undefined ? undefined : UNIT_MS[m[2]];
    if (m === null || unit === undefined) return { ok: false, problem: "unreadable" };
    if (unit >= previous) return { ok: false, problem: "repeated" };
    previous = unit;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? { ok: true, ms } : { ok: false, problem: "unreadable" };
}

/** Like readDuration, with null for anything it refuses (config values, where the key names the problem). */
export function parseDuration(text: string): number | null {
  const read = readDuration(text);
  return read.ok ? read.ms : null;
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ["d", DAY_MS],
  ["h", HOUR_MS],
  ["m", MINUTE_MS],
  ["s", SECOND_MS],
];

/** Writes milliseconds compactly with at most two units ("1h30m", "7d", "45s"), rounding down to the second. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  const parts: string[] = [];
  for (const [name, size] of FORMAT_UNITS) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    // Once the largest unit is written, a zero in the next one ends the text ("2d", not "2d0h").
    if (n > 0) parts.push(`${n}${name}`);
    else if (parts.length > 0) break;
    rest -= n * size;
  }
  return parts.length > 0 ? parts.join("") : "0s";
}
