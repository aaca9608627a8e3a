/**
 * sourceReading() as it was until schema 10 (dots dropped at the ends only), in SQL, as migration
 * 8 computed it for the sources already known: the same steps in the same order (trim(x, '.')
 * drops dots at both ends as the code's regex did; replace() is case-sensitive and goes left to
 * right without overlaps, as String.replace with /g does; lower() folds ASCII only, as sourceKey
 * does). Kept as it was, since a released step is never edited.
 */
const SOURCE_READING_SQL_V8 =
  "replace(replace(replace(replace(lower(replace(replace(trim(source, '.'), 'I', 'l'), '1', 'l')), '0', 'o'), 'rn', 'm'), 'vv', 'w'), 'cl', 'd')";

// A run of separators in a source name is at most 512 long (FIELD_LIMITS.source); each pass of
// SEPARATOR_PAIRS below at least halves every run, so this many passes leave one of each run.
const SEPARATOR_PASSES = 11;
const SEPARATORS = [".", "-", "_"] as const;

// A run of separators folded to its first, as sourceReading's /([._-])[._-]+/ does: SQLite has no
// regular expressions, so each pair of separators is made its first, pass after pass. The first of
// a run is never the second of a pair (what comes before it is not a separator), so it stays.
function foldSeparatorRunsSql(expr: string): string {
  let out = expr;
  for (let pass = 0; pass < SEPARATOR_PASSES; pass++)
    for (const a of SEPARATORS) for (const b of SEPARATORS) out = `replace(${out}, '${a}${b}', '${a}')`;
  return out;
}

/**
 * sourceReading() (src/codec/source-name.ts) in SQL, as migration 10 computes it for the sources
 * already known: the same steps in the same order (trim(x, '._-') drops separators at both ends
 * as the code's regex does, foldSeparatorRunsSql folds runs; replace() is case-sensitive and goes
 * left to right without overlaps, as String.replace with /g does; lower() folds ASCII only, as
 * sourceKey does). Rows written since carry the code's own. Exported for the unit test that holds
 * the two equal.
 */
export const SOURCE_READING_SQL = `replace(replace(replace(replace(lower(replace(replace(${foldSeparatorRunsSql(
  "trim(source, '._-')",
)}, 'I', 'l'), '1', 'l')), '0', 'o'), 'rn', 'm'), 'vv', 'w'), 'cl', 'd')`;

/** One schema step; `version` is what `PRAGMA user_version` reads after it ran. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
  /**
   * The step drops and rebuilds a table that others refer to by foreign key: SQLite's procedure
   * (sqlite.org/lang_altertable.html) turns foreign keys off around its transaction and checks
   * them all before it commits.
   */
  rebuildsReferencedTable?: boolean;
}

/**
 * The schema history, oldest first. Never edit a released step: add a new one.
 * Times are UNIX milliseconds; transmission ids and sequences are decimal text (uint64 overflows SQLite's INTEGER).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "alerts, history, sources, transmission dedup, escalations, deliveries, silences",
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
        policy_due_at       INTEGER,
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
        last_seen_at   INTEGER NOT NULL,
        -- When the agent's presence went away (null while it is there).
        down_since     INTEGER
      );
      CREATE INDEX sources_by_owner ON sources (owner_jid);

      CREATE TABLE transmissions (
        transmission_id  TEXT PRIMARY KEY,
        source           TEXT NOT NULL,
        received_at      INTEGER NOT NULL
      );
      CREATE INDEX transmissions_by_age ON transmissions (received_at);

      -- The policy's escalation chain of each raised alert (JSON, owned by src/policy).
      CREATE TABLE escalations (
        short_id  INTEGER PRIMARY KEY REFERENCES alerts (short_id),
        state     TEXT NOT NULL
      );

      -- Every notice the policy decided on, kept until its final outcome is known, so a restart
      -- neither loses one (pending ones are sent at start) nor repeats one (sent ones are done).
      CREATE TABLE deliveries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        short_id    INTEGER NOT NULL REFERENCES alerts (short_id),
        person      TEXT NOT NULL,
        body        TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'digested', 'moot')),
        -- Not to be sent before this time (fallbacks wait for an answer first); null: at once.
        not_before  INTEGER,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      );
      CREATE INDEX deliveries_pending ON deliveries (person, id) WHERE status = 'pending';
      CREATE INDEX deliveries_waiting ON deliveries (not_before) WHERE status = 'pending' AND not_before IS NOT NULL;

      -- What each person was sent, for the storm limits.
      CREATE TABLE sends (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        person  TEXT NOT NULL,
        at      INTEGER NOT NULL,
        kind    TEXT NOT NULL
      );
      CREATE INDEX sends_by_person ON sends (person, at);

      -- People who approved AlertBot's presence subscription (a component has no roster to remember it).
      CREATE TABLE presence_approvals (
        jid          TEXT PRIMARY KEY,
        approved_at  INTEGER NOT NULL
      );

      -- Small durable facts of the bot itself, e.g. how far the audit feed has published.
      CREATE TABLE bot_state (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      );

      CREATE TABLE silences (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        matcher     TEXT NOT NULL,
        until       INTEGER NOT NULL,
        by          TEXT NOT NULL,
        why         TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "storm limits read a person's last quiet digest without scanning every send",
    sql: `
      CREATE INDEX sends_by_person_kind ON sends (person, kind, at);
    `,
  },
  {
    version: 3,
    description: "retention: transmissions pruned per source, keeping the newest a node may still replay",
    sql: `
      CREATE INDEX transmissions_by_source ON transmissions (source, received_at);
      DROP INDEX transmissions_by_age;
    `,
  },
  {
    version: 4,
    description: "sequenced updates: their newest transmission ids kept in the source's row, not a row each",
    sql: `
      ALTER TABLE sources ADD COLUMN recent_transmissions TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 5,
    description: "transmissions keyed by source and id in one B-tree (WITHOUT ROWID), no separate index",
    sql: `
      CREATE TABLE transmissions_v5 (
        source           TEXT NOT NULL,
        transmission_id  TEXT NOT NULL,
        received_at      INTEGER NOT NULL,
        PRIMARY KEY (source, transmission_id)
      ) WITHOUT ROWID;
      INSERT INTO transmissions_v5 (source, transmission_id, received_at)
        SELECT source, transmission_id, received_at FROM transmissions;
      DROP TABLE transmissions;
      ALTER TABLE transmissions_v5 RENAME TO transmissions;
    `,
  },
  {
    version: 6,
    description:
      "an alert's history chained from the alert (its newest line, each line the one before), not indexed by alert",
    sql: `
      -- The index by alert put each alert's lines on pages of their own: a commit that told of 20
      -- alerts wrote 20 of its pages, most of what the commit wrote. The chain's links live in
      -- rows the same commit writes anyway: the alert's, and the new line's.
      ALTER TABLE alerts ADD COLUMN history_head INTEGER;
      ALTER TABLE alert_history ADD COLUMN prev_id INTEGER;
      UPDATE alert_history SET prev_id = (
        SELECT MAX(p.id) FROM alert_history p WHERE p.short_id = alert_history.short_id AND p.id < alert_history.id);
      UPDATE alerts SET history_head = (SELECT MAX(h.id) FROM alert_history h WHERE h.short_id = alerts.short_id);
      DROP INDEX alert_history_by_alert;
      -- A line is written with prev_id set to its alert's head (see AlertStore.record); this moves
      -- the head on, whoever wrote the line.
      CREATE TRIGGER alert_history_head AFTER INSERT ON alert_history BEGIN
        UPDATE alerts SET history_head = NEW.id WHERE short_id = NEW.short_id;
      END;
    `,
  },
  {
    version: 7,
    description: "an alert's escalation state kept in the alert's row, not a table of its own",
    sql: `
      -- The policy writes an alert's escalation in the same look as when it looks again: in a row
      -- of its own, that was a second statement and a second B-tree's pages for every look.
      ALTER TABLE alerts ADD COLUMN escalation TEXT;
      UPDATE alerts SET escalation = (SELECT e.state FROM escalations e WHERE e.short_id = alerts.short_id)
        WHERE short_id IN (SELECT short_id FROM escalations);
      DROP TABLE escalations;
    `,
  },
  {
    version: 8,
    description: "sources found by how they read and by their letter-case-blind spelling through indexes, not a scan",
    sql: `
      -- A new source is refused when it reads like a known one (src/codec/source-name.ts). Worked
      -- out row by row at every new source, that scan made an agent's first contact cost in
      -- proportion to the agents already known, and a first start with thousands of them, their square.
      ALTER TABLE sources ADD COLUMN reading TEXT NOT NULL DEFAULT '';
      UPDATE sources SET reading = ${SOURCE_READING_SQL_V8};
      CREATE INDEX sources_by_reading ON sources (reading);
      CREATE INDEX sources_by_key ON sources (lower(source));
    `,
  },
  {
    version: 9,
    description:
      "an alert's long texts at the end of its row, the detail last, so reading the rest never walks the detail",
    rebuildsReferencedTable: true,
    sql: `
      -- The detail (HTML, up to 64 KB) sat in the middle of the row, and a record too long for its
      -- page goes on in a chain of overflow pages that SQLite walks to reach any column after it:
      -- the times, the ack, when the policy looks again, the escalation, the history's head. So
      -- every read of an alert with a long detail, each sort of the raised alerts for a page of
      -- them, and each history line's link to the one before walked every page of the detail.
      -- A column added later by ALTER TABLE lands after the detail and pays that walk again:
      -- rebuild the table as here instead (a unit test holds the detail last).
      DROP TRIGGER alert_history_head;
      CREATE TABLE alerts_v9 (
        short_id            INTEGER PRIMARY KEY AUTOINCREMENT,
        source              TEXT NOT NULL,
        alert_id            TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('raised', 'cleared')),
        importance          INTEGER NOT NULL,
        raised_at           INTEGER,
        cleared_at          INTEGER,
        scheduled_raise_at  INTEGER,
        scheduled_clear_at  INTEGER,
        suppress_until      INTEGER,
        ack_by              TEXT,
        ack_at              INTEGER,
        ack_until           INTEGER,
        policy_due_at       INTEGER,
        due_at              INTEGER,
        updated_at          INTEGER NOT NULL,
        history_head        INTEGER,
        escalation          TEXT,
        subject             TEXT NOT NULL DEFAULT '',
        summary             TEXT NOT NULL DEFAULT '',
        ack_note            TEXT,
        detail              TEXT NOT NULL DEFAULT '',
        UNIQUE (source, alert_id)
      );
      INSERT INTO alerts_v9 (short_id, source, alert_id, status, importance, raised_at, cleared_at, scheduled_raise_at, scheduled_clear_at, suppress_until, ack_by, ack_at, ack_until, policy_due_at, due_at, updated_at, history_head, escalation, subject, summary, ack_note, detail)
        SELECT short_id, source, alert_id, status, importance, raised_at, cleared_at, scheduled_raise_at, scheduled_clear_at, suppress_until, ack_by, ack_at, ack_until, policy_due_at, due_at, updated_at, history_head, escalation, subject, summary, ack_note, detail FROM alerts;
      -- Short ids are never given out twice (people say "ack 42"): the counter goes with the rows,
      -- past ids whose alerts are gone.
      DELETE FROM sqlite_sequence WHERE name = 'alerts_v9';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'alerts_v9', seq FROM sqlite_sequence WHERE name = 'alerts';
      DROP TABLE alerts;
      ALTER TABLE alerts_v9 RENAME TO alerts;
      CREATE INDEX alerts_by_status ON alerts (status, importance DESC);
      CREATE INDEX alerts_by_due ON alerts (due_at) WHERE due_at IS NOT NULL;
      CREATE TRIGGER alert_history_head AFTER INSERT ON alert_history BEGIN
        UPDATE alerts SET history_head = NEW.id WHERE short_id = NEW.short_id;
      END;
    `,
  },
  {
    version: 10,
    description: "sources read with separators at either end dropped and runs of them folded",
    sql: `
      -- "web1-", "-.web1" and "web--1" read as "web1" and "web-1" now (src/codec/source-name.ts):
      -- each known source's reading is worked out again. Two known sources may now read alike:
      -- both are kept with their alerts and owners (nothing here is unique), AlertBot logs them at
      -- every start, and only a new source reading like either is refused.
      UPDATE sources SET reading = ${SOURCE_READING_SQL};
    `,
  },
  {
    version: 11,
    description: "what a person was told of an alert read without scanning every delivery",
    sql: `
      -- An ack, a note or a clear goes only to people who heard of the alert: a page the storm
      -- limit held back, then dropped as answered, told them nothing. A person's new deliveries
      -- are about new alerts mostly, so they land at the end of that person's part of the index.
      CREATE INDEX deliveries_by_person_alert ON deliveries (person, short_id, id);
    `,
  },
  {
    version: 12,
    description: "who heard of an alert's raise kept in the alert's row, not read from an index of every delivery",
    rebuildsReferencedTable: true,
    sql: `
      -- The index of version 11 put each person's deliveries about each alert on pages of their
      -- own: every commit that queued notices wrote one of its pages per alert. The alert's row is
      -- written anyway when a notice about it is sent (its history line moves its head), so who
      -- heard of this raise is kept there, and the raise's deliveries are known by their numbers.
      -- Rebuilt, not altered, so that the long texts stay last (see version 9).
      DROP TRIGGER alert_history_head;
      CREATE TABLE alerts_v12 (
        short_id            INTEGER PRIMARY KEY AUTOINCREMENT,
        source              TEXT NOT NULL,
        alert_id            TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('raised', 'cleared')),
        importance          INTEGER NOT NULL,
        raised_at           INTEGER,
        cleared_at          INTEGER,
        scheduled_raise_at  INTEGER,
        scheduled_clear_at  INTEGER,
        suppress_until      INTEGER,
        ack_by              TEXT,
        ack_at              INTEGER,
        ack_until           INTEGER,
        policy_due_at       INTEGER,
        due_at              INTEGER,
        updated_at          INTEGER NOT NULL,
        history_head        INTEGER,
        escalation          TEXT,
        -- The last delivery queued before this raise began: those after it are about this raise.
        raise_floor         INTEGER NOT NULL DEFAULT 0,
        -- The people sent or digested a notice of this raise (a JSON array; null: nobody yet).
        heard               TEXT,
        -- The same for the raise before (null: not known, as for raises before this version).
        heard_before        TEXT,
        subject             TEXT NOT NULL DEFAULT '',
        summary             TEXT NOT NULL DEFAULT '',
        ack_note            TEXT,
        detail              TEXT NOT NULL DEFAULT '',
        UNIQUE (source, alert_id)
      );
      INSERT INTO alerts_v12 (short_id, source, alert_id, status, importance, raised_at, cleared_at, scheduled_raise_at, scheduled_clear_at, suppress_until, ack_by, ack_at, ack_until, policy_due_at, due_at, updated_at, history_head, escalation, subject, summary, ack_note, detail)
        SELECT short_id, source, alert_id, status, importance, raised_at, cleared_at, scheduled_raise_at, scheduled_clear_at, suppress_until, ack_by, ack_at, ack_until, policy_due_at, due_at, updated_at, history_head, escalation, subject, summary, ack_note, detail FROM alerts;
      -- This raise began after the last CLEARED queued about the alert; who was sent a notice since
      -- heard of it. Worked out in one pass over the deliveries each, into tables keyed by alert:
      -- no index finds an alert's deliveries, and a lookup per alert read them all per alert.
      CREATE TEMP TABLE raise_floor_v12 (short_id INTEGER PRIMARY KEY, floor INTEGER NOT NULL);
      INSERT INTO raise_floor_v12 (short_id, floor)
        SELECT short_id, MAX(id) FROM deliveries
         WHERE json_valid(body) AND coalesce(json_extract(body, '$[1]'), json_extract(body, '$.kind')) = 'cleared'
         GROUP BY short_id;
      UPDATE alerts_v12 SET raise_floor = (SELECT f.floor FROM raise_floor_v12 f WHERE f.short_id = alerts_v12.short_id)
       WHERE short_id IN (SELECT short_id FROM raise_floor_v12);
      CREATE TEMP TABLE heard_v12 (short_id INTEGER PRIMARY KEY, heard TEXT NOT NULL);
      INSERT INTO heard_v12 (short_id, heard)
        SELECT d.short_id, json_group_array(DISTINCT d.person) FROM deliveries d
          JOIN alerts_v12 a ON a.short_id = d.short_id
         WHERE d.id > a.raise_floor AND d.status IN ('sent', 'digested')
         GROUP BY d.short_id;
      UPDATE alerts_v12 SET heard = (SELECT h.heard FROM heard_v12 h WHERE h.short_id = alerts_v12.short_id)
       WHERE short_id IN (SELECT short_id FROM heard_v12);
      DROP TABLE raise_floor_v12;
      DROP TABLE heard_v12;
      DELETE FROM sqlite_sequence WHERE name = 'alerts_v12';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'alerts_v12', seq FROM sqlite_sequence WHERE name = 'alerts';
      DROP TABLE alerts;
      ALTER TABLE alerts_v12 RENAME TO alerts;
      CREATE INDEX alerts_by_status ON alerts (status, importance DESC);
      CREATE INDEX alerts_by_due ON alerts (due_at) WHERE due_at IS NOT NULL;
      CREATE TRIGGER alert_history_head AFTER INSERT ON alert_history BEGIN
        UPDATE alerts SET history_head = NEW.id WHERE short_id = NEW.short_id;
      END;
      -- A new raise (status becoming 'raised', whichever statement wrote it) starts with nobody
      -- having heard of it; a new alert's row starts so by its defaults.
      CREATE TRIGGER alert_raise_heard AFTER UPDATE OF status ON alerts
        WHEN NEW.status = 'raised' AND OLD.status <> 'raised' BEGIN
        UPDATE alerts SET
          raise_floor = coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'), 0),
          heard_before = coalesce(OLD.heard, '[]'),
          heard = NULL
         WHERE short_id = NEW.short_id;
      END;
      DROP INDEX deliveries_by_person_alert;
    `,
  },
  {
    version: 13,
    description: "raised alerts indexed by number, to walk them a slice at a time",
    sql: `
      -- The status board's count, the web board and a look again after a silence walk the raised
      -- alerts by number, a slice at a time with the event loop let in between. Entries of one
      -- status in number order let each slice start where the last ended; ordered by importance
      -- first, as before, they helped nothing (the urgency order is sorted anyway) and each slice
      -- either sorted every raised alert or read the whole table.
      DROP INDEX alerts_by_status;
      CREATE INDEX alerts_by_status ON alerts (status);
    `,
  },
  {
    version: 14,
    description: "pending deliveries waiting for a silence or a window to end, marked",
    sql: `
      -- A notice planned before such a hold began waits for it to end. It was looked at again every
      -- minute: a storm held back by the limit and then silenced read every one of its notices, and
      -- their alerts, each minute of the silence. Now one waits until the hold's end, and is looked
      -- at again sooner when the holds change (a silence lifted, a reload, a start) or its alert
      -- changes (an update that changes it, an ack, a clear: anything that writes its history).
      -- held: the alert's history_head when it was put off (0 for none), so a change is told by
      -- the head moving on, not by a time (an alert restated unchanged moves no head, and a clock
      -- stepped back would hide a change).
      ALTER TABLE deliveries ADD COLUMN held INTEGER;
      CREATE INDEX deliveries_held ON deliveries (short_id, held) WHERE status = 'pending' AND held IS NOT NULL;
    `,
  },
  {
    version: 15,
    description: "an alert's history head moved on by whoever writes its lines, not by a trigger",
    sql: `
      -- The trigger ran an UPDATE of its own for every line, which cost more than the line. The
      -- lines are written a batch at a time, their numbers known, so AlertStore moves each alert's
      -- head on to its last line with one statement per batch. Only AlertStore writes history.
      DROP TRIGGER alert_history_head;
    `,
  },
  {
    version: 16,
    description: "pubsub items AlertBot refused, so that an item read again is not refused again",
    sql: `
      -- An agent's node keeps its items, and AlertBot reads them again at every start and
      -- reconnection: an item it refused (malformed, or an alert of it it could not key) was
      -- refused, logged, counted and raised refused-updates again each time. A refused item has no
      -- transmission id AlertBot keeps (a malformed one has none at all): its item id is what is
      -- known of it, with a digest of what it carried: a publisher may publish again under the
      -- same id, and that is a new item. The rowid orders a node's rows as they were refused, for
      -- RefusedItemStore's pruning to the newest.
      CREATE TABLE refused_items (
        node       TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        digest     TEXT NOT NULL,
        refused_at INTEGER NOT NULL,
        UNIQUE (node, item_id, digest)
      );
    `,
  },
];
