// Another process logging in with the agent's address: a copied config on a second host, say. The
// server gives the address to the newest login, so the two take the session from each other (each
// waits longer every time, see src/xmpp/lifecycle.ts), and one source is fed by two hosts, each
// full state undoing the other's. The agent says so with an alert of its own, through the bus,
// so that the people on call hear of it; it clears once the session has held for
// REPLACED_STREAK_RESET_MS (or the agent restarts: a fresh process knows no streak).
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { AgentAlert } from "../codec/build-update.js";
import type { Logger } from "../log.js";
import { REPLACED_STREAK_RESET_MS } from "../xmpp/lifecycle.js";
import { ADDRESS_TAKEN_ALERT_ID } from "../codec/agent-alert-ids.js";

/**
 * Replacements in a row before it is an alert: one alone can be a person logging in with the
 * agent's account to look, which the agent then takes back.
 */
export const ADDRESS_TAKEN_AFTER = 2;

export class AddressTaken {
  private raised = false;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      /** The agent's address (bare JID) and source, for the words. */
      jid: string;
      source: string;
      change: (alerts: readonly AgentAlert[]) => void;
    },
  ) {}

  /** The session ended; `replacedStreak` is how many times in a row another login took it (0: not that). */
  offline(replacedStreak: number): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (replacedStreak < ADDRESS_TAKEN_AFTER) return;
    const { jid, source, log, change } = this.deps;
    log.error("another process keeps logging in with this agent's address: two agents share one account?", {
      jid,
      replacedStreak,
      fix: "give each host its own XMPP account and source (xmpp.jid, source in the agent's config), and stop the copy",
    });
    if (this.raised) return;
    this.raised = true;
    change([
      {
        id: ADDRESS_TAKEN_ALERT_ID,
        state: "raised",
        summary: `another process logs in as ${jid}: two agents may be feeding source ${source}`,
        detail:
          `The server gave this agent's address to another login ${replacedStreak} times in a row. Two hosts ` +
          `running mauve-agent with the same account take the session from each other, and each one's full ` +
          `state undoes the other's. Give each host its own XMPP account and source, and stop the copy.`,
      },
    ]);
  }

  /** The session is up again: once it has held long enough, the alert clears. */
  online(): void {
    if (!this.raised) return;
    this.timer?.cancel();
    this.timer = this.deps.clock.setTimer(REPLACED_STREAK_RESET_MS, () => {
      this.timer = undefined;
      this.raised = false;
      this.deps.log.info("this agent's address has been its own for a while: clearing the alert", {
        jid: this.deps.jid,
      });
      this.deps.change([{ id: ADDRESS_TAKEN_ALERT_ID, state: "cleared" }]);
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
