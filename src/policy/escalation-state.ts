import type { AlertRecord } from "../alerts/types.js";
import type { PresenceOf } from "./channels.js";
import type { Delivery } from "./delivery.js";
import type { DownSources } from "./inhibit.js";
import type { AlertFacts } from "./matcher.js";
import type { Classification } from "./rules.js";
import type { Silence } from "./silences.js";
import type { ChannelTier, Level, Policy } from "./types.js";

/** Someone told about the alert during its current raise. */
export interface NotifiedPerson {
  readonly person: string;
  /** The chain round they were last told in; a restart (ack expiry, new level) begins a new round. */
  readonly round: number;
  /** When they were last told; reminders count from here (moved on by time spent held). */
  readonly lastAt: number;
  readonly reminders: number;
  /**
   * The channel tiers of the step that told them last (null: their own for the level); reminders
   * use these. Absent in states stored before reminders kept to their step's channels.
   */
  readonly tiers?: readonly ChannelTier[] | null;
}

/** Why a whole chain is waiting. */
export type HoldReason = "suppressed" | "silenced" | "inhibited" | "window";

/** A chain-wide hold: nothing new goes out until `until` (null: until the caller says otherwise). */
export interface Hold {
  readonly reason: HoldReason;
  readonly until: number | null;
  /** For logs and history: the silence's id and reason, the down source, the window's name. */
  readonly detail: string;
}

/**
 * Where one alert's escalation stands; plain JSON, persisted by the caller between calls and passed
 * back verbatim. `version` lets a later schema migrate old rows.
 */
export interface EscalationState {
  readonly version: 1;
  /** The raise this chain belongs to; a different `raisedAt` on the alert starts afresh. */
  readonly raisedAt: number;
  readonly level: Level;
  readonly workgroup: string;
  readonly round: number;
  /** The kind the first step of this round delivers. */
  readonly startKind: "raised" | "ack-expired";
  /** Who held the ack that ran out and restarted this round: they hear of it with the first step. */
  readonly expiredAckBy?: string | null;
  /** When step timing began (null until the chain first runs unheld); moved on by time spent held. */
  readonly startedAt: number | null;
  /** Index of the next step to fire. */
  readonly nextStep: number;
  readonly notified: readonly NotifiedPerson[];
  /** The ack seen last, so its end can be told apart from "never acked". */
  readonly ack: { readonly by: string; readonly at: number; readonly until: number } | null;
  readonly held: { readonly reason: HoldReason; readonly since: number } | null;
}

/** The fields of an alert the escalation reads. */
export type EscalationAlert = AlertFacts & Pick<AlertRecord, "shortId" | "status" | "raisedAt" | "suppressUntil" | "ack">;

/** Everything one escalation step of time needs; no field is read from anywhere else. */
export interface EscalationInput {
  readonly alert: EscalationAlert;
  readonly classification: Classification;
  readonly state: EscalationState | null;
  readonly now: number;
  readonly policy: Policy;
  /** Defaults to "unknown" for everyone, which skips XMPP when another channel exists. */
  readonly presence?: PresenceOf;
  readonly silences?: readonly Silence[];
  /** Sources whose agent is gone, with since when. */
  readonly down?: DownSources;
}

/** What to send now, what to persist, and when to call again. */
export interface EscalationResult {
  readonly deliveries: readonly Delivery[];
  /** Persist this (null: forget the chain, the alert is over). */
  readonly state: EscalationState | null;
  /** Call `escalate` again at this time (ms), or null when only a change of input can matter. */
  readonly nextAt: number | null;
  /** Why the chain is waiting, when it is. */
  readonly held: Hold | null;
  /** Things a person should know, for the log and the alert's history ("step 2 found nobody left"). */
  readonly warnings: readonly string[];
}
