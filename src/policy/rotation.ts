import { occurrenceCovering } from "./span.js";
import type { Rotation, Shift } from "./types.js";
import { localTime, parseDate, weekdayOf } from "./zoned-time.js";
import type { EpochDay } from "./zoned-time.js";

/** Who covers a moment under a rotation, and which shift occurrence that is. */
export interface ShiftTurn {
  readonly shift: string;
  readonly person: string;
  /** The local date the occurrence opened on (YYYY-MM-DD as an epoch day). */
  readonly day: EpochDay;
}

/** Which occurrence of the shift opened on `day`, counted from the rotation's start (negative before it). */
function occurrenceIndex(shift: Shift, start: EpochDay, day: EpochDay): number {
  const n = day - start;
  const weeks = Math.floor(n / 7);
  if (shift.cycle === "week") return weeks;
  let count = weeks * shift.days.length;
  for (let d = start + weeks * 7; d < day; d++) if (shift.days.includes(weekdayOf(d))) count++;
  return count;
}

/** The person whose turn the moment `at` (ms) is under `rotation` in `zone`, or null when no shift covers it. */
export function rotationTurn(rotation: Rotation, zone: string, at: number): ShiftTurn | null {
  const start = parseDate(rotation.start);
  if (start === null) return null;
  const local = localTime(at, zone);
  for (const shift of rotation.shifts) {
    const day = occurrenceCovering(shift, local);
    if (day === null || shift.people.length === 0) continue;
    const turn = occurrenceIndex(shift, start, day);
    const n = shift.people.length;
    const person = shift.people[((turn % n) + n) % n];
    if (person !== undefined) return { shift: shift.name, person, day };
  }
  return null;
}
