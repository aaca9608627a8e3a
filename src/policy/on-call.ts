import { occurrenceCovering } from "./windows.js";
import type { Person, Workgroup, Rotation, Shift } from "./types.js";
import { instantAt, localTime, parseDate, weekdayOf, type EpochDay } from "./zoned-time.js";

/**
 * Who answers for a workgroup at `at` (ms), in priority order: people standing in by override
 * (in listed order), then whoever's turn it is under the rotation, then the members list.
 * Each person appears once; names unknown to `people` are skipped (the config rejects them).
 */
export function onCall(workgroup: Workgroup, at: number, people: readonly Person[]): Person[] {
  const names: string[] = [];
  for (const o of workgroup.overrides) if (o.from <= at && at < o.until) names.push(o.person);
  if (workgroup.rotation !== null) {
    const turn = rotationTurn(workgroup.rotation, workgroup.timezone, at);
    if (turn !== null) names.push(turn.person);
  }
  names.push(...workgroup.members);
  const found: Person[] = [];
  for (const name of names) {
    const person = findPerson(people, name);
    if (person !== undefined && !found.includes(person)) found.push(person);
  }
  return found;
}

/**
 * The next moment after `at` when who is on call may change: an override starting or ending, a
 * shift opening or closing (read within the next two days; a day a shift does not run gives a look
 * that finds no change), or null when nothing ever changes it.
 */
export function nextLineChange(workgroup: Workgroup, at: number): number | null {
  // Asked at every look at an unanswered alert: worked out once per change (it holds until then).
  const known = lineChanges.get(workgroup);
  if (known !== undefined && known.from <= at && (known.next === null || at < known.next)) return known.next;
  const next = findLineChange(workgroup, at);
  lineChanges.set(workgroup, { from: at, next });
  return next;
}

const lineChanges = new WeakMap<Workgroup, { from: number; next: number | null }>();

function findLineChange(workgroup: Workgroup, at: number): number | null {
  const times = workgroup.overrides.flatMap((o) => [o.from, o.until]);
  if (workgroup.rotation !== null) {
    const zone = workgroup.timezone;
    const today = localTime(at, zone).day;
    for (const shift of workgroup.rotation.shifts)
      for (let day = today; day <= today + 2; day++)
        times.push(instantAt(day, shift.from, zone), instantAt(day, shift.until, zone));
  }
  const later = times.filter((t) => t > at);
  return later.length === 0 ? null : Math.min(...later);
}

/** Finds a person by name, ignoring case as the config's uniqueness check does. */
export function findPerson(people: readonly Person[], name: string): Person | undefined {
  const wanted = name.toLowerCase();
  return people.find((p) => p.name.toLowerCase() === wanted);
}

/** Finds a workgroup by name. */
export function findWorkgroup(workgroups: readonly Workgroup[], name: string): Workgroup | undefined {
  return workgroups.find((w) => w.name === name);
}

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
  for (const shift of rotation.shifts) {
    const day = occurrenceCovering(shift, zone, at);
    if (day === null || shift.people.length === 0) continue;
    const turn = occurrenceIndex(shift, start, day);
    const n = shift.people.length;
    const person = shift.people[((turn % n) + n) % n];
    if (person !== undefined) return { shift: shift.name, person, day };
  }
  return null;
}
