import type { Permissions } from "../commands/authorise.js";
import { name, NAME_PATTERN } from "./common.js";
import { BROADCAST } from "./workgroups-config.js";
import { importanceRange, patterns, hours, localDate, weekdays, rate } from "./policy-scalars.js";
import type { Person, Rule, Window, Workgroup, Matcher, HostDownConfig, StormConfig } from "../policy/types.js";
import {
  list,
  maybe,
  object,
  transform,
  optional,
  orFalse,
  type Problem,
  check,
  mapOf,
} from "../schema/combinators.js";
import type { Reader } from "../schema/reader.js";
import { enumOf, timeZone, duration, int, str } from "../schema/scalars.js";
import { MINUTE_MS, HOUR_MS, DAY_MS } from "../util/duration.js";

/** The sections that refer to each other, as read, before defaults that need the others. */
export interface PolicySections {
  readonly people: readonly Person[];
  readonly workgroups: readonly Workgroup[] | null;
  readonly rules: readonly Rule[] | null;
  readonly windows: Readonly<Record<string, Window>>;
}

/** The same sections, with defaults filled and every name resolved. */
export type ResolvedPolicy<T extends PolicySections> = Omit<T, "workgroups" | "rules"> & {
  readonly workgroups: readonly Workgroup[];
  readonly rules: readonly Rule[];
};

function unknown(kind: string, wanted: string, known: readonly string[]): string {
  return `no ${kind} named ${JSON.stringify(wanted)} (${kind === "person" ? "people" : `${kind}s`}: ${known.length === 0 ? "none configured" : known.join(", ")})`;
}

function checkNames(policy: ResolvedPolicy<PolicySections>, problem: Problem): void {
  const people = policy.people.map((p) => p.name);
  const groups = policy.workgroups.map((w) => w.name);
  const windows = Object.keys(policy.windows);
  const person = (at: string, n: string): void => {
    if (!people.some((p) => p.toLowerCase() === n.toLowerCase())) problem(at, unknown("person", n, people));
  };
  const group = (at: string, n: string): void =>
    void (groups.includes(n) || problem(at, unknown("workgroup", n, groups)));
  const window = (at: string, n: string | null): void =>
    void (n === null || Object.hasOwn(policy.windows, n) || problem(at, unknown("window", n, windows)));

  policy.workgroups.forEach((w, i) => {
    const at = `workgroups[${i}]`;
    w.members.forEach((m, j) => person(`${at}.members[${j}]`, m));
    w.rotation?.shifts.forEach((s, k) =>
      s.people.forEach((p, j) => person(`${at}.rotation.shifts[${k}].people[${j}]`, p)),
    );
    w.overrides.forEach((o, k) => person(`${at}.overrides[${k}].person`, o.person));
    window(`${at}.working_hours`, w.workingHours);
    for (const level of ["urgent", "normal", "low"] as const) {
      w.escalation[level].steps.forEach((s, j) => {
        const stepAt = `${at}.escalation.${level}.steps[${j}]`;
        if (s.notify.kind === "person") person(`${stepAt}.notify`, s.notify.name);
        if (s.notify.kind === "workgroup") group(`${stepAt}.notify`, s.notify.name);
        window(`${stepAt}.window`, s.window);
      });
    }
  });
  policy.rules.forEach((r, i) => {
    group(`rules[${i}].workgroup`, r.workgroup);
    window(`rules[${i}].window`, r.window);
  });
}

/**
 * Fills the defaults that depend on other sections and checks every cross-reference (a rule naming
 * an unknown workgroup, a step naming an unknown person), each reported at its own key. With no
 * `workgroups`, everyone is told everything at once, as before policies existed.
 */
export function resolvePolicy<T extends PolicySections>(reader: Reader<T>): Reader<ResolvedPolicy<T>> {
  const complete = check(reader, (read, problem) => {
    if (read.workgroups !== null && read.rules === null) {
      problem(
        "rules",
        "expected a list of rules ending with a default (without match), since workgroups are configured, got nothing",
      );
    }
  });
  return check(transform(complete, withDefaults), checkNames);
}

function withDefaults<T extends PolicySections>(read: T): ResolvedPolicy<T> {
  const everyone: Workgroup = {
    name: "everyone",
    members: read.people.map((p) => p.name),
    timezone: "UTC",
    rotation: null,
    overrides: [],
    room: null,
    escalation: BROADCAST,
    workingHours: null,
  };
  const workgroups = read.workgroups ?? [everyone];
  const rules = read.rules ?? [{ match: {}, level: "normal", workgroup: everyone.name, window: null }];
  return { ...read, workgroups, rules };
}

/** The level names, as YAML spells them. */
export const level = enumOf("urgent", "normal", "low");

/** Reads a matcher (`source`, `subject`, `alert_id`, `importance`): rules and silences share it. */
const matcherReader: Reader<Matcher> = check(
  transform(
    object({
      source: maybe(patterns()),
      subject: maybe(patterns()),
      alert_id: maybe(patterns()),
      importance: maybe(importanceRange()),
    }),
    // Absent fields are left out rather than null, so a matcher built by hand looks the same.
    (m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null)) as Matcher,
  ),
  (m, problem) => {
    if (Object.keys(m).length === 0)
      problem("", "expected at least one of source, subject, alert_id, importance, got an empty mapping");
  },
);

const rule = object({
  match: maybe(matcherReader),
  level,
  workgroup: name("ops"),
  window: maybe(name("office")),
});

/**
 * Reads `rules`: first match wins, and the last rule, without `match`, is the default that catches
 * everything else; so no alert can fall through unrouted.
 */
export const rulesSection: Reader<readonly Rule[]> = transform(
  check(list(rule, { min: 1 }), (rules, problem) => {
    rules.forEach((r, i) => {
      const last = i === rules.length - 1;
      if (!last && r.match === null)
        problem(`[${i}].match`, "expected a match: only the last rule, the default, may leave it out");
      if (last && r.match !== null)
        problem(
          `[${i}].match`,
          "the last rule is the default and matches everything: remove match, or add a default rule after it",
        );
    });
  }),
  (rules) => rules.map((r) => ({ ...r, match: r.match ?? {} })),
);

const window: Reader<Window> = transform(
  object({
    timezone: timeZone(),
    days: optional(weekdays(), "mon-sun"),
    hours: hours(),
    holidays: optional(list(localDate(), { unique: [{ key: "", of: (d) => d }] }), []),
  }),
  (w) => ({ timezone: w.timezone, days: w.days, from: w.hours.from, until: w.hours.until, holidays: w.holidays }),
);

/** Reads `windows`: named working hours (`office: { timezone, days, hours, holidays }`); none by default. */
export const windowsSection: Reader<Readonly<Record<string, Window>>> = optional(
  mapOf(window, { pattern: NAME_PATTERN, what: "office" }),
  {},
);

/** Reads `storm`: a per-person rate limit and digest settings, all with defaults. */
export const stormSection: Reader<StormConfig> = optional(
  transform(
    object({
      per_person_limit: optional(rate(), "5 per 10m"),
      digest_after: optional(int(1, 1000), 3),
      digest_top: optional(int(1, 50), 3),
      quiet_digest_every: optional(duration({ min: MINUTE_MS, max: 7 * DAY_MS }), "1h"),
    }),
    (s): StormConfig => ({
      limit: { count: s.perPersonLimit.count, perMs: s.perPersonLimit.per },
      digestAfter: s.digestAfter,
      digestTop: s.digestTop,
      quietDigestEveryMs: s.quietDigestEvery,
    }),
  ),
  {},
);

/** Reads `host_down`: how long an agent may be silent before its host counts as down. */
export const hostDownSection: Reader<HostDownConfig> = optional(
  transform(
    object({
      grace: optional(duration({ min: 0, max: DAY_MS }), "5m"),
      importance: optional(int(0, 4_294_967_295), 100),
      probe: optional(orFalse(duration({ min: 10_000, max: HOUR_MS })), "1m"),
    }),
    (h): HostDownConfig => ({
      graceMs: h.grace,
      importance: h.importance,
      probeEveryMs: h.probe === false ? null : h.probe,
    }),
  ),
  {},
);

const names = maybe(list(str({ what: 'a person\'s name, or "*" for everyone' }), { min: 1 }));

const actions: Reader<Permissions[string]> = transform(
  object({ ack: names, clear: names, silence: names, escalate: names }),
  (a) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null)) as Permissions[string],
);

/**
 * Reads `permissions`: per workgroup (or "*" for all), who may ack, clear, silence and escalate.
 * An action not listed is open to every configured person; no section at all is the default.
 */
export const permissionsSection: Reader<Permissions> = optional(
  mapOf(actions, { pattern: new RegExp(`^\\*$|${NAME_PATTERN.source}`, "u"), what: "ops" }),
  {},
);
