// An update the server refuses for good (bad-request, not-acceptable, policy-violation, a payload
// too big) is dropped from the outbox: retried, it would hold up the queue for ever. Dropped and no
// more, AlertBot would not hear of the changes it carried until the next full state (an hour by
// default), and nobody would hear why. So at the first refusal the agent raises an alert of its own
// saying what the server refused, and sends at once where each alert stands with its summary but
// no detail; should the server refuse that too, the states alone, without any text. The alert
// clears once the server takes a full state with its texts again.
//
// Nothing here loops: a refusal covered by states queued after it queues nothing, and refused
// states without any text queue nothing either (the heartbeat then tells AlertBot that nothing
// gets through).
import type { AgentAlert } from "../codec/build-update.js";
import { UPDATE_REFUSED_ALERT_ID } from "../codec/agent-alert-ids.js";
import { refusalWords } from "../xmpp/errors.js";

/** The outbox sequences of the updates one action queued, first to last. */
export interface QueuedSpan {
  readonly first: bigint;
  readonly last: bigint;
}

/** What the server said when it refused an update for good. */
export interface Refusal {
  readonly condition: string;
  readonly text?: string;
}

/**
 * What a refusal calls for: `restate` the alert and the states with their summaries; `bare`, the
 * states without any text (those with summaries were refused); `covered` by states queued after the
 * refused update; `states-refused`, the states without any text refused too (nothing more to send).
 */
export type RefusalVerdict = "restate" | "bare" | "covered" | "states-refused";

/** How much text states sent again after a refusal carry. */
export type StatesTier = "summaries" | "bare";

const within = (span: QueuedSpan | null, sequence: bigint): boolean =>
  span !== null && sequence >= span.first && sequence <= span.last;

/** The agent's refused updates: whether to send the states again, and when its alert clears. */
export class UpdateRefusals {
  /** The refusal the alert was raised for; null while it is not raised. */
  private raisedFor: Refusal | null = null;
  /** The states queued after a refusal and not yet through, and how much text they carry. */
  private states: (QueuedSpan & { tier: StatesTier }) | null = null;
  /** The newest full state with texts queued while the alert is raised, and whether any of it was refused. */
  private fullState: (QueuedSpan & { refused: boolean }) | null = null;

  /** Whether the alert is raised. */
  get raised(): boolean {
    return this.raisedFor !== null;
  }

  /** The update `sequence` was refused for good (and dropped): what to do about it. */
  refused(sequence: bigint, refusal: Refusal): RefusalVerdict {
    if (this.fullState && within(this.fullState, sequence)) this.fullState.refused = true;
    if (this.states && within(this.states, sequence)) {
      const { tier, last } = this.states;
      // Those with summaries refused: the bare states come after the rest of them, which they cover.
      if (tier === "summaries") {
        this.states = null;
        return "bare";
      }
      if (last === sequence) this.states = null;
      return "states-refused";
    }
    if (this.states && sequence < this.states.first) return "covered";
    this.raisedFor ??= refusal;
    return "restate";
  }

  /** The states (after a `restate`, with the alert) went into the outbox as `span`. */
  statesQueued(span: QueuedSpan, tier: StatesTier): void {
    this.states = { ...span, tier };
  }

  /** A full state with its texts went into the outbox as `span`. */
  fullStateQueued(span: QueuedSpan): void {
    if (this.raisedFor) this.fullState = { ...span, refused: false };
  }

  /** The server took the update `sequence`; true when that makes the alert clear (then it counts as cleared). */
  accepted(sequence: bigint): boolean {
    if (this.states?.last === sequence) this.states = null;
    const full = this.fullState;
    if (!this.raisedFor || !full || full.last !== sequence || full.refused) return false;
    this.raisedFor = null;
    this.fullState = null;
    return true;
  }
}

/** The agent's own alert, raised for `refusal`. */
export function refusedAlert(refusal: Refusal): AgentAlert {
  return {
    id: UPDATE_REFUSED_ALERT_ID,
    state: "raised",
    summary: `the XMPP server refused an update for good (${refusalWords(refusal)})`,
    detail:
      "The server will not take an update of this agent's alerts, so the agent dropped it rather than " +
      "hold up the rest. It sent where each alert stands again, with summaries but no details (or, " +
      "should the server refuse those too, no text at all): AlertBot knows which alerts are raised, " +
      "but their details there may be missing or old. This alert clears " +
      "once the server takes a full state with its texts (the agent sends one every hour by default, " +
      "and at every reconnection). Look at the agent's log and at the server's limits for this node " +
      "(ejabberd: pubsub#max_payload_size).",
  };
}

/** The agent's own alert, cleared. */
export function refusedAlertCleared(): AgentAlert {
  return { id: UPDATE_REFUSED_ALERT_ID, state: "cleared", summary: "the XMPP server takes this agent's updates again" };
}
