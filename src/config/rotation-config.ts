import type { Rotation } from "../policy/types.js";
import { parseDate, instantAt } from "../policy/zoned-time.js";
import { list, object, optional, transform } from "../schema/combinators.js";
import { name } from "./common.js";
import { hours, localDate, weekdays } from "./policy-scalars.js";
import { expected } from "../schema/reader.js";
import type { Reader } from "../schema/reader.js";
import { enumOf } from "../schema/scalars.js";

const shift = transform(
  object({
    name: name("night"),
    days: optional(weekdays(), "mon-sun"),
    hours: hours(),
    people: list(name(), { min: 1 }),
    cycle: optional(enumOf("shift", "week"), "week"),
  }),
  (s) => ({ name: s.name, days: s.days, from: s.hours.from, until: s.hours.until, people: s.people, cycle: s.cycle }),
);

/** Reads a workgroup's `rotation: { start, shifts }`; shift names must be unique. */
export const rotationReader: Reader<Rotation> = object({
  start: localDate(),
  shifts: list(shift, { min: 1, unique: [{ key: "name", of: (s) => s.name }] }),
});

/** A date and time as written, before the workgroup's time zone gives it an instant. */
export interface WrittenTime {
  readonly text: string;
  /** The instant, when the text carried its own offset ("Z", "+01:00"). */
  readonly instant: number | null;
  /** Otherwise the local date and time, in ms after local midnight. */
  readonly day: number;
  readonly ms: number;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Reads "2026-03-28 20:00" (local to the workgroup) or an ISO time with an offset ("2026-03-28T20:00Z"). */
export function writtenTime(): Reader<WrittenTime> {
  return (value, path, ctx) => {
    const text = value instanceof Date ? value.toISOString() : value;
    const m = typeof text === "string" ? DATE_TIME.exec(text.trim()) : null;
    const day = m?.[1] === undefined ? null : parseDate(m[1]);
    const [h, min, s] = [Number(m?.[2]), Number(m?.[3]), Number(m?.[4] ?? 0)];
    if (m === null || day === null || !(h < 24 && min < 60 && s < 60)) {
      return expected('a date and time like "2026-03-28 20:00" or "2026-03-28T20:00:00Z"', value, path, ctx);
    }
    const ms = ((h * 60 + min) * 60 + s) * 1000;
    const zone = m[5];
    if (zone === undefined) return { text: String(text), instant: null, day, ms };
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone === "Z" ? "0000" : zone.slice(1).replace(":", "");
    const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    return { text: String(text), instant: day * 86_400_000 + ms - offset, day, ms };
  };
}

/** The instant a written time stands for in `zone`. */
export function instantOf(t: WrittenTime, zone: string): number {
  return t.instant ?? instantAt(t.day, Math.floor(t.ms / 60_000), zone) + (t.ms % 60_000);
}

/** Reads `overrides: [{ person, from, until }]` with times still as written (the workgroup's zone applies). */
export const overridesReader = optional(list(object({ person: name(), from: writtenTime(), until: writtenTime() })), []);
