import type { LogLevel } from "../log.js";
import { canReach } from "../policy/delivery.js";
import type { ChannelTier, Level, Person } from "../policy/types.js";
import { list, maybe, object, optional, transform, check } from "../schema/combinators.js";
import { channelTiers } from "./policy-scalars.js";
import type { Reader } from "../schema/reader.js";
import { bareJid, duration, email, enumOf, phone, str, timeZone } from "../schema/scalars.js";
import { MINUTE_MS, DAY_MS } from "../util/duration.js";

/** The `log` section shared by the bot and the agent. */
export interface LogConfig {
  readonly level: LogLevel;
}

/** Reads `log: { level }`, defaulting to info. */
export const logSection: Reader<LogConfig> = optional(
  object({ level: optional(enumOf("debug", "info", "warn", "error"), "info") }),
  {},
);

/** Someone the bot may notify and take commands from: the policy's Person, read from YAML. */
export type PersonConfig = Person;

// Names are typed in chat ("oncall alice"), so one word: letters, digits, ".", "_", "-".
const NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

/** Reads a one-word name (people, workgroups, windows, shifts). */
export function name(example = "alice"): Reader<string> {
  return str({ pattern: NAME, what: `a short name without spaces like ${example}` });
}

/** The pattern names must match, for mapping keys. */
export const NAME_PATTERN = NAME;

const rawPerson = object({
  name: name(),
  jid: bareJid(),
  email: maybe(email()),
  sms: maybe(phone()),
  timezone: maybe(timeZone()),
  notify: optional(
    object({ urgent: maybe(channelTiers()), normal: maybe(channelTiers()), low: maybe(channelTiers()) }),
    {},
  ),
  fallback_after: optional(duration({ min: MINUTE_MS, max: DAY_MS }), "5m"),
});

type RawPerson = typeof rawPerson extends Reader<infer T> ? T : never;

// Defaults use what the person can be reached on: chat first, then the phone for urgent, email last.
function defaultNotify(p: RawPerson): Record<Level, readonly ChannelTier[]> {
  const sms = p.sms === null ? [] : [["sms"] as const];
  const mail = p.email === null ? [] : [["email"] as const];
  return {
    urgent: [["xmpp"], ...sms, ...mail],
    normal: [["xmpp"], ...mail],
    low: p.email === null ? [["xmpp"]] : [["email_digest"]],
  };
}

const person: Reader<PersonConfig> = check(
  transform(rawPerson, (p) => {
    const defaults = defaultNotify(p);
    const notify = {
      urgent: p.notify.urgent ?? defaults.urgent,
      normal: p.notify.normal ?? defaults.normal,
      low: p.notify.low ?? defaults.low,
    };
    const { fallbackAfter, ...rest } = p;
    return { ...rest, notify, fallbackAfterMs: fallbackAfter };
  }),
  (p, problem) => {
    for (const level of ["urgent", "normal", "low"] as const) {
      p.notify[level].forEach((tier, i) => {
        for (const channel of tier.filter((c) => !canReach(p, c))) {
          const needs = channel === "sms" ? "an sms number" : "an email address";
          problem(`notify.${level}[${i}]`, `${channel} needs ${needs}, and ${p.name} has none`);
        }
      });
    }
  },
);

/** Reads `people`: at least one, with names (case-insensitively) and JIDs unique. */
export const peopleSection: Reader<readonly PersonConfig[]> = list(person, {
  min: 1,
  unique: [
    { key: "name", of: (p) => p.name, ignoreCase: true },
    { key: "jid", of: (p) => p.jid },
  ],
});
