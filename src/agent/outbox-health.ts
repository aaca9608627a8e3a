// The agent's outbox file cannot be written (the host's disk is full, say). The outbox keeps
// updates in memory meanwhile (see src/store/outbox.ts), so the agent goes on publishing; but a
// restart would lose what memory holds, and a full disk on a managed host is news in itself. The
// agent says so with an alert of its own, through the bus, and clears it once the outbox is
// written out again, which it tries every little while.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { AgentAlert } from "../codec/build-update.js";
import type { StorageUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { OUTBOX_ALERT_ID } from "../codec/agent-alert-ids.js";

/** How often the outbox is written out again while it cannot be. */
export const OUTBOX_PROBE_EVERY_MS = 30_000;

export class OutboxHealth {
  private failing: { reason: string; timer: TimerHandle | null } | null = null;
  private stopped = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      /** The outbox file, for the words. */
      path: string;
      /** Writes out what the outbox holds in memory; throws while the file cannot be written. */
      writeOut: () => void;
      change: (alerts: readonly AgentAlert[]) => void;
      probeEveryMs?: number;
    },
  ) {}

  /** A write to the outbox failed because the file cannot be written. */
  failed(error: StorageUnavailableError): void {
    if (this.failing || this.stopped) return;
    this.failing = { reason: error.reason, timer: null };
    const { path, log } = this.deps;
    log.error(
      "cannot write the outbox: updates are kept in memory and still published, but lost if the agent restarts",
      {
        path,
        reason: error.reason,
      },
    );
    // Not from inside the outbox's own call that failed: raising the alert is a write too.
    this.deps.clock.setTimer(0, () =>
      this.deps.change([
        {
          id: OUTBOX_ALERT_ID,
          state: "raised",
          summary: `cannot write its outbox: ${error.reason}`,
          detail:
            `The agent cannot write ${path}. Updates are kept in memory and still published; if the ` +
            `agent restarts before the file can be written, those not yet published are lost. Free ` +
            `disk space (or fix the disk) on this host.`,
        },
      ]),
    );
    this.probeLater();
  }

  /** Stops the probe (shutdown). */
  stop(): void {
    this.stopped = true;
    this.failing?.timer?.cancel();
  }

  private probeLater(): void {
    if (!this.failing || this.stopped) return;
    this.failing.timer = this.deps.clock.setTimer(this.deps.probeEveryMs ?? OUTBOX_PROBE_EVERY_MS, () => this.probe());
  }

  private probe(): void {
    if (!this.failing || this.stopped) return;
    try {
      this.deps.writeOut();
    } catch (err) {
      this.deps.log.debug("the outbox still cannot be written", {
        path: this.deps.path,
        reason: err instanceof Error ? err.message : String(err),
      });
      this.probeLater();
      return;
    }
    const { reason } = this.failing;
    this.failing = null;
    this.deps.log.info("the outbox can be written again: cleared the alert", { path: this.deps.path, reason });
    this.deps.change([
      {
        id: OUTBOX_ALERT_ID,
        state: "cleared",
        summary: `its outbox can be written again (${reason})`,
      },
    ]);
  }
}
