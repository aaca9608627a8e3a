// Where updates come from: the sources the bot knows (node, owner, last sequence) and the
// transmissions already applied, which together keep a replayed or stale update from applying twice.
import { sourceKey, sourceReading } from "../codec/source-name.js";
import { statementCache, type Db } from "./database.js";

/**
 * A known source other than @source whose letter-case-blind spelling is @key or whose reading is @reading: two
 * index lookups (migration 8), whatever the number of sources. lower() is sourceKey()'s fold.
 * Exported for the unit test that holds it to its indexes.
 */
export const LOOKALIKE_SQL =
  "SELECT source FROM sources WHERE (lower(source) = @key OR reading = @reading) AND source <> @source LIMIT 1";

/** A sender the bot knows: which node it publishes to and which account owns it. */
export interface SourceRecord {
  source: string;
  node: string;
  ownerJid: string;
  /** The highest per-source sequence applied; 0n when the sender sends none. */
  lastSequence: bigint;
  /** Transmission ids (decimal) of the source's newest sequenced updates, oldest first. */
  recentTransmissions: readonly string[];
  firstSeenAt: number;
  lastSeenAt: number;
}

// What a source is read as, in this order (see `toRecord`): the columns of SourceRecord only.
// Rows come back as arrays: each update reads its source's row, and the driver builds an object
// row property by property through V8's API (every column of the table, with `SELECT *`).
const SOURCE = "source, node, owner_jid, last_sequence, recent_transmissions, first_seen_at, last_seen_at";

const toRecord = (r: readonly unknown[]): SourceRecord => {
  const recent = r[4] as string;
  return {
    source: r[0] as string,
    node: r[1] as string,
    ownerJid: r[2] as string,
    lastSequence: BigInt(r[3] as string),
    recentTransmissions: recent === "" ? [] : recent.split(" "),
    firstSeenAt: r[5] as number,
    lastSeenAt: r[6] as number,
  };
};

/** Known sources and their owners (trust on first use: an owner, once recorded, is not replaced silently). */
export class SourceStore {
  private readonly sql;
  /** Statements that read whole sources ({@link SOURCE}), as arrays. */
  private readonly rows;

  constructor(db: Db) {
    this.sql = statementCache(db);
    this.rows = statementCache(db, { raw: true });
  }

  /** The source's record, if known. */
  get(source: string): SourceRecord | undefined {
    const row = this.rows(`SELECT ${SOURCE} FROM sources WHERE source = ?`).get(source) as unknown[] | undefined;
    return row && toRecord(row);
  }

  /** Every known source. */
  all(): SourceRecord[] {
    return (this.rows(`SELECT ${SOURCE} FROM sources ORDER BY source`).all() as unknown[][]).map(toRecord);
  }

  /** Whether any source belongs to this account (bare JID). */
  hasOwner(ownerJid: string): boolean {
    return this.sql("SELECT 1 FROM sources WHERE owner_jid = ? LIMIT 1").get(ownerJid) !== undefined;
  }

  /** Marks every source of this agent account as down since `at` (keeping an earlier time). */
  markDown(ownerJid: string, at: number): void {
    this.sql("UPDATE sources SET down_since = COALESCE(down_since, ?) WHERE owner_jid = ?").run(at, ownerJid);
  }

  /** Marks the account's sources as up again; returns those that had been down. */
  markUp(ownerJid: string): string[] {
    const rows = this.sql(
      "UPDATE sources SET down_since = NULL WHERE owner_jid = ? AND down_since IS NOT NULL RETURNING source",
    ).all(ownerJid) as Array<{ source: string }>;
    return rows.map((r) => r.source);
  }

  /** Sources whose agent is away, with since when. */
  down(): Map<string, number> {
    const rows = this.sql("SELECT source, down_since FROM sources WHERE down_since IS NOT NULL").all() as Array<{
      source: string;
      down_since: number;
    }>;
    return new Map(rows.map((r) => [r.source, r.down_since]));
  }

  /**
   * A known source spelled like `source` but for letter case ("web1" for "WEB1"), or that reads
   * like it ("web1" for "webl"), if any: such a newcomer is refused (see src/codec/source-name.ts).
   */
  lookalike(source: string): string | undefined {
    const row = this.sql(LOOKALIKE_SQL).get({ key: sourceKey(source), reading: sourceReading(source), source }) as
      { source: string } | undefined;
    return row?.source;
  }

  /**
   * Known sources that read as one (see sourceReading), each group sorted: stored before the rule
   * that now reads them alike. They are kept, and only a newcomer reading like them is refused.
   */
  readAlike(): string[][] {
    const rows = this.sql(
      "SELECT json_group_array(source) AS sources FROM (SELECT source, reading FROM sources ORDER BY source) GROUP BY reading HAVING count(*) > 1 ORDER BY min(source)",
    ).all() as Array<{ sources: string }>;
    return rows.map((r) => JSON.parse(r.sources) as string[]);
  }

  /**
   * Records a new source and its owner (an empty owner: heard from without an account, e.g. over UDP).
   * A known source keeps its owner; only one known without an owner gets one.
   */
  claim(source: string, node: string, ownerJid: string, at: number): void {
    this.sql(
      `INSERT INTO sources (source, node, owner_jid, first_seen_at, last_seen_at, reading) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET owner_jid = excluded.owner_jid WHERE sources.owner_jid = ''`,
    ).run(source, node, ownerJid, at, at, sourceReading(source));
  }

  /** Notes that an update from this source without a sequence was applied. */
  touch(source: string, at: number): void {
    this.sql("UPDATE sources SET last_seen_at = ? WHERE source = ?").run(at, source);
  }

  /**
   * Notes that a sequenced update from this source was applied: its sequence, and `recent` as the
   * source's newest transmission ids (they live in the row every update rewrites anyway, so a
   * sequenced update writes no transmissions row of its own).
   */
  touchSequenced(source: string, sequence: bigint, recent: readonly string[], at: number): void {
    this.sql("UPDATE sources SET last_sequence = ?, recent_transmissions = ?, last_seen_at = ? WHERE source = ?").run(
      sequence.toString(),
      recent.join(" "),
      at,
      source,
    );
  }

  /** Notes a sequenced update refused as stale among the source's newest transmission ids. */
  noteRecent(source: string, recent: readonly string[]): void {
    this.sql("UPDATE sources SET recent_transmissions = ? WHERE source = ?").run(recent.join(" "), source);
  }
}

/**
 * Transmission ids already applied, so an update that arrives twice (retries, several paths,
 * a replay after a restart) applies once. Unlike Mauve's in-memory cache this survives a restart.
 */
export class TransmissionStore {
  private readonly sql;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  /** True when this source's transmission was applied before (at or after `since`, when given). */
  seen(source: string, transmissionId: bigint, since?: number): boolean {
    const id = transmissionId.toString();
    const row =
      since === undefined
        ? this.sql("SELECT 1 FROM transmissions WHERE source = ? AND transmission_id = ?").get(source, id)
        : this.sql("SELECT 1 FROM transmissions WHERE source = ? AND transmission_id = ? AND received_at >= ?").get(
            source,
            id,
            since,
          );
    return row !== undefined;
  }

  /** Remembers a transmission as applied at `at` (a transmission id applied again: at its latest). */
  remember(transmissionId: bigint, source: string, at: number): void {
    this.sql(
      `INSERT INTO transmissions (source, transmission_id, received_at) VALUES (?, ?, ?)
         ON CONFLICT (source, transmission_id) DO UPDATE SET received_at = excluded.received_at`,
    ).run(source, transmissionId.toString(), at);
  }

  /**
   * Forgets at most `limit` of one source's transmissions received before `before`, keeping its newest
   * `keepNewest` whatever their age: a quiet pubsub node still holds its last items and the bot re-reads
   * them at every start, and an update without a sequence (mauvesend) has only its id to be known by.
   * Returns how many were forgotten.
   */
  prune(source: string, before: number, keepNewest: number, limit: number): number {
    if (keepNewest < 1) throw new RangeError(`keepNewest must be at least 1, got ${keepNewest}`);
    // Fewer than keepNewest rows: the subquery is NULL, and so is every comparison with it. The
    // source's rows are one range of the table's key, read in full: a pass a minute, not per update.
    return this.sql(
      `DELETE FROM transmissions WHERE source = @source AND transmission_id IN (
         SELECT transmission_id FROM transmissions WHERE source = @source AND received_at < @before
            AND received_at < (SELECT received_at FROM transmissions WHERE source = @source
                                 ORDER BY received_at DESC LIMIT 1 OFFSET @keep)
          ORDER BY received_at LIMIT @limit)`,
    ).run({ source, before, keep: keepNewest - 1, limit }).changes;
  }

  /** How many transmissions are remembered (for tests and the soak). */
  count(): number {
    return (this.sql("SELECT COUNT(*) AS n FROM transmissions").get() as { n: number }).n;
  }
}
