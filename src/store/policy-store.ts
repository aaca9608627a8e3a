import { statementCache, type Db } from "./database.js";
import { HeldRows } from "./held-rows.js";
import type { StateSlot } from "../util/state-slot.js";

/** A delivery waiting for (or done with) its channels; `body` is the policy's Delivery as JSON. */
export interface StoredDelivery<T> {
  id: number;
  shortId: number;
  person: string;
  delivery: T;
  createdAt: number;
  /** Set on a fallback: it waited for an answer until then. */
  notBefore: number | null;
}

/** Who heard of an alert's raise (see `PolicyStore.heardOf`). */
export interface RaiseHeard {
  /** The last delivery queued before this raise began: those after it are about this raise. */
  floor: number;
  /** The people sent or digested a notice of this raise. */
  heard: string[];
  /** The same for the raise before; null when not known (raised before this was kept). */
  heardBefore: string[] | null;
}

/** Who heard of an alert's raise, from its row's `raise_floor`, `heard` and `heard_before`. */
export function raiseHeard(floor: number, heard: string | null, heardBefore: string | null): RaiseHeard {
  return {
    floor,
    heard: heard === null ? [] : (JSON.parse(heard) as string[]),
    heardBefore: heardBefore === null ? null : (JSON.parse(heardBefore) as string[]),
  };
}

/**
 * How a delivery's body is kept (src/policy/delivery-codec.ts is the bot's): without the person
 * and the alert, which the row's columns hold. By default, the caller's object as JSON.
 */
export interface DeliveryForm<T> {
  encode(delivery: T): unknown;
  /** A new delivery each call, from a parsed body it must not change (rows with the same body share it). */
  decode(body: unknown, person: string, shortId: number): T;
}

const AS_GIVEN: DeliveryForm<never> = {
  encode: (delivery) => delivery,
  decode: (body) => structuredClone(body) as never,
};

/** A pending delivery's row as `pending` and `pendingAbout` read it (the person is the one asked about). */
const PENDING_COLUMNS = "id, short_id, body, created_at, not_before";
/** As read raw, in `PENDING_COLUMNS`' order: rows as arrays, not objects keyed by column name. */
type PendingRow = [id: number, shortId: number, body: string, createdAt: number, notBefore: number | null];

/**
 * The rows read, decoded. A body is parsed once per read however many rows share it (the decoded
 * delivery takes what it needs of the parsed value, which is not changed): a storm's notices share
 * a handful of bodies, and parsing each one again was a third of reading a storm's outbox.
 */
function storedDeliveries<T>(
  rows: readonly PendingRow[],
  person: string,
  form: DeliveryForm<T>,
): Array<StoredDelivery<T>> {
  const parsed = new Map<string, unknown>();
  return rows.map((r) => {
    const [id, shortId, text, createdAt, notBefore] = r;
    let body = parsed.get(text);
    if (body === undefined) parsed.set(text, (body = JSON.parse(text)));
    return { id, shortId, person, delivery: form.decode(body, person, shortId), createdAt, notBefore };
  });
}

/** The columns `addDeliveries` writes of a row, in the order of {@link insertDeliveriesSql}'s. */
const DELIVERY_COLUMNS = 6;
/** Rows written by one statement at most. */
const DELIVERIES_PER_INSERT = 100;
const INSERT_DELIVERIES: string[] = [];
/** The statement that writes `n` delivery rows, built once per `n`. */
function insertDeliveriesSql(n: number): string {
  return (INSERT_DELIVERIES[n] ??=
    "INSERT INTO deliveries (short_id, person, body, created_at, updated_at, not_before) VALUES " +
    Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?)").join(", "));
}

/** How a delivery ended ("moot": a fallback no longer needed, the alert was answered or cleared). */
export type DeliveryStatus = "sent" | "failed" | "digested" | "moot";

/**
 * The policy's durable state: escalation chains, the delivery outbox, what each person was sent
 * (for storm limits) and silences. Opaque JSON bodies: the shapes belong to src/policy.
 */
export class PolicyStore {
  private readonly sql;
  private readonly rows;
  /** The deliveries' values ({@link DELIVERY_COLUMNS} a row) held back by {@link holdDeliveries}. */
  private readonly held = new HeldRows<unknown>((values) => this.insertDeliveries(values));

  constructor(db: Db) {
    this.sql = statementCache(db);
    this.rows = statementCache(db, { raw: true });
  }

  /** The escalation state of an alert, parsed, or null. */
  escalation<T>(shortId: number): T | null {
    const text = this.escalationText(shortId);
    return text === null ? null : (JSON.parse(text) as T);
  }

  /** The escalation state of an alert as stored (JSON text), or null. */
  escalationText(shortId: number): string | null {
    const row = this.sql("SELECT escalation FROM alerts WHERE short_id = ?").get(shortId) as
      { escalation: string | null } | undefined;
    return row?.escalation ?? null;
  }

  /** Stores (or, with null, forgets) an alert's escalation state. */
  setEscalation(shortId: number, state: unknown): void {
    this.setEscalationText(shortId, state === null ? null : JSON.stringify(state));
  }

  /** Stores (or, with null, forgets) an alert's escalation state already as JSON text. */
  setEscalationText(shortId: number, text: string | null): void {
    this.sql("UPDATE alerts SET escalation = ? WHERE short_id = ?").run(text, shortId);
  }

  /** Queues deliveries for sending, at once or not before `notBefore` (see {@link holdDeliveries}). */
  addDeliveries<T extends { person: string; shortId: number }>(
    deliveries: readonly T[],
    at: number,
    notBefore: number | null = null,
    form: DeliveryForm<T> = AS_GIVEN,
  ): void {
    const values: unknown[] = [];
    for (const d of deliveries) values.push(d.shortId, d.person, JSON.stringify(form.encode(d)), at, at, notBefore);
    this.held.add(values);
  }

  /**
   * Runs `fn`, the deliveries it queues written as it returns, in the order queued (so with the
   * numbers they would have had), a hundred rows a statement: a statement per row cost about twice
   * what its row did, and an update queues one for each alert it tells of. For a span that reads no
   * delivery and writes none otherwise: an update's alerts, each written and then its own notices
   * queued. An alert raised again reads the last number given out (its raise's floor, see
   * `heardOf`): the caller writes what is held before it ({@link writeHeldDeliveries}).
   */
  holdDeliveries<R>(fn: () => R): R {
    return this.held.hold(fn);
  }

  /**
   * Writes what {@link holdDeliveries} holds so far, now: before a write that reads the numbers
   * given out (an alert raised again: its raise's floor).
   */
  writeHeldDeliveries(): void {
    this.held.flush();
  }

  /** Writes deliveries given as their columns' values, {@link DELIVERY_COLUMNS} a row. */
  private insertDeliveries(values: readonly unknown[]): void {
    const rows = values.length / DELIVERY_COLUMNS;
    for (let done = 0; done < rows; done += DELIVERIES_PER_INSERT) {
      const n = Math.min(DELIVERIES_PER_INSERT, rows - done);
      this.sql(insertDeliveriesSql(n)).run(...values.slice(done * DELIVERY_COLUMNS, (done + n) * DELIVERY_COLUMNS));
    }
  }

  /** People with deliveries ready to go at `now`. */
  // Person by person through the pending index (a skip scan), each stopping at its first ready
  // delivery: DISTINCT read every pending row, and a storm the limit holds back leaves thousands
  // pending, read again at every flush. The index is named: with another index led by person beside
  // it (schema 11 had one), SQLite took that one and walked every delivery ever kept, at every flush.
  peopleWithPending(now: number): string[] {
    return (
      this.sql(
        `WITH RECURSIVE pending (person) AS (
           SELECT MIN(person) FROM deliveries INDEXED BY deliveries_pending WHERE status = 'pending'
           UNION ALL
           SELECT (SELECT MIN(d.person) FROM deliveries d INDEXED BY deliveries_pending
                    WHERE d.status = 'pending' AND d.person > p.person)
             FROM pending p WHERE p.person IS NOT NULL)
         SELECT person FROM pending p
          WHERE person IS NOT NULL AND EXISTS (
            SELECT 1 FROM deliveries d INDEXED BY deliveries_pending
             WHERE d.status = 'pending' AND d.person = p.person AND (d.not_before IS NULL OR d.not_before <= ?))`,
      ).all(now) as Array<{ person: string }>
    ).map((r) => r.person);
  }

  /** When the next waiting delivery (a fallback) becomes ready, or null. */
  nextWaiting(): number | null {
    return (
      this.sql(
        "SELECT MIN(not_before) AS t FROM deliveries WHERE status = 'pending' AND not_before IS NOT NULL",
      ).get() as { t: number | null }
    ).t;
  }

  /** One person's deliveries ready at `now`, oldest first. */
  pending<T>(person: string, now: number, form: DeliveryForm<T> = AS_GIVEN): Array<StoredDelivery<T>> {
    const rows = this.rows(
      `SELECT ${PENDING_COLUMNS} FROM deliveries INDEXED BY deliveries_pending WHERE status = 'pending' AND person = ? AND (not_before IS NULL OR not_before <= ?) ORDER BY id`,
    ).all(person, now) as PendingRow[];
    return storedDeliveries(rows, person, form);
  }

  /** Every delivery still kept for an alert, oldest first, with how it stands (for the web board). */
  deliveriesOf<T>(
    shortId: number,
    form: DeliveryForm<T> = AS_GIVEN,
  ): Array<{ person: string; status: string; delivery: T; createdAt: number; updatedAt: number }> {
    const rows = this.sql(
      "SELECT person, status, body, created_at, updated_at FROM deliveries WHERE short_id = ? ORDER BY id",
    ).all(shortId) as Array<{ person: string; status: string; body: string; created_at: number; updated_at: number }>;
    return rows.map((r) => ({
      person: r.person,
      status: r.status,
      delivery: form.decode(JSON.parse(r.body), r.person, shortId),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /**
   * Who heard of each of `shortIds`' raise: the people sent or digested a notice of it (see
   * `markHeard`), and of the raise before, with the last delivery queued before this raise
   * (`floor`: later ones are about it). Alerts not kept are left out.
   */
  heardOf(shortIds: readonly number[]): Map<number, RaiseHeard> {
    const rows = this.sql(
      "SELECT short_id, raise_floor, heard, heard_before FROM alerts WHERE short_id IN (SELECT value FROM json_each(?))",
    ).all(JSON.stringify([...new Set(shortIds)])) as Array<{
      short_id: number;
      raise_floor: number;
      heard: string | null;
      heard_before: string | null;
    }>;
    return new Map(rows.map((r) => [r.short_id, raiseHeard(r.raise_floor, r.heard, r.heard_before)]));
  }

  /**
   * Records that `person` heard of each alert of `told` through the delivery numbered `id`: of
   * the alert's raise, or of the raise before when the delivery was queued before this one began.
   * Kept in the alert's row, which the notice's history line writes in the same commit: an index
   * of every delivery by person and alert wrote pages of its own at every queued notice.
   */
  markHeard(person: string, told: ReadonlyArray<{ shortId: number; id: number }>): void {
    // One statement for the whole list (a digest tells of hundreds, and a statement each was most
    // of what marking them cost), which writes nothing where they are listed already. One
    // statement updates a row once, so a second notice of the same alert goes in a second round.
    // The raise before's list not known (null) stays not known: one name would read as "only they heard".
    const mark = this.sql(
      `UPDATE alerts SET
         heard = CASE WHEN t.id > raise_floor THEN json_insert(coalesce(heard, '[]'), '$[#]', @person) ELSE heard END,
         heard_before = CASE WHEN t.id > raise_floor THEN heard_before ELSE json_insert(heard_before, '$[#]', @person) END
        FROM (SELECT value ->> 0 AS short_id, value ->> 1 AS id FROM json_each(@told)) AS t
        WHERE alerts.short_id = t.short_id AND NOT EXISTS (
          SELECT 1 FROM json_each(CASE WHEN t.id > raise_floor THEN coalesce(heard, '[]')
                                       ELSE coalesce(heard_before, json_array(@person)) END)
           WHERE value = @person)`,
    );
    for (const round of roundsByAlert(told)) mark.run({ person, told: JSON.stringify(round) });
  }

  /**
   * Every delivery to `person` about any of `shortIds` still to go, ready or waiting (a fallback,
   * one held), those being sent now included, oldest first.
   */
  pendingAbout<T>(
    person: string,
    shortIds: readonly number[],
    form: DeliveryForm<T> = AS_GIVEN,
  ): Array<StoredDelivery<T>> {
    const rows = this.rows(
      `SELECT ${PENDING_COLUMNS} FROM deliveries INDEXED BY deliveries_pending
        WHERE status = 'pending' AND person = ? AND short_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    ).all(person, JSON.stringify([...new Set(shortIds)])) as PendingRow[];
    return storedDeliveries(rows, person, form);
  }

  /** Records how a delivery ended. */
  finish(id: number, status: DeliveryStatus, at: number): void {
    this.sql("UPDATE deliveries SET status = ?, updated_at = ? WHERE id = ?").run(status, at, id);
  }

  /** Records how several deliveries ended (those of one digest), in one statement. */
  finishEach(ids: readonly number[], status: DeliveryStatus, at: number): void {
    if (ids.length === 0) return;
    this.sql("UPDATE deliveries SET status = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?))").run(
      status,
      at,
      JSON.stringify(ids),
    );
  }

  /**
   * Makes pending deliveries wait until `notBefore`; `held` marks them as waiting for a silence or
   * a window to end, which `releaseHeld` and `releaseHeldChanged` let go sooner.
   */
  deferEach(ids: readonly number[], notBefore: number, at: number, held = false): void {
    if (ids.length === 0) return;
    this.sql(
      `UPDATE deliveries SET not_before = ?, updated_at = ?,
         held = CASE WHEN ? THEN coalesce((SELECT a.history_head FROM alerts a WHERE a.short_id = deliveries.short_id), 0) END
        WHERE status = 'pending' AND id IN (SELECT value FROM json_each(?))`,
    ).run(notBefore, at, held ? 1 : 0, JSON.stringify(ids));
  }

  /**
   * Lets every pending delivery waiting for a hold go at `now` (to be looked at again): the holds
   * changed. Returns how many were waiting.
   */
  releaseHeld(now: number): number {
    return this.sql(
      `UPDATE deliveries INDEXED BY deliveries_held SET not_before = ?, updated_at = ?, held = NULL
        WHERE status = 'pending' AND held IS NOT NULL`,
    ).run(now, now).changes;
  }

  /**
   * Lets the pending deliveries waiting for a hold whose alert changed since they were put off go
   * at `now` (an update may have taken it out of the silence or the window's rule, an ack or a
   * clear made it moot): its history moved on from the head `deferEach` kept. Returns how many;
   * `held` is whether any still wait.
   */
  releaseHeldChanged(now: number): { released: number; held: boolean } {
    const released = this.sql(
      `UPDATE deliveries INDEXED BY deliveries_held SET not_before = ?, updated_at = ?, held = NULL
        WHERE status = 'pending' AND held IS NOT NULL
          AND coalesce((SELECT a.history_head FROM alerts a WHERE a.short_id = deliveries.short_id), 0) <> held`,
    ).run(now, now).changes;
    const held = this.sql(
      "SELECT 1 FROM deliveries INDEXED BY deliveries_held WHERE status = 'pending' AND held IS NOT NULL LIMIT 1",
    ).get();
    return { released, held: held !== undefined };
  }

  /** Records one message sent to a person. */
  recordSend(person: string, kind: string, at: number): void {
    this.sql("INSERT INTO sends (person, at, kind) VALUES (?, ?, ?)").run(person, at, kind);
  }

  /**
   * Of the messages sent to `person` after `after` and up to `until`: how many, counted up to
   * `most`, and when the oldest of the newest `most` of them went (null if none). Counted here over
   * at most `most` entries of the index: a storm logs thousands in a window, and reading each out
   * cost more than planning with them. The `most`-th newest, when there is one, answers both; else
   * every one of the window counts, and the oldest is the index's first: SQLite counts and finds
   * those for less than it passed each of the newest through a subquery to count them.
   */
  sendsWithin(person: string, after: number, until: number, most: number): { count: number; oldestAt: number | null } {
    if (!(most >= 1))
      return this.sql(
        `SELECT count(*) AS count, min(at) AS oldestAt FROM (
           SELECT at FROM sends INDEXED BY sends_by_person
            WHERE person = ? AND at > ? AND at <= ? ORDER BY at DESC LIMIT ?)`,
      ).get(person, after, until, most) as { count: number; oldestAt: number | null };
    const last = this.rows(
      `SELECT at FROM sends INDEXED BY sends_by_person
        WHERE person = ? AND at > ? AND at <= ? ORDER BY at DESC LIMIT 1 OFFSET ?`,
    ).get(person, after, until, most - 1) as [number] | undefined;
    if (last !== undefined) return { count: most, oldestAt: last[0] };
    const [count] = this.rows(
      "SELECT count(*) FROM sends INDEXED BY sends_by_person WHERE person = ? AND at > ? AND at <= ?",
    ).get(person, after, until) as [number];
    if (count === 0) return { count, oldestAt: null };
    const [oldestAt] = this.rows(
      "SELECT at FROM sends INDEXED BY sends_by_person WHERE person = ? AND at > ? AND at <= ? ORDER BY at LIMIT 1",
    ).get(person, after, until) as [number];
    return { count, oldestAt };
  }

  /** The last message of this kind a person was sent, if any. */
  lastSend<K extends string>(person: string, kind: K): { at: number; kind: K } | undefined {
    return this.sql("SELECT at, kind FROM sends WHERE person = ? AND kind = ? ORDER BY at DESC LIMIT 1").get(
      person,
      kind,
    ) as { at: number; kind: K } | undefined;
  }

  /**
   * Forgets at most `limit` deliveries that ended (sent, failed, digested, moot) and were created
   * before `before`, oldest first; a pending one is kept whatever its age. Returns how many.
   */
  pruneDeliveries(before: number, limit: number): number {
    return this.sql(
      `DELETE FROM deliveries WHERE id IN (
         SELECT id FROM deliveries
          WHERE id < COALESCE((SELECT id FROM deliveries WHERE created_at >= @before ORDER BY id LIMIT 1),
                              (SELECT MAX(id) + 1 FROM deliveries))
            AND created_at < @before AND status <> 'pending'
          ORDER BY id LIMIT @limit)`,
    ).run({ before, limit }).changes;
  }

  /** Forgets at most `limit` records of messages sent before `before`, oldest first; returns how many. */
  pruneSends(before: number, limit: number): number {
    return this.sql(
      `DELETE FROM sends WHERE id IN (
         SELECT id FROM sends
          WHERE id < COALESCE((SELECT id FROM sends WHERE at >= @before ORDER BY id LIMIT 1), (SELECT MAX(id) + 1 FROM sends))
            AND at < @before
          ORDER BY id LIMIT @limit)`,
    ).run({ before, limit }).changes;
  }

  /** A durable fact of the bot's own (e.g. the audit feed's cursor), or undefined. */
  botState(key: string): string | undefined {
    return (this.sql("SELECT value FROM bot_state WHERE key = ?").get(key) as { value: string } | undefined)?.value;
  }

  /** Stores a durable fact of the bot's own. */
  setBotState(key: string, value: string): void {
    this.sql("INSERT OR REPLACE INTO bot_state (key, value) VALUES (?, ?)").run(key, value);
  }

  /** The durable fact `key` of the bot's own, as a slot a component reads and writes without knowing the store. */
  slot(key: string): StateSlot {
    return { load: () => this.botState(key), save: (text) => this.setBotState(key, text) };
  }

  /** Forgets a durable fact of the bot's own. */
  clearBotState(key: string): void {
    this.sql("DELETE FROM bot_state WHERE key = ?").run(key);
  }

  /** Whether this person approved our presence subscription. */
  presenceApproved(jid: string): boolean {
    return this.sql("SELECT 1 FROM presence_approvals WHERE jid = ?").get(jid) !== undefined;
  }

  /** Records that a person approved (or revoked) our presence subscription. */
  setPresenceApproved(jid: string, approved: boolean, at: number): void {
    if (approved) this.sql("INSERT OR REPLACE INTO presence_approvals (jid, approved_at) VALUES (?, ?)").run(jid, at);
    else this.sql("DELETE FROM presence_approvals WHERE jid = ?").run(jid);
  }

  /** Adds a silence; returns its id. */
  addSilence(matcher: unknown, until: number, by: string, why: string, at: number): number {
    const r = this.sql("INSERT INTO silences (matcher, until, by, why, created_at) VALUES (?, ?, ?, ?, ?)").run(
      JSON.stringify(matcher),
      until,
      by,
      why,
      at,
    );
    return Number(r.lastInsertRowid);
  }

  /** Silences still in force at `now`. */
  liveSilences<M>(now: number): Array<{ id: number; matcher: M; until: number; by: string; why: string }> {
    const rows = this.sql("SELECT * FROM silences WHERE until > ? ORDER BY id").all(now) as Array<{
      id: number;
      matcher: string;
      until: number;
      by: string;
      why: string;
    }>;
    return rows.map((r) => ({ ...r, matcher: JSON.parse(r.matcher) as M }));
  }

  /** Ends a silence now; false when there was none with that id. */
  endSilence(id: number, now: number): boolean {
    return this.sql("UPDATE silences SET until = ? WHERE id = ? AND until > ?").run(now, id, now).changes > 0;
  }
}

/** `told` as [shortId, id] pairs in rounds where each alert comes once, in the order given. */
function roundsByAlert(told: ReadonlyArray<{ shortId: number; id: number }>): Array<Array<[number, number]>> {
  const rounds: Array<Array<[number, number]>> = [];
  const seen = new Map<number, number>();
  for (const { shortId, id } of told) {
    const round = seen.get(shortId) ?? 0;
    seen.set(shortId, round + 1);
    (rounds[round] ??= []).push([shortId, id]);
  }
  return rounds;
}
