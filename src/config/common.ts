import type { LogLevel } from "../log.js";
import { list, maybe, object, optional } from "./combinators.js";
import type { Reader } from "./reader.js";
import { bareJid, email, enumOf, phone, str, timeZone } from "./scalars.js";

/** The `log` section shared by the bot and the agent. */
export interface LogConfig {
  readonly level: LogLevel;
}

/** Reads `log: { level }`, defaulting to info. */
export const logSection: Reader<LogConfig> = optional(object({ level: optional(enumOf("debug", "info", "warn", "error"), "info") }), {});

/** Someone the bot may notify and take commands from. */
export interface PersonConfig {
  /** A short handle used in chat ("acknowledged by alice") and, later, in rules and rotas. */
  readonly name: string;
  /** Bare JID, lower-cased; commands are accepted only from these addresses. */
  readonly jid: string;
  readonly email: string | null;
  /** E.164 phone number for SMS. */
  readonly sms: string | null;
  /** IANA zone for quiet hours and for times in replies; null means the bot's zone. */
  readonly timezone: string | null;
}

// Names are typed in chat ("oncall alice"), so one word: letters, digits, ".", "_", "-".
const NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

const person: Reader<PersonConfig> = object({
  name: str({ pattern: NAME, what: "a short name without spaces like alice" }),
  jid: bareJid(),
  email: maybe(email()),
  sms: maybe(phone()),
  timezone: maybe(timeZone()),
});

/** Reads `people`: at least one, with names (case-insensitively) and JIDs unique. */
export const peopleSection: Reader<readonly PersonConfig[]> = list(person, {
  min: 1,
  unique: [
    { key: "name", of: (p) => p.name, ignoreCase: true },
    { key: "jid", of: (p) => p.jid },
  ],
});
