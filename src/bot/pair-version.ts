// Two bots of a failover pair running different versions of mauve-xmpp (docs/failover.md). The
// replica log carries the active's writes as SQL for its own schema, so the standby applies none
// of a batch written for another schema (replica-log.ts) and its file stops where it was: it would
// take over with state as old as the mismatch. An admin upgrading one bot at a time sees nothing
// wrong otherwise (both run, the active notifies), so the standby tells the people on call by
// email and SMS, once per spell, and once more when it is over.
import type { Logger } from "../log.js";
import type { SchemaMismatch } from "./replica-log.js";
import type { StandbyTell } from "./standby-notice.js";

/** The id of AlertBot's own alert the notice is routed as (rules may route it to a workgroup). */
export const PAIR_VERSION_ALERT_ID = "failover-version";

/** What the notice needs. */
export interface PairVersionDeps {
  readonly log: Logger;
  readonly tell: StandbyTell;
  /** The standby's JID and the active's, named in the notice. */
  readonly standbyJid: string;
  readonly activeJid: string;
}

/** Follows the follower's mismatch; tells the people on call when it begins and when it ends. */
export class PairVersionNotice {
  private told: SchemaMismatch | null = null;

  constructor(private readonly deps: PairVersionDeps) {}

  /** The follower's mismatch now (null: none). */
  observe(mismatch: SchemaMismatch | null): void {
    if (mismatch && !this.told) {
      this.told = mismatch;
      this.send("raised", this.raisedMessage(mismatch));
    } else if (!mismatch && this.told) {
      this.told = null;
      this.send("cleared", {
        subject: `AlertBot's standby ${this.deps.standbyJid} follows the active again`,
        text:
          `The active ${this.deps.activeJid} writes for this standby's schema again: the standby follows its log ` +
          "(after a snapshot of the active's file for what it missed).",
      });
    }
  }

  /** This standby took over: the pair's versions no longer differ. Says so if a mismatch was told. */
  tookOver(): void {
    if (!this.told) return;
    this.told = null;
    this.send("cleared", {
      subject: `AlertBot ${this.deps.activeJid} is run by the former standby, whose database was behind`,
      text:
        `The active of another version went away and ${this.deps.standbyJid} took over with its database as it was ` +
        "when the versions began to differ: acks, silences and alert states changed since then may be missing. " +
        "Check `show` and ack again where needed.",
    });
  }

  private raisedMessage(m: SchemaMismatch): { subject: string; text: string } {
    const active =
      m.activeSchema === null ? "an older version that does not say its schema" : `schema ${m.activeSchema}`;
    return {
      subject: `AlertBot's standby ${this.deps.standbyJid} cannot follow the active: another version of mauve-xmpp`,
      text:
        `The active ${this.deps.activeJid} runs ${active}; the standby ${this.deps.standbyJid} runs schema ${m.ownSchema}. ` +
        `The standby applies none of the active's writes from batch ${m.seq} on, so if the active fails now, the standby ` +
        "takes over with state as old as this: acks, silences and alert states changed since may be missing.\n" +
        "Alerts still reach people through the active. Run the same version of mauve-xmpp on both bots: " +
        "stop both, upgrade both, start both (docs/failover.md).",
    };
  }

  private send(kind: "raised" | "cleared", message: { subject: string; text: string }): void {
    this.deps
      .tell(PAIR_VERSION_ALERT_ID, { kind, ...message })
      .catch((err: unknown) => this.deps.log.error("cannot tell the people on call of the pair's versions", { err }));
  }
}
