import { name } from "./common.js";
import { channelTiers, hours, localDate, weekdays } from "./policy-scalars.js";
import type { Workgroup, EscalationPolicy, EscalationStep, Level, StepTarget, Rotation } from "../policy/types.js";
import { parseDate, instantAt } from "../policy/zoned-time.js";
import { list, maybe, object, optional, transform, orFalse, check } from "../schema/combinators.js";
import { type Reader, expected } from "../schema/reader.js";
import { bareJid, timeZone, duration, enumOf } from "../schema/scalars.js";
import { formatDuration, MINUTE_MS, WEEK_MS } from "../util/duration.js";

const TARGET_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

/** Reads who a step notifies: oncall, next, all, a person's name, or workgroup:<name>. */
function target(): Reader<StepTarget> {
  return (value, path, ctx) => {
    if (value === "oncall" || value === "next" || value === "all") return { kind: value };
    if (typeof value === "string" && value.startsWith("workgroup:") && TARGET_NAME.test(value.slice(10))) {
      return { kind: "workgroup", name: value.slice(10) };
    }
    if (typeof value === "string" && TARGET_NAME.test(value)) return { kind: "person", name: value };
    return expected("oncall, next, all, a person's name, or workgroup:<name>", value, path, ctx);
  };
}

const step: Reader<EscalationStep> = transform(
  object({
    after: duration({ min: 0, max: WEEK_MS }),
    notify: target(),
    channels: maybe(channelTiers()),
    window: maybe(name("office")),
  }),
  ({ after, ...s }): EscalationStep => ({ afterMs: after, ...s }),
);

// Each level has its own defaults: urgent chases hard, low just tells whoever is on call.
const DEFAULTS: Readonly<Record<Level, { steps: unknown[]; reminder: string | false }>> = {
  urgent: {
    steps: [
      { after: "0m", notify: "oncall" },
      { after: "15m", notify: "next" },
    ],
    reminder: "30m",
  },
  normal: {
    steps: [
      { after: "0m", notify: "oncall" },
      { after: "1h", notify: "next" },
    ],
    reminder: "1h",
  },
  low: { steps: [{ after: "0m", notify: "oncall" }], reminder: false },
};

function levelPolicy(level: Level): Reader<EscalationPolicy> {
  const read = object({
    steps: optional(list(step, { min: 1 }), DEFAULTS[level].steps),
    reminder: optional(orFalse(duration({ min: MINUTE_MS, max: WEEK_MS })), DEFAULTS[level].reminder),
  });
  const checked = check(read, (p, problem) => {
    p.steps.forEach((s, i) => {
      const before = p.steps[i - 1];
      if (before !== undefined && s.afterMs < before.afterMs) {
        problem(
          `steps[${i}].after`,
          `expected at least ${formatDuration(before.afterMs)}, the step before's (after counts from the start of the chain), got ${formatDuration(s.afterMs)}`,
        );
      }
    });
  });
  return optional(
    transform(checked, (p) => ({ steps: p.steps, reminderMs: p.reminder === false ? null : p.reminder })),
    DEFAULTS[level],
  );
}

/** Reads a workgroup's `escalation: { urgent, normal, low }`, each `{ steps, reminder }` with per-level defaults. */
const escalationSection: Reader<Readonly<Record<Level, EscalationPolicy>>> = optional(
  object({ urgent: levelPolicy("urgent"), normal: levelPolicy("normal"), low: levelPolicy("low") }),
  {},
);

/** Every level notifies everyone at once, never reminding: the behaviour before workgroups existed. */
export const BROADCAST: Readonly<Record<Level, EscalationPolicy>> = (() => {
  const p: EscalationPolicy = {
    steps: [{ afterMs: 0, notify: { kind: "all" }, channels: null, window: null }],
    reminderMs: null,
  };
  return { urgent: p, normal: p, low: p };
})();

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
const rotationReader: Reader<Rotation> = object({
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
function writtenTime(): Reader<WrittenTime> {
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
function instantOf(t: WrittenTime, zone: string): number {
  return t.instant ?? instantAt(t.day, Math.floor(t.ms / 60_000), zone) + (t.ms % 60_000);
}

/** Reads `overrides: [{ person, from, until }]` with times still as written (the workgroup's zone applies). */
const overridesReader = optional(list(object({ person: name(), from: writtenTime(), until: writtenTime() })), []);

const raw = object({
  name: name("ops"),
  members: optional(list(name()), []),
  timezone: optional(timeZone(), "UTC"),
  rotation: maybe(rotationReader),
  overrides: overridesReader,
  room: maybe(bareJid()),
  escalation: escalationSection,
  working_hours: maybe(name("office")),
});

const workgroup: Reader<Workgroup> = check(
  transform(raw, (w) => ({
    ...w,
    overrides: w.overrides.map((o) => ({
      person: o.person,
      from: instantOf(o.from, w.timezone),
      until: instantOf(o.until, w.timezone),
    })),
  })),
  (w, problem) => {
    if (w.members.length === 0 && w.rotation === null)
      problem("members", "expected members, a rotation or both, got neither");
    w.overrides.forEach((o, i) => {
      if (o.until <= o.from)
        problem(
          `overrides[${i}].until`,
          `expected a time after from (${new Date(o.from).toISOString()}), got ${new Date(o.until).toISOString()}`,
        );
    });
  },
);

/** Reads `workgroups`: role accounts with members, a rotation, overrides and escalation; names unique. */
export const workgroupsSection: Reader<readonly Workgroup[] | null> = maybe(
  list(workgroup, { min: 1, unique: [{ key: "name", of: (w) => w.name }] }),
);
