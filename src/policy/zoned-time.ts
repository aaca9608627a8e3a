import { DAY_MS } from "../util/duration.js";
import type { Weekday } from "./types.js";

/**
 * Wall-clock arithmetic in IANA zones with Intl only. Windows and shifts are written as local
 * times ("08:00 Europe/London"), so every comparison happens on the local clock and instants are
 * derived from it; that is what keeps a handover at 08:00 on the nights the clocks change.
 */

/** A calendar date as a count of days since 1970-01-01, so dates add and compare as numbers. */
export type EpochDay = number;

/** The local reading of an instant in a zone. */
export interface LocalTime {
  readonly day: EpochDay;
  /** Minutes after local midnight, 0–1439. */
  readonly minute: number;
  readonly weekday: Weekday;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The local wall clock at `at`, as if it were UTC (ms), to the second. */
function wallClock(at: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(at)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset from UTC at `at` (ms; Europe/London in summer gives 3,600,000). */
export function zoneOffset(at: number, zone: string): number {
  return wallClock(at, zone) - Math.floor(at / 1000) * 1000;
}

/** Reads an instant on the local clock of `zone`. */
export function localTime(at: number, zone: string): LocalTime {
  const wall = wallClock(at, zone);
  const day = Math.floor(wall / DAY_MS);
  return { day, minute: Math.floor((wall - day * DAY_MS) / 60_000), weekday: weekdayOf(day) };
}

/** The ISO weekday of a date (1970-01-01 was a Thursday). */
export function weekdayOf(day: EpochDay): Weekday {
  return (((((day + 3) % 7) + 7) % 7) + 1) as Weekday;
}

/**
 * The first instant whose local reading is at or after `minute` on `day`. A time skipped by a
 * spring-forward gap maps to the end of the gap; a time repeated in autumn maps to its first occurrence.
 */
export function instantAt(day: EpochDay, minute: number, zone: string): number {
  const wall = day * DAY_MS + minute * 60_000;
  // The offsets a day either side bracket any single transition near this wall time.
  const before = wall - zoneOffset(wall - DAY_MS, zone);
  const after = wall - zoneOffset(wall + DAY_MS, zone);
  const valid = [before, after].filter((t) => wallClock(t, zone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: binary-search the transition, the first instant whose wall clock has passed `wall`.
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (wallClock(mid, zone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Parses a local date "YYYY-MM-DD" into an epoch day, or null when it is not a real date. */
export function parseDate(text: string): EpochDay | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

/**
 * An instant as a person reads it: their zone's wall clock to the minute, the zone named,
 * e.g. `2026-01-05 18:00 Asia/Tokyo`.
 */
export function formatInZone(at: number, zone: string): string {
  const wall = new Date(Math.floor(at / 60_000) * 60_000 + zoneOffset(at, zone));
  return `${wall.toISOString().slice(0, 16).replace("T", " ")} ${zone}`;
}

/**
 * The zone a person reads times in: their own, else the zone of the workgroup (of the alert, or
 * the first that lists them), else UTC.
 */
export function readerZone(
  policy: {
    readonly people: readonly { name: string; timezone: string | null }[];
    readonly workgroups: readonly { name: string; members: readonly string[]; timezone: string }[];
  },
  person: string,
  workgroup?: string,
): string {
  const own = policy.people.find((p) => p.name === person)?.timezone;
  if (own) return own;
  const group =
    policy.workgroups.find((w) => w.name === workgroup) ?? policy.workgroups.find((w) => w.members.includes(person));
  return group?.timezone ?? "UTC";
}
