import type { AckInfo, AlertRecord } from "../alerts/types.js";
import type { Silence } from "../policy/matcher.js";
import type { Level, Matcher } from "../policy/types.js";
import type { CommandAction, Person, Verdict } from "./authorise.js";

/** Which alerts the store lists: raised (acked or not), raised with an ack, or every known alert. */
export type AlertFilter = "raised" | "acked" | "all";

/** Which alerts `show` lists: the store's filters, plus "silenced" (raised and muted by a live silence). */
export type ShowFilter = AlertFilter | "silenced";

/** How the policy graded an alert: the level its rule gave and the workgroup that answers. */
export interface AlertGrade {
  readonly level: Level;
  readonly workgroup: string;
}

/**
 * What became of a change to one alert; expected refusals are values, not exceptions. `R` names
 * the refusals that still found the alert (so the reply can name it).
 */
export type ChangeOutcome<R extends string> =
  { ok: true; alert: AlertRecord } | { ok: false; reason: "not-found" } | { ok: false; reason: R; alert: AlertRecord };

/** What became of one ack request. */
export type AckOutcome = ChangeOutcome<"not-raised">;
/**
 * Why nothing about an alert goes out now although it is raised and unacknowledged: a silence,
 * its sender's suppress_until, its host being down, or its rule's window being shut.
 */
export interface AlertHold {
  readonly reason: "silenced" | "suppressed" | "inhibited" | "window";
  /** When it ends, if known. */
  readonly until: number | null;
  /** Which silence, host or window, in the policy's words. */
  readonly detail: string;
}

/** What became of one unack request: only a live ack can be taken back; `held` says what still mutes it. */
export type UnackOutcome =
  | { ok: true; alert: AlertRecord; held?: AlertHold | null }
  | { ok: false; reason: "not-found" }
  | { ok: false; reason: "not-acked"; alert: AlertRecord };
/** What became of a manual clear: only a raised alert can be cleared. */
export type ClearOutcome = ChangeOutcome<"not-raised">;
/** What became of a note: any known alert takes one. */
export type NoteOutcome = ChangeOutcome<never>;

/** What became of `escalate`: the names of the people told now, or why nobody was. */
export type EscalateOutcome =
  | { ok: true; alert: AlertRecord; told: readonly string[] }
  | { ok: false; reason: "not-found" }
  /** "nobody-left": the chain had no step left; "nobody-reached": its next step fired and found nobody. */
  | { ok: false; reason: "not-raised" | "nobody-left" | "nobody-reached"; alert: AlertRecord }
  /** An ack pauses the chain: nothing was moved. */
  | { ok: false; reason: "acked"; alert: AlertRecord }
  /** Nobody would be told now: nothing was moved, so no step goes out by surprise when the hold ends. */
  | { ok: false; reason: "held"; alert: AlertRecord; held: AlertHold };

/** A person's change to an alert, as recorded in its history: who, when, and their words ("" when none). */
export interface PersonChange {
  readonly by: string;
  readonly at: number;
  readonly note: string;
}

/** One line of an alert's history, as `history` shows it (the store's HistoryEntry fits). */
export interface HistoryLine {
  readonly kind: string;
  readonly at: number;
  /** Who or what caused it: an agent JID, a person's name, "bot", "policy". */
  readonly actor: string;
  readonly detail: string;
}

/**
 * The alert operations commands may use; the bot implements it over the store and state machine.
 * `list` and `ack` are the spine's; the rest are optional so a bot can offer a subset, and a
 * command whose operation is missing answers that this bot can't do it (see `capability`).
 */
export interface CommandAlerts {
  /**
   * Every alert `filter` matches (no cap), in no particular order (those who list them sort them:
   * `byUrgency`), without their detail (`get` has it); a bot with many alerts hands them over a
   * slice at a time, with the event loop let in between.
   */
  list(filter: AlertFilter): Iterable<AlertRecord> | AsyncIterable<AlertRecord>;
  ack(shortId: number, ack: AckInfo): AckOutcome;
  /** The alert a person calls `#shortId`. */
  get?(shortId: number): AlertRecord | undefined;
  /** Ends a live ack now (history: "unacked" by the person); notifications resume. */
  unack?(shortId: number, change: PersonChange): UnackOutcome;
  /** Clears a raised alert by hand (history: a manual clear by the person, with the note). */
  clear?(shortId: number, change: PersonChange): ClearOutcome;
  /** Adds the person's note to the alert's history; `change.note` is the text. */
  note?(shortId: number, change: PersonChange): NoteOutcome;
  /** The alert's history, oldest first, or undefined when there is no such alert. */
  history?(shortId: number): readonly HistoryLine[] | undefined;
  /** Moves the alert's escalation to its next step now, and says who was told. */
  escalate?(shortId: number, change: PersonChange): EscalateOutcome;
}

/** A silence in force, as the store keeps it (PolicyStore.liveSilences fits): the policy's Silence, numbered. */
export type SilenceRecord = Omit<Silence, "id"> & { readonly id: number };

/** The silence operations commands use; PolicyStore's addSilence/liveSilences/endSilence fit as they are. */
export interface CommandSilences {
  /** Adds a silence; returns its number. */
  add(matcher: Matcher, until: number, by: string, why: string, at: number): number;
  /** Silences still in force at `now`, oldest first. */
  list(now: number): readonly SilenceRecord[];
  /** Ends silence `id` now; false when no silence of that number is in force. */
  end(id: number, now: number): boolean;
}

/** Who answers for each workgroup now, first the one on call, then the backstop in order. */
export type OnCallOutcome =
  | { ok: true; rota: ReadonlyArray<{ readonly workgroup: string; readonly people: readonly string[] }> }
  | { ok: false; reason: "unknown-workgroup"; known: readonly string[] };

/** What the bot answers to `web`: a one-time link, or why there is none. */
export type WebSignIn =
  | { readonly ok: true; readonly url: string; readonly validMs: number }
  /** "room": a link said in a room could be used by anyone there, so it is only given in a direct chat. */
  | { readonly ok: false; readonly reason: "room" };

/**
 * Something wrong with AlertBot itself that no alert can record (its database cannot be written),
 * and since when: `show` and the board put it first, for whoever looks.
 */
export interface BotTrouble {
  readonly since: number;
  readonly text: string;
}

/** Everything a handler may consult or change; handlers touch nothing else, so tests pass a fake. */
export interface CommandContext {
  /** The sender, already recognised as a configured person (see `recognisePerson`). */
  readonly person: Person;
  /** Milliseconds since the epoch, from the bot's clock. */
  readonly now: number;
  readonly ackDefaultMs: number;
  readonly ackMaxMs: number;
  /** The longest silence anyone may set; default `ackMaxMs`. */
  readonly silenceMaxMs?: number;
  readonly alerts: CommandAlerts;
  readonly silences?: CommandSilences;
  /** IANA zone the sender reads times in (their own, else their workgroup's); default UTC. */
  readonly timeZone?: string;
  /** The level and workgroup the policy's rules give an alert (what its notices say). */
  gradeOf?(alert: AlertRecord): AlertGrade;
  /** Who is on call in one workgroup (by name, any case), or in each when `workgroup` is null. */
  oncall?(workgroup: string | null): OnCallOutcome;
  /**
   * When `hours` working hours from `now` will have passed, counted in the working hours of alert
   * `shortId`'s workgroup; null when no working hours lie ahead.
   */
  workingHoursFrom?(now: number, hours: number, shortId: number): number | null;
  /** How far `source`'s clock was from AlertBot's at its last update, when past the bound (ms). */
  clockSkew?(source: string): { readonly skewMs: number; readonly at: number } | null;
  /** Whether the sender may do `action` to `alert` (null: to alerts in general, as a silence may). Default: yes. */
  may?(action: CommandAction, alert: AlertRecord | null): Verdict;
  /** A one-time sign-in link to the web board for the sender; absent when the board is off. */
  webSignIn?(): WebSignIn;
  /** What is wrong with AlertBot itself now that no alert records; none when absent. */
  readonly troubles?: readonly BotTrouble[];
  /**
   * The change of alert `shortId` failed (thrown) while the command went on with the others: for
   * the log, as the reply says it only to the sender.
   */
  failed?(shortId: number, error: unknown): void;
}

/**
 * What a successful command changed, for the bot to act on whichever door the command came through:
 * "alerts-changed" (acks, clears, escalations: the policy runs at once, the others already told
 * hear of it), "silences-changed" (every raised alert owes something else now), "silences-lifted"
 * (a silence ended early: notices waiting for it to end go now).
 */
export type CommandEffect = "alerts-changed" | "silences-changed" | "silences-lifted";

/** A command's own parse of the text after its name. */
export type ArgsResult<A> = { ok: true; args: A } | { ok: false; humanMessage: string };

/**
 * One chat command: its words, its help text and its behaviour. Methods (not function-typed
 * properties) keep `Command<AckArgs>` assignable to `Command<unknown>`, so one registry holds
 * them all; that is sound because a handler only ever receives what its own `parse` produced.
 */
export interface Command<A> {
  readonly name: string;
  readonly aliases: readonly string[];
  /** Syntax shown in help, e.g. `ack <ids> [for <duration>] [because <note>]`. */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  readonly example: string;
  /** What the command changes when it succeeds; none for those that only read. */
  readonly effects: readonly CommandEffect[];
  parse(rest: string): ArgsResult<A>;
  /** Returns the reply; throws CommandError for a refusal worded for the person. */
  handler(args: A, ctx: CommandContext): string | Promise<string>;
}
