/** One schema step; `version` is what `PRAGMA user_version` reads after it ran. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema history, oldest first. Never edit a released step: add a new one.
 * Times are UNIX milliseconds; transmission ids and sequences are decimal text (uint64 overflows SQLite's INTEGER).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "alerts, history, sources, transmission dedup",
    sql: `
      CREATE TABLE alerts (
        short_id            INTEGER PRIMARY KEY AUTOINCREMENT,
        source              TEXT NOT NULL,
        alert_id            TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('raised', 'cleared')),
        subject             TEXT NOT NULL DEFAULT '',
        summary             TEXT NOT NULL DEFAULT '',
        detail              TEXT NOT NULL DEFAULT '',
        importance          INTEGER NOT NULL,
        raised_at           INTEGER,
        cleared_at          INTEGER,
        scheduled_raise_at  INTEGER,
        scheduled_clear_at  INTEGER,
        suppress_until      INTEGER,
        ack_by              TEXT,
        ack_at              INTEGER,
        ack_until           INTEGER,
        ack_note            TEXT,
        notified_at         INTEGER,
        due_at              INTEGER,
        updated_at          INTEGER NOT NULL,
        UNIQUE (source, alert_id)
      );
      CREATE INDEX alerts_by_status ON alerts (status, importance DESC);
      CREATE INDEX alerts_by_due ON alerts (due_at) WHERE due_at IS NOT NULL;

      CREATE TABLE alert_history (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        short_id  INTEGER NOT NULL REFERENCES alerts (short_id),
        kind      TEXT NOT NULL,
        at        INTEGER NOT NULL,
        actor     TEXT NOT NULL,
        detail    TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX alert_history_by_alert ON alert_history (short_id, id);

      CREATE TABLE sources (
        source         TEXT PRIMARY KEY,
        node           TEXT NOT NULL,
        owner_jid      TEXT NOT NULL,
        last_sequence  TEXT NOT NULL DEFAULT '0',
        first_seen_at  INTEGER NOT NULL,
        last_seen_at   INTEGER NOT NULL
      );
      CREATE INDEX sources_by_owner ON sources (owner_jid);

      CREATE TABLE transmissions (
        transmission_id  TEXT PRIMARY KEY,
        source           TEXT NOT NULL,
        received_at      INTEGER NOT NULL
      );
      CREATE INDEX transmissions_by_age ON transmissions (received_at);
    `,
  },
];
