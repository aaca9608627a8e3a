import type { AlertFacts } from "./matcher.js";
import type { HostDownConfig } from "./types.js";

/** The alert id the bot raises, under the host's own source, when an agent has gone silent. */
export const HOST_DOWN_ALERT_ID = "mauve-host-down";

/** Sources whose agent's presence is gone, with when it went (ms). */
export type DownSources = ReadonlyMap<string, number>;

/** A host-down alert the caller must raise (and clear again when the agent's presence returns). */
export interface HostDownAlert {
  readonly source: string;
  readonly alertId: typeof HOST_DOWN_ALERT_ID;
  readonly subject: string;
  readonly summary: string;
  readonly importance: number;
  /** When the grace ran out: the alert's raise time. */
  readonly raiseAt: number;
}

/** What host-down handling asks of the caller now, and when to look again. */
export interface HostDownCheck {
  /** One per source down past its grace; raising is idempotent, so the caller may raise these every time. */
  readonly raise: readonly HostDownAlert[];
  /** When the next source still within its grace runs out of it, or null. */
  readonly nextAt: number | null;
}

/**
 * Lists the host-down alerts owed for sources silent longer than the grace, none of a source down
 * since `since` before `notBefore(since)` (when the one judging could not hear them for a while,
 * they get a grace from when it could again).
 */
export function checkHostsDown(
  down: DownSources,
  config: HostDownConfig,
  now: number,
  notBefore: (since: number) => number | null = () => null,
): HostDownCheck {
  const raise: HostDownAlert[] = [];
  let nextAt: number | null = null;
  for (const [source, since] of down) {
    const due = Math.max(since + config.graceMs, notBefore(since) ?? -Infinity);
    if (due > now) {
      nextAt = nextAt === null ? due : Math.min(nextAt, due);
      continue;
    }
    raise.push({
      source,
      alertId: HOST_DOWN_ALERT_ID,
      subject: source,
      summary: `${source}'s agent has been unreachable since ${new Date(since).toISOString()}`,
      importance: config.importance,
      raiseAt: due,
    });
  }
  return { raise, nextAt };
}

/**
 * The down source holding this alert back, or null. A host that is down cannot clear its own
 * alerts, so they would escalate pointlessly: the one host-down alert speaks for them until it returns.
 */
export function inhibitedBy(alert: AlertFacts, down: DownSources, config: HostDownConfig, now: number): string | null {
  if (alert.alertId === HOST_DOWN_ALERT_ID) return null;
  const since = down.get(alert.source);
  return since !== undefined && since + config.graceMs <= now ? alert.source : null;
}
