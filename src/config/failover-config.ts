// The `failover` section of AlertBot's config: a second AlertBot that takes over (docs/failover.md).
// Absent, AlertBot runs alone exactly as before: no standby, no lease, no replica log.
import { check, maybe, object, optional, transform } from "../schema/combinators.js";
import type { Reader } from "../schema/reader.js";
import { domainJid, duration, int } from "../schema/scalars.js";
import { formatDuration, MINUTE_MS } from "../util/duration.js";

/** Two AlertBots, one active: the timings of docs/failover.md, in milliseconds. */
export interface FailoverConfig {
  /** The JID this process holds while it is the standby (a second component in the server's config). */
  readonly standbyComponent: string;
  /** T: how long an active whose stream still holds the JID must stay silent before the standby claims it (a free JID is claimed at once). */
  readonly takeoverAfterMs: number;
  /** L: an active that has had no answer from the server for this long holds every send. */
  readonly leaseMs: number;
  /** G: how long a new active waits after claiming before its first send; at least L + 1 s. */
  readonly graceMs: number;
  /** How many batches the replica log's node keeps; a standby further behind asks the active for a snapshot. */
  readonly logItems: number;
}

/** What the margin between L and G is for: the old active's last send finishing after its lease ran out. */
export const GRACE_MARGIN_MS = 1_000;

/** Reads the `failover` section. */
export const failoverSection: Reader<FailoverConfig> = check(
  transform(
    object({
      standby_component: domainJid("standby.alertbot.example.org"),
      takeover_after: optional(duration({ min: 2_000, max: 10 * MINUTE_MS }), "20s"),
      lease: optional(duration({ min: 1_000, max: 5 * MINUTE_MS }), "10s"),
      grace: maybe(duration({ min: 2_000, max: 10 * MINUTE_MS })),
      log_items: optional(int(10, 1_000_000), 1000),
    }),
    (f): FailoverConfig => ({
      standbyComponent: f.standbyComponent,
      takeoverAfterMs: f.takeoverAfter,
      leaseMs: f.lease,
      graceMs: f.grace ?? f.lease + GRACE_MARGIN_MS,
      logItems: f.logItems,
    }),
  ),
  (f, problem) => {
    if (f.graceMs < f.leaseMs + GRACE_MARGIN_MS)
      problem("grace", `expected at least lease + 1s (${formatDuration(f.leaseMs + GRACE_MARGIN_MS)})`);
    if (f.takeoverAfterMs <= f.leaseMs)
      problem("takeover_after", `expected more than lease (${formatDuration(f.leaseMs)})`);
  },
);
