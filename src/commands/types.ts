import type { AckInfo, AlertRecord } from "../alerts/types.js";
import type { Person } from "./person.js";

/** Which alerts `show` asks for: raised (acked or not), raised with a live ack, or every known alert. */
export type AlertFilter = "raised" | "acked" | "all";

/** What became of one ack request; expected refusals are values, not exceptions. */
export type AckOutcome =
  | { ok: true; alert: AlertRecord }
  | { ok: false; reason: "not-found" }
  | { ok: false; reason: "not-raised"; alert: AlertRecord };

/** The alert operations commands may use; the bot implements it over the store and state machine. */
export interface CommandAlerts {
  list(filter: AlertFilter): readonly AlertRecord[];
  ack(shortId: number, ack: AckInfo): AckOutcome;
}

/** Everything a handler may consult or change; handlers touch nothing else, so tests pass a fake. */
export interface CommandContext {
  /** The sender, already recognised as a configured person (see `recognisePerson`). */
  readonly person: Person;
  /** Milliseconds since the epoch, from the bot's clock. */
  readonly now: number;
  readonly ackDefaultMs: number;
  readonly ackMaxMs: number;
  readonly alerts: CommandAlerts;
}

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
  parse(rest: string): ArgsResult<A>;
  /** Returns the reply; throws CommandError for a refusal worded for the person. */
  handler(args: A, ctx: CommandContext): string | Promise<string>;
}
