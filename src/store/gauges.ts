import { statementCache, type Db } from "./database.js";

/** Alerts by what they are now: raised and unacknowledged, acknowledged, cleared. */
export interface AlertCounts {
  readonly raised: number;
  readonly acked: number;
  readonly cleared: number;
}

/** The delivery outbox: notices waiting to go now, and how long the oldest of them has waited. */
export interface OutboxGauge {
  readonly ready: number;
  /** Fallbacks waiting for their time (not late). */
  readonly waiting: number;
  readonly oldestReadyAgeMs: number;
}

/** Counts read at scrape time for /metrics: cheap aggregate queries, nothing kept in memory. */
export class StoreGauges {
  private readonly sql;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  /** Alerts by state at `now` (an ack that ran out counts as raised). */
  alerts(now: number): AlertCounts {
    const row = this.sql(
      `SELECT
         COALESCE(SUM(status = 'raised' AND (ack_until IS NULL OR ack_until <= ?)), 0) AS raised,
         COALESCE(SUM(status = 'raised' AND ack_until > ?), 0) AS acked,
         COALESCE(SUM(status = 'cleared'), 0) AS cleared
       FROM alerts`,
    ).get(now, now) as AlertCounts;
    return { raised: row.raised, acked: row.acked, cleared: row.cleared };
  }

  /** The outbox at `now`. */
  outbox(now: number): OutboxGauge {
    const row = this.sql(
      `SELECT
         COALESCE(SUM(not_before IS NULL OR not_before <= ?), 0) AS ready,
         COALESCE(SUM(not_before > ?), 0) AS waiting,
         MIN(CASE WHEN not_before IS NULL OR not_before <= ? THEN COALESCE(not_before, created_at) END) AS oldest
       FROM deliveries WHERE status = 'pending'`,
    ).get(now, now, now) as { ready: number; waiting: number; oldest: number | null };
    return {
      ready: row.ready,
      waiting: row.waiting,
      oldestReadyAgeMs: row.oldest === null ? 0 : Math.max(0, now - row.oldest),
    };
  }

  /** The newest history line's id (the audit feed's cursor trails it). */
  lastHistoryId(): number {
    return (this.sql("SELECT COALESCE(MAX(id), 0) AS id FROM alert_history").get() as { id: number }).id;
  }

  /** Sources whose agent is connected (an owner, and its presence not gone), and sources down. */
  agents(): { connected: number; down: number } {
    const row = this.sql(
      `SELECT COUNT(DISTINCT CASE WHEN down_since IS NULL THEN owner_jid END) AS connected,
              COUNT(DISTINCT CASE WHEN down_since IS NOT NULL THEN owner_jid END) AS down
       FROM sources WHERE owner_jid != ''`,
    ).get() as { connected: number; down: number };
    return row;
  }
}
