import type { Logger } from "../log.js";
import { MINUTE_MS } from "./duration.js";

/** How often a run of failures that goes on is said again as a warning. */
export const FAILURE_REMINDER_MS = 10 * MINUTE_MS;

/** How loud one failure of a run is to be said, and how long the run has lasted. */
export interface FailureLevel {
  /** True for the first failure of a run, and for one every FAILURE_REMINDER_MS while it lasts. */
  readonly loud: boolean;
  /** Since the run's first failure. */
  readonly forMs: number;
}

/**
 * The failures in a row of something tried again and again (a publish every few seconds, a poll
 * every second), for the log: the first is a warning, and so is one every FAILURE_REMINDER_MS
 * while they go on; the rest are quiet (debug). Each said as a warning, an outage of an hour buried
 * in them the first warning and everything else that was logged. Said once only, a failure that
 * never ends (the server refusing for good) went quiet after one line.
 */
export class FailureRun {
  private since: number | null = null;
  private saidAt = 0;

  /** A failure at `now`: how loud to say it. */
  failed(now: number): FailureLevel {
    if (this.since === null) {
      this.since = now;
      this.saidAt = now;
      return { loud: true, forMs: 0 };
    }
    const loud = now - this.saidAt >= FAILURE_REMINDER_MS;
    if (loud) this.saidAt = now;
    return { loud, forMs: now - this.since };
  }

  /**
   * A failure at `now`, said in `log` as `msg`: at `level` (a warning unless told) when loud, with
   * how long the run has lasted once it has (`failingForMs`, or the key given), else at debug.
   */
  sayFailed(
    log: Logger,
    msg: string,
    fields: Record<string, unknown>,
    now: number,
    { level = "warn", forKey = "failingForMs" }: { level?: "warn" | "error"; forKey?: string } = {},
  ): void {
    const { loud, forMs } = this.failed(now);
    if (loud) log[level](msg, { ...fields, ...(forMs > 0 ? { [forKey]: forMs } : {}) });
    else log.debug(msg, fields);
  }

  /** A success: the run of failures it ends, if any (to say so), and the next failure is said again. */
  worked(now: number): { endedAfterMs: number } | null {
    if (this.since === null) return null;
    const endedAfterMs = now - this.since;
    this.since = null;
    return { endedAfterMs };
  }
}
