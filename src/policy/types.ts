/**
 * The policy's configuration as plain, readonly data: who exists, how they want to be reached,
 * which workgroup answers what, and when. `src/config` maps the YAML onto these types; the policy
 * never reads YAML, so tests and the bot can build a policy by hand.
 */

/** How loudly an alert is told, chosen by the first matching rule. */
export type Level = "urgent" | "normal" | "low";

/** Every level, most important first (the order rankings and defaults use). */
export const LEVELS: readonly Level[] = ["urgent", "normal", "low"];

/**
 * A way to reach a person. `email_digest` is email collected into one message every
 * `storm.quietDigestEveryMs` instead of one email per notification.
 */
export type ChannelName = "xmpp" | "email" | "sms" | "email_digest";

/** Channels used together ("xmpp+sms" in YAML); a person's preferences are a list of these, best first. */
export type ChannelTier = readonly ChannelName[];

/** ISO weekday: 1 is Monday, 7 is Sunday. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Someone the bot may notify and take commands from. */
export interface Person {
  /** A short handle used in chat ("acknowledged by alice"), in rules and in rotas. */
  readonly name: string;
  /** Bare JID, lower-cased; commands are accepted only from these addresses. */
  readonly jid: string;
  readonly email: string | null;
  /** E.164 phone number for SMS. */
  readonly sms: string | null;
  /** IANA zone for times shown to this person; null means the bot's zone. */
  readonly timezone: string | null;
  /** Channel tiers per level, best first: the first reachable tier now, the next ones as fallbacks. */
  readonly notify: Readonly<Record<Level, readonly ChannelTier[]>>;
  /** How long an unanswered notification waits before the next tier is tried (ms). */
  readonly fallbackAfterMs: number;
}

/** Recurring hours on some days of the week, read on the wall clock of a zone given alongside. */
export interface Span {
  readonly days: readonly Weekday[];
  /** Minutes after local midnight when the span opens, 0–1439. */
  readonly from: number;
  /** Minutes after local midnight when it closes, 1–1440; at or before `from` means the next day. */
  readonly until: number;
}

/** Named working hours: a weekly span in a time zone, closed on holidays. */
export interface Window extends Span {
  readonly timezone: string;
  /** Local dates (YYYY-MM-DD) when the window stays shut; a span belongs to the date it opens on. */
  readonly holidays: readonly string[];
}

/** One shift of a rotation: its hours, and the people who take turns covering it. */
export interface Shift extends Span {
  readonly name: string;
  /** Who covers successive occurrences, cycling. */
  readonly people: readonly string[];
  /** Whether the turn passes at every occurrence of the shift, or once a week. */
  readonly cycle: "shift" | "week";
}

/** Shifts in the workgroup's time zone; turns are counted from `start`. */
export interface Rotation {
  /** Local date (YYYY-MM-DD) whose shifts are the first people's turn; weekly turns pass on its weekday. */
  readonly start: string;
  /** The first listed shift covering a moment wins. */
  readonly shifts: readonly Shift[];
}

/** Someone standing in, first in line, between two instants (ms). */
export interface Override {
  readonly person: string;
  readonly from: number;
  readonly until: number;
}

/** Who an escalation step notifies. */
export type StepTarget =
  | { readonly kind: "oncall" }
  | { readonly kind: "next" }
  | { readonly kind: "all" }
  | { readonly kind: "person"; readonly name: string }
  | { readonly kind: "workgroup"; readonly name: string };

/** One rung of an escalation chain. */
export interface EscalationStep {
  /** Time since the chain started (ms); non-decreasing along the chain. */
  readonly afterMs: number;
  readonly notify: StepTarget;
  /** Channel tiers to use instead of the person's own preferences, or null. */
  readonly channels: readonly ChannelTier[] | null;
  /** The step waits for this window to open, or null for any time. */
  readonly window: string | null;
}

/** How one level escalates within a workgroup. */
export interface EscalationPolicy {
  readonly steps: readonly EscalationStep[];
  /** Reminder period while unacked (ms), or null for none. */
  readonly reminderMs: number | null;
}

/** A role account: who answers, in what order, and how it escalates. */
export interface Workgroup {
  readonly name: string;
  /** Backstop, in priority order, after overrides and the rotation's person. */
  readonly members: readonly string[];
  /** Zone of the rotation's hours and of override times written without an offset. */
  readonly timezone: string;
  readonly rotation: Rotation | null;
  readonly overrides: readonly Override[];
  /** A MUC room JID for the workgroup, or null. */
  readonly room: string | null;
  readonly escalation: Readonly<Record<Level, EscalationPolicy>>;
  /** The window "ack 42 for 4 working hours" counts for its alerts, or null for the default one. */
  readonly workingHours: string | null;
}

/** An inclusive range of Mauve importance; a missing end is open. */
export interface ImportanceRange {
  readonly min?: number;
  readonly max?: number;
}

/**
 * What an alert must look like; every given field must match and an empty matcher matches all.
 * Patterns are globs (`web*`, case-insensitive) or `/regex/flags`; a list matches when any does.
 */
export interface Matcher {
  readonly source?: readonly string[];
  readonly subject?: readonly string[];
  readonly alertId?: readonly string[];
  readonly importance?: ImportanceRange;
}

/** A routing rule: alerts matching `match` get this level and workgroup. */
export interface Rule {
  readonly match: Matcher;
  readonly level: Level;
  readonly workgroup: string;
  /** Notifications wait for this window to open, or null for any time. */
  readonly window: string | null;
}

/** Rate limits and digests, per person. */
export interface StormConfig {
  /** At most `count` messages per `per` ms to one person. */
  readonly limit: { readonly count: number; readonly perMs: number };
  /** More than this many notifications at once for one person become one digest. */
  readonly digestAfter: number;
  /** How many of the most important notifications a digest shows. */
  readonly digestTop: number;
  /** How often `email_digest` notifications are collected into one email (ms). */
  readonly quietDigestEveryMs: number;
}

/** When a silent agent counts as down. */
export interface HostDownConfig {
  /** Presence gone this long (ms) raises a host-down alert and holds the host's others. */
  readonly graceMs: number;
  /** Importance of the host-down alert, for rules to route. */
  readonly importance: number;
  /**
   * How often AlertBot pings each agent it believes online (ms), null for never: an agent that
   * died without closing its stream keeps its presence while the server waits for it to resume.
   */
  readonly probeEveryMs: number | null;
}

/** Everything the policy functions consult; AlertBot's config satisfies it as is. */
export interface Policy {
  readonly people: readonly Person[];
  readonly workgroups: readonly Workgroup[];
  readonly rules: readonly Rule[];
  readonly windows: Readonly<Record<string, Window>>;
  readonly storm: StormConfig;
  readonly hostDown: HostDownConfig;
}
