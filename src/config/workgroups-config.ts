import type { Workgroup } from "../policy/types.js";
import { list, maybe, object, optional, transform } from "../schema/combinators.js";
import { name } from "./common.js";
import { escalationSection } from "./escalation-config.js";
import { check } from "../schema/policy-combinators.js";
import { instantOf, overridesReader, rotationReader } from "./rotation-config.js";
import type { Reader } from "../schema/reader.js";
import { bareJid, timeZone } from "../schema/scalars.js";

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
    overrides: w.overrides.map((o) => ({ person: o.person, from: instantOf(o.from, w.timezone), until: instantOf(o.until, w.timezone) })),
  })),
  (w, problem) => {
    if (w.members.length === 0 && w.rotation === null) problem("members", "expected members, a rotation or both, got neither");
    w.overrides.forEach((o, i) => {
      if (o.until <= o.from) problem(`overrides[${i}].until`, `expected a time after from (${new Date(o.from).toISOString()}), got ${new Date(o.until).toISOString()}`);
    });
  },
);

/** Reads `workgroups`: role accounts with members, a rotation, overrides and escalation; names unique. */
export const workgroupsSection: Reader<readonly Workgroup[] | null> = maybe(
  list(workgroup, { min: 1, unique: [{ key: "name", of: (w) => w.name }] }),
);
