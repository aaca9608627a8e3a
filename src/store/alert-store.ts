// The alerts table: its rows as SQLite returns them, and the queries on it.
import type { AckInfo, AlertEvent, AlertRecord, AlertState } from "../alerts/types.js";
import { nextDueAt } from "../alerts/state-machine.js";
import { statementCache, type Db } from "./database.js";
import { digestOrder } from "../alerts/urgency.js";
import { raiseHeard, type RaiseHeard } from "./policy-store.js";
import { HeldRows } from "./held-rows.js";

/** Which alerts `list` returns. */
export type AlertFilter = "raised" | "acked" | "all";

const COLUMNS = [
  "source",
  "alert_id",
  "status",
  "subject",
  "summary",
  "detail",
  "importance",
  "raised_at",
  "cleared_at",
  "scheduled_raise_at",
  "scheduled_clear_at",
  "suppress_until",
  "ack_by",
  "ack_at",
  "ack_until",
  "ack_note",
  "policy_due_at",
  "due_at",
  "updated_at",
] as const;

// What an update may change: an alert's key never moves.
const UPDATABLE = COLUMNS.filter((c) => c !== "source" && c !== "alert_id");

// The statements that write a whole row, without and with the escalation state (written with
// the rest when the policy looked at the alert before it is written), bound by position in the
// order of `columns` (see `saveChanged`): every alert a bulk update raises is written by one.
function wholeRow(columns: readonly string[]): {
  columns: readonly string[];
  insert: string;
  upsert: string;
  updateByShortId: string;
} {
  const updatable = columns.filter((c) => c !== "source" && c !== "alert_id");
  return {
    columns,
    insert: `INSERT INTO alerts (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
  ON CONFLICT (source, alert_id) DO NOTHING`,
    upsert: `INSERT INTO alerts (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
  ON CONFLICT (source, alert_id) DO UPDATE SET ${updatable.map((c) => `${c} = excluded.${c}`).join(", ")}
  RETURNING short_id`,
    updateByShortId: `UPDATE alerts SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE short_id = ? RETURNING short_id`,
  };
}
const WHOLE_ROW = wholeRow(COLUMNS);
const WHOLE_ROW_ESCALATION = wholeRow([...COLUMNS, "escalation"]);

// What an alert is read as, in this order (see `fromValues`), with the table's name or alias before each.
const READ = ["short_id", ...COLUMNS] as const;
const ALERT = READ.join(", ");
// What a list of many alerts reads (the board, a digest): every column but the detail, which can
// be 64 KB an alert and is shown only with the alert on its own.
const BRIEF = READ.map((c) => (c === "detail" ? "'' AS detail" : c)).join(", ");
const BRIEF_A = READ.map((c) => (c === "detail" ? "'' AS detail" : `a.${c}`)).join(", ");

/** What a raised alert is matched on by silences and rules (`AlertFacts`), with its number. */
export interface RaisedFacts {
  readonly shortId: number;
  readonly source: string;
  readonly alertId: string;
  readonly subject: string;
  readonly importance: number;
}

/** What the web board grades, counts and sorts a raised alert on: its facts, its raise and its ack. */
export interface RaisedStanding extends RaisedFacts {
  readonly status: "raised";
  readonly raisedAt: number | null;
  readonly ack: AckInfo | null;
}

/** A page of alerts and the count of every alert the filter matches. */
export interface AlertPage {
  alerts: AlertRecord[];
  total: number;
}

// Raised before cleared, then most important first; among equals, the longest-standing first
// (an alert never raised last), then by number: the order people read `show` in, as `byUrgency`
// (src/alerts/urgency.ts) sorts what is read a slice at a time.
const URGENCY = "ORDER BY status = 'cleared', importance DESC, raised_at IS NULL, raised_at, short_id";

// @now null: any ack counts as acked, even one past its end that the due timer is about to expire.
function whereFor(filter: AlertFilter): string {
  if (filter === "raised") return "WHERE status = 'raised'";
  if (filter === "acked")
    return "WHERE status = 'raised' AND ack_until IS NOT NULL AND (@now IS NULL OR ack_until > @now)";
  return "";
}

// `setPolicyDue`'s statement for each case, indexed by (due time moves) + 2 × (escalation given):
// built once, not per look.
const SET_POLICY = [
  "policy_due_at = @policyDueAt",
  "policy_due_at = @policyDueAt, due_at = @dueAt",
  "policy_due_at = @policyDueAt, escalation = @escalation",
  "policy_due_at = @policyDueAt, due_at = @dueAt, escalation = @escalation",
].map((set) => `UPDATE alerts SET ${set} WHERE short_id = @shortId`);

/** A history line to write: short id, kind, at, actor, detail. */
type HistoryLine = [number, AlertEvent["kind"], number, string, string];

/** Lines written by one statement at most. */
const LINES_PER_INSERT = 100;
const INSERT_LINES: string[] = [];
/**
 * The statement that writes `n` history lines, built once per `n`: each line's values, then the
 * line it links to (null: the alert's head, whose short id follows).
 */
function insertLinesSql(n: number): string {
  return (INSERT_LINES[n] ??=
    "INSERT INTO alert_history (short_id, kind, at, actor, detail, prev_id) VALUES " +
    Array.from(
      { length: n },
      () => "(?, ?, ?, ?, ?, coalesce(?, (SELECT history_head FROM alerts WHERE short_id = ?)))",
    ).join(", "));
}

const SET_HEADS: string[] = [];
/** The statement that moves `n` alerts' heads on: each alert's number, then its new head. */
function setHeadsSql(n: number): string {
  return (SET_HEADS[n] ??=
    "UPDATE alerts SET history_head = v.column2 FROM (VALUES " +
    Array.from({ length: n }, () => "(?, ?)").join(", ") +
    ") AS v WHERE alerts.short_id = v.column1");
}

/** One line of an alert's history as stored. */
export interface HistoryEntry extends AlertEvent {
  id: number;
  shortId: number;
}

/** Alerts of a digest `mostUrgentOf` ranks here at most; SQLite ranks more, keeping only the first few. */
const RANKED_HERE = 500;

/** Alerts and their history in SQLite. Every method is synchronous and joins the caller's transaction. */
export class AlertStore {
  private readonly sql;
  /** Statements that read whole alerts ({@link READ}), as arrays. */
  private readonly rows;
  /** The history lines held back by {@link holdHistory}. */
  private readonly heldLines = new HeldRows<HistoryLine>((lines) => this.insertLines(lines));

  constructor(db: Db) {
    this.sql = statementCache(db);
    this.rows = statementCache(db, { raw: true });
  }

  /**
   * Inserts or updates an alert and returns it with its short id. With `stored` (the same alert as
   * read in this transaction), only the columns that differ are written: SQLite rewrites the index
   * entries of every column an UPDATE sets, changed or not, each on a page of its own.
   * `escalation`, when given, is written with the rest (JSON owned by src/policy; null forgets it):
   * the policy looked at the alert before it was written, and its look costs no second write of
   * the row (see `setPolicyDue`).
   */
  save(state: AlertState, stored?: AlertRecord, escalation?: string | null): AlertRecord {
    const params = alertToParams(state, nextDueAt(state));
    if (escalation !== undefined) params["escalation"] = escalation;
    if (stored !== undefined && state.shortId === stored.shortId) return this.saveChanged(stored, params);
    const statements = escalation !== undefined ? WHOLE_ROW_ESCALATION : WHOLE_ROW;
    // Updating by short id keeps AUTOINCREMENT from burning an id on every upsert.
    // Both statements write every column from `params`, so the row is `params` and its number:
    // returning the whole row cost a second conversion of every column, per alert.
    const values = statements.columns.map((c) => params[c]);
    if (state.shortId === undefined) {
      // A new alert, as a rule: its number is the row's, with no RETURNING (which buffers the
      // rows it returns in a table of their own); one stored after all is written by the upsert.
      const { changes, lastInsertRowid } = this.sql(statements.insert).run(...values);
      if (changes === 1) return written(params, Number(lastInsertRowid));
    }
    const row =
      (state.shortId !== undefined ? this.sql(statements.updateByShortId).get(...values, state.shortId) : undefined) ??
      this.sql(statements.upsert).get(...values);
    return written(params, (row as { short_id: number }).short_id);
  }

  // The escalation, when `params` has it, is written as given: the caller passes it only changed.
  private saveChanged(stored: AlertRecord, params: Record<string, unknown>): AlertRecord {
    const was = alertToParams(stored, nextDueAt(stored));
    const changed: string[] = UPDATABLE.filter((c) => params[c] !== was[c]);
    if ("escalation" in params) changed.push("escalation");
    // Bound by position: for named parameters the driver looks each one up in the object given,
    // through V8's API, and builds the object besides; this runs for every alert an update changes.
    if (changed.length > 0)
      this.sql(`UPDATE alerts SET ${changed.map((c) => `${c} = ?`).join(", ")} WHERE short_id = ?`).run(
        ...changed.map((c) => params[c]),
        stored.shortId,
      );
    return written(params, stored.shortId);
  }

  /**
   * Sets when the policy looks at the alert next (and so when it falls due) and, when given, its
   * escalation state (JSON owned by src/policy; null forgets it), in one statement, touching
   * nothing else.
   */
  setPolicyDue(alert: AlertRecord, policyDueAt: number | null, escalation?: string | null): void {
    const dueAt = nextDueAt({ ...alert, policyDueAt });
    // The due index is written only when the due time moves (see `save`).
    const sql = SET_POLICY[Number(dueAt !== nextDueAt(alert)) + 2 * Number(escalation !== undefined)]!;
    this.sql(sql).run({
      policyDueAt,
      dueAt,
      escalation: escalation ?? null,
      shortId: alert.shortId,
    });
  }

  /**
   * Has the policy look at `now` (after a silence or presence change) at the raised alerts numbered
   * past `afterShortId`, `limit` of them, in one statement: `nextDueAt` in SQL, since `now` is the
   * earliest the other candidates can win against (row by row, each open alert crossed into
   * JavaScript and back, which a large backlog cannot afford). Returns the last number marked, to
   * go on from, or null when none was left. A slice at a time, so that the caller can let chat and
   * updates in between: every alert of a big storm in one statement held the bot's one thread.
   */
  lookAgainAtRaisedAfter(now: number, afterShortId: number, limit: number): number | null {
    const { last } = this.sql(
      `SELECT MAX(short_id) AS last FROM
         (SELECT short_id FROM alerts WHERE short_id > ? AND status = 'raised' ORDER BY short_id LIMIT ?)`,
    ).get(afterShortId, limit) as { last: number | null };
    if (last === null) return null;
    this.sql(
      `UPDATE alerts SET policy_due_at = @now, due_at = MIN(@now,
         COALESCE(scheduled_raise_at, @now), COALESCE(scheduled_clear_at, @now),
         CASE WHEN ack_by IS NOT NULL AND ack_at IS NOT NULL AND ack_until IS NOT NULL THEN ack_until ELSE @now END)
       WHERE short_id > @after AND short_id <= @last AND status = 'raised'`,
    ).run({ now, after: afterShortId, last });
    return last;
  }

  /**
   * Appends events to an alert's history. Each line links to the one before it, the alert's head
   * (moved on to the new line as it is written): see migrations 6 and 15. Held back while
   * {@link holdHistory} runs.
   */
  record(shortId: number, events: readonly AlertEvent[]): void {
    if (events.length === 0) return;
    this.heldLines.add(events.map((e): HistoryLine => [shortId, e.kind, e.at, e.actor, e.detail]));
  }

  /**
   * Runs `fn`, the history lines it records written as it returns, in the order recorded and
   * linked as they would have been one at a time, a hundred a statement: a statement per line
   * cost more than its line, and an update records one for each alert it changes. For a span that
   * reads no alert's history and writes none otherwise: an update's alerts, each written and its
   * lines recorded.
   */
  holdHistory<R>(fn: () => R): R {
    return this.heldLines.hold(fn);
  }

  private insertLines(lines: readonly HistoryLine[]): void {
    if (lines.length === 1) {
      const [shortId, kind, at, actor, detail] = lines[0]!;
      const { lastInsertRowid } = this.sql(
        `INSERT INTO alert_history (short_id, kind, at, actor, detail, prev_id)
           VALUES (?, ?, ?, ?, ?, (SELECT history_head FROM alerts WHERE short_id = ?))`,
      ).run(shortId, kind, at, actor, detail, shortId);
      this.sql("UPDATE alerts SET history_head = ? WHERE short_id = ?").run(lastInsertRowid, shortId);
      return;
    }
    // A line links to the alert's line before it in the list, else to the alert's head. The
    // numbers the lines get: AUTOINCREMENT gives the next past every number ever given.
    const previous = new Map<number, number>();
    const before = lines.map(([shortId], i) => {
      const p = previous.get(shortId);
      previous.set(shortId, i);
      return p;
    });
    const base = before.some((p) => p !== undefined)
      ? (
          this.rows(
            `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'alert_history'), 0),
                      coalesce((SELECT max(id) FROM alert_history), 0))`,
          ).get() as [number]
        )[0]
      : 0;
    let last = 0;
    for (let done = 0; done < lines.length; done += LINES_PER_INSERT) {
      const n = Math.min(LINES_PER_INSERT, lines.length - done);
      const values: unknown[] = [];
      for (let i = done; i < done + n; i++) {
        const [shortId, kind, at, actor, detail] = lines[i]!;
        const p = before[i];
        values.push(shortId, kind, at, actor, detail, p === undefined ? null : base + p + 1, shortId);
      }
      last = Number(this.sql(insertLinesSql(n)).run(...values).lastInsertRowid);
    }
    // The lines were numbered one after another, the last `last`: each alert's last line is its head.
    const first = last - lines.length + 1;
    const heads: number[] = [];
    for (const [shortId, i] of previous) heads.push(shortId, first + i);
    this.setHeads(heads);
  }

  /**
   * Moves alerts' heads on to their newest lines (see migration 15), a hundred alerts a statement:
   * `heads` is each alert's number, then its newest line's.
   */
  private setHeads(heads: readonly number[]): void {
    for (let done = 0; done < heads.length; done += 2 * LINES_PER_INSERT) {
      const n = Math.min(LINES_PER_INSERT, (heads.length - done) / 2);
      this.sql(setHeadsSql(n)).run(...heads.slice(done, done + 2 * n));
    }
  }

  /**
   * Appends the same event to the history of each alert (a digest's outcome, told of every alert
   * in it), in one statement: a statement per alert cost more than the rows themselves.
   */
  recordEach(shortIds: readonly number[], event: AlertEvent): void {
    // Each alert once: a line links to its alert's head as it was when the statement began.
    const unique = [...new Set(shortIds)];
    if (unique.length === 0) return;
    const { lastInsertRowid } = this.sql(
      `INSERT INTO alert_history (short_id, kind, at, actor, detail, prev_id)
         SELECT j.value, @kind, @at, @actor, @detail, a.history_head
           FROM json_each(@ids) j LEFT JOIN alerts a ON a.short_id = j.value ORDER BY j.key`,
    ).run({ ids: JSON.stringify(unique), kind: event.kind, at: event.at, actor: event.actor, detail: event.detail });
    // Written in the list's order, numbered one after another.
    const first = Number(lastInsertRowid) - unique.length + 1;
    this.setHeads(unique.flatMap((shortId, k) => [shortId, first + k]));
  }

  /**
   * Forgets at most `limit` history lines written before `before` of alerts not raised now (an open
   * alert keeps its whole story); returns how many. Lines are walked oldest first and only up to the
   * first one written since `before` (ids grow with time), so a batch never scans the recent history.
   */
  pruneHistory(before: number, limit: number): number {
    return this.sql(
      `DELETE FROM alert_history WHERE id IN (
         SELECT h.id FROM alert_history h JOIN alerts a ON a.short_id = h.short_id
          WHERE h.id < COALESCE((SELECT id FROM alert_history WHERE at >= @before ORDER BY id LIMIT 1),
                                (SELECT MAX(id) + 1 FROM alert_history))
            AND h.at < @before AND a.status <> 'raised'
          ORDER BY h.id LIMIT @limit)`,
    ).run({ before, limit }).changes;
  }

  /** How many history lines are stored (for tests and the soak). */
  historyCount(): number {
    return (this.sql("SELECT COUNT(*) AS n FROM alert_history").get() as { n: number }).n;
  }

  /** The alert a person calls `#shortId`. */
  get(shortId: number): AlertRecord | undefined {
    const row = this.rows(`SELECT ${ALERT} FROM alerts WHERE short_id = ?`).get(shortId) as unknown[] | undefined;
    return row && fromValues(row);
  }

  /**
   * The alerts of these short ids that exist, in the order given, read in one statement and without
   * their detail (a digest names thousands of alerts in a storm, and read whole they were up to
   * 64 KB each, held until the digest's last retry).
   */
  briefEach(shortIds: readonly number[]): AlertRecord[] {
    if (shortIds.length === 0) return [];
    return (
      this.rows(`SELECT ${BRIEF_A} FROM json_each(?) j JOIN alerts a ON a.short_id = j.value ORDER BY j.key`).all(
        JSON.stringify(shortIds),
      ) as unknown[][]
    ).map(fromValues);
  }

  /**
   * Of the alerts of these short ids that exist: the first `limit` in the order a digest lists
   * them (raised before cleared, most important, oldest number: `digestOrder` in
   * src/alerts/urgency.ts), brief as {@link briefEach} reads them; the short ids of those that
   * exist, in the order given; and how many are raised. SQLite keeps only the first `limit` as it
   * sorts, where reading every alert of a storm's digest built 100,000 records to list a few.
   */
  mostUrgentOf(
    shortIds: readonly number[],
    limit: number,
  ): { alerts: AlertRecord[]; shortIds: number[]; raised: number } {
    const unique = [...new Set(shortIds)];
    if (unique.length === 0) return { alerts: [], shortIds: [], raised: 0 };
    // As many as it lists (the usual digest, of a few): one read of them all, ranked here; the
    // statements below cost several times that for a few alerts.
    if (unique.length <= limit) {
      const alerts = this.briefEach(unique);
      return {
        shortIds: alerts.map((a) => a.shortId),
        raised: alerts.filter((a) => a.status === "raised").length,
        alerts: alerts.sort(digestOrder),
      };
    }
    const ids = JSON.stringify(unique);
    // A few hundred or fewer (a digest of the moment): what ranks them read in one statement and
    // ranked here, then the first `limit` read whole. Counted and ranked by SQLite, each took a
    // pass over them, and the sort carried every column of every one to keep a few.
    if (unique.length <= RANKED_HERE) {
      const keys = (
        this.rows(
          "SELECT a.short_id, a.status, a.importance FROM json_each(?) j JOIN alerts a ON a.short_id = j.value ORDER BY j.key",
        ).all(ids) as Array<[number, AlertRecord["status"], number]>
      ).map(([shortId, status, importance]) => ({ shortId, status, importance }));
      const first = [...keys].sort(digestOrder).slice(0, limit);
      return {
        alerts: this.briefEach(first.map((k) => k.shortId)),
        shortIds: keys.map((k) => k.shortId),
        raised: keys.filter((k) => k.status === "raised").length,
      };
    }
    const [count, raised] = this.rows(
      `SELECT count(*), coalesce(sum(a.status = 'raised'), 0) FROM json_each(?) j JOIN alerts a ON a.short_id = j.value`,
    ).get(ids) as [number, number];
    const alerts = (
      this.rows(
        `SELECT ${BRIEF_A} FROM json_each(?) j JOIN alerts a ON a.short_id = j.value
          ORDER BY a.status = 'cleared', a.importance DESC, a.short_id LIMIT ?`,
      ).all(ids, limit) as unknown[][]
    ).map(fromValues);
    // Every one kept, as is usual; else those that are, in the order given.
    const kept =
      count === unique.length
        ? unique
        : (
            this.rows("SELECT a.short_id FROM json_each(?) j JOIN alerts a ON a.short_id = j.value ORDER BY j.key").all(
              ids,
            ) as Array<[number]>
          ).map((r) => r[0]);
    return { alerts, shortIds: kept, raised };
  }

  /**
   * The alerts of these short ids that exist, brief as {@link briefEach} reads them, each with who
   * heard of its raise (see `PolicyStore.heardOf`): one read of each row where the two took two.
   */
  briefHeardEach(shortIds: readonly number[]): Map<number, { alert: AlertRecord; raise: RaiseHeard }> {
    if (shortIds.length === 0) return new Map();
    const rows = this.rows(
      `SELECT ${BRIEF_A}, a.raise_floor, a.heard, a.heard_before
         FROM alerts a WHERE a.short_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify([...new Set(shortIds)])) as unknown[][];
    return new Map(
      rows.map((v) => [
        v[0] as number,
        {
          alert: fromValues(v),
          raise: raiseHeard(
            v[READ.length] as number,
            v[READ.length + 1] as string | null,
            v[READ.length + 2] as string | null,
          ),
        },
      ]),
    );
  }

  /**
   * Of the alerts of these short ids that exist: whether each still asks for an answer (raised, no
   * ack, as `AlertRecord` reads an ack) and who heard of its raise. All a follow-up is looked at
   * again for, without the rest of the row: a storm's reminders read 100,000 whole alerts for it.
   */
  answerHeardEach(shortIds: readonly number[]): Map<number, { answerWanted: boolean; raise: RaiseHeard }> {
    if (shortIds.length === 0) return new Map();
    const rows = this.rows(
      `SELECT short_id,
              status = 'raised' AND NOT (ack_by IS NOT NULL AND ack_at IS NOT NULL AND ack_until IS NOT NULL),
              raise_floor, heard, heard_before
         FROM alerts WHERE short_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify([...new Set(shortIds)])) as Array<[number, number, number, string | null, string | null]>;
    return new Map(rows.map((v) => [v[0], { answerWanted: v[1] === 1, raise: raiseHeard(v[2], v[3], v[4]) }]));
  }

  /** The alert a sender calls (source, alertId). */
  find(source: string, alertId: string): AlertRecord | undefined {
    const row = this.rows(`SELECT ${ALERT} FROM alerts WHERE source = ? AND alert_id = ?`).get(source, alertId) as
      unknown[] | undefined;
    return row && fromValues(row);
  }

  /** Every alert of one source, keyed by its alert id. */
  ofSource(source: string): Map<string, AlertRecord> {
    const rows = this.rows(`SELECT ${ALERT} FROM alerts WHERE source = ?`).all(source) as unknown[][];
    return byAlertId(rows);
  }

  /** The alerts of one source with these ids (those that exist), keyed by alert id: one statement. */
  ofSourceNamed(source: string, alertIds: readonly string[]): Map<string, AlertRecord> {
    if (alertIds.length === 0) return new Map();
    const rows = this.rows(
      `SELECT ${ALERT} FROM alerts WHERE source = ? AND alert_id IN (SELECT value FROM json_each(?))`,
    ).all(source, JSON.stringify(alertIds)) as unknown[][];
    return byAlertId(rows);
  }

  /**
   * Alerts for people to look at, in the order `show` reads them (see {@link URGENCY}), every one
   * unless `limit` says otherwise. `now`, when given, counts only acks still running as "acked".
   */
  list(filter: AlertFilter, limit = -1, now?: number): AlertRecord[] {
    return (
      this.rows(`SELECT ${ALERT} FROM alerts ${whereFor(filter)} ${URGENCY} LIMIT @limit`).all({
        now: now ?? null,
        limit,
      }) as unknown[][]
    ).map(fromValues);
  }

  /**
   * The same alerts one by one, without holding them all (a silence may cover a whole storm), and without
   * their detail: what lists them (`show`, `silence`'s count) names them, and a detail can be
   * 64 KB an alert.
   */
  *each(filter: AlertFilter, now?: number): IterableIterator<AlertRecord> {
    for (const row of this.rows(`SELECT ${BRIEF} FROM alerts ${whereFor(filter)} ${URGENCY}`).iterate({
      now: now ?? null,
    }))
      yield fromValues(row as unknown[]);
  }

  /**
   * The alerts `filter` matches numbered past `afterShortId` and up to `upToShortId`, by number,
   * brief as {@link each} reads them: for a walk over every alert a slice at a time (`show` in a
   * storm), each slice bounded by the rows it passes over, not by the rows it finds. With `now`
   * null, any ack counts as acked, as in {@link each}.
   */
  briefBetween(filter: AlertFilter, afterShortId: number, upToShortId: number): AlertRecord[] {
    const where = whereFor(filter).replace(/^WHERE /, "AND ");
    return (
      this.rows(
        `SELECT ${BRIEF} FROM alerts WHERE short_id > @after AND short_id <= @upTo ${where} ORDER BY short_id`,
      ).all({ after: afterShortId, upTo: upToShortId, now: null }) as unknown[][]
    ).map(fromValues);
  }

  /** The highest number an alert has now (0 with none): where a walk by number ends. */
  lastShortId(): number {
    return (this.sql("SELECT MAX(short_id) AS n FROM alerts").get() as { n: number | null }).n ?? 0;
  }

  /** One page of {@link list}, and how many there are in all: sorted, counted and cut by SQLite. */
  page(filter: AlertFilter, limit: number, offset = 0, now?: number): AlertPage {
    const params = { now: now ?? null, limit, offset };
    const total = (this.sql(`SELECT COUNT(*) AS n FROM alerts ${whereFor(filter)}`).get(params) as { n: number }).n;
    const rows = this.rows(
      `SELECT ${ALERT} FROM alerts ${whereFor(filter)} ${URGENCY} LIMIT @limit OFFSET @offset`,
    ).all(params) as unknown[][];
    return { alerts: rows.map(fromValues), total };
  }

  /**
   * Raised alerts past `afterShortId`, by number, `limit` of them, with only what rules and
   * silences match and the web board grades, counts and sorts on: for work over every open alert
   * (the board's view, the status board's count of the silenced), a slice at a time, that neither
   * decodes whole rows nor holds the bot's one thread for the whole table.
   */
  raisedStandingAfter(afterShortId: number, limit: number): RaisedStanding[] {
    return (
      this.rows(
        `SELECT short_id, source, alert_id, subject, importance, raised_at, ack_by, ack_at, ack_until, ack_note
           FROM alerts WHERE short_id > ? AND status = 'raised' ORDER BY short_id LIMIT ?`,
      ).all(afterShortId, limit) as Array<
        [
          number,
          string,
          string,
          string,
          number,
          number | null,
          string | null,
          number | null,
          number | null,
          string | null,
        ]
      >
    ).map(([shortId, source, alertId, subject, importance, raisedAt, by, at, until, note]) => ({
      shortId,
      source,
      alertId,
      subject,
      importance,
      status: "raised",
      raisedAt,
      ack: by !== null && at !== null && until !== null ? { by, at, until, note: note ?? "" } : null,
    }));
  }

  /**
   * How many alerts each source has raised, and whether `alertId` is one of them (the agents page:
   * counted by SQLite, without reading an alert).
   */
  raisedPerSource(alertId: string): Array<{ source: string; raised: number; raisedAlertId: boolean }> {
    return (
      this.rows(`SELECT source, COUNT(*), MAX(alert_id = ?) FROM alerts WHERE status = 'raised' GROUP BY source`).all(
        alertId,
      ) as Array<[string, number, number]>
    ).map(([source, raised, has]) => ({ source, raised, raisedAlertId: has === 1 }));
  }

  /** Cleared alerts whose sender scheduled a raise (heartbeats), the soonest first. */
  scheduled(): AlertRecord[] {
    return (
      this.rows(
        `SELECT ${ALERT} FROM alerts WHERE status = 'cleared' AND scheduled_raise_at IS NOT NULL ORDER BY scheduled_raise_at, short_id`,
      ).all() as unknown[][]
    ).map(fromValues);
  }

  /**
   * Raises since `since`, counted per source and per `bucketMs`-long slot from `since` (for the
   * board's charts): one pass over the history, grouped by SQLite.
   */
  raisesPerSlot(since: number, bucketMs: number): Array<{ source: string; slot: number; count: number }> {
    return this.sql(
      `SELECT a.source AS source, CAST((h.at - @since) / @bucket AS INTEGER) AS slot, COUNT(*) AS count
         FROM alert_history h JOIN alerts a ON a.short_id = h.short_id
        WHERE h.kind = 'raised' AND h.at >= @since GROUP BY a.source, slot`,
    ).all({ since, bucket: bucketMs }) as Array<{ source: string; slot: number; count: number }>;
  }

  /** How many alerts are raised now. */
  countRaised(): number {
    return (this.sql("SELECT COUNT(*) AS n FROM alerts WHERE status = 'raised'").get() as { n: number }).n;
  }

  /**
   * An alert's history, oldest first: its chain walked back from the head, to the first line or
   * to where retention cut it (the oldest lines go first).
   */
  history(shortId: number): HistoryEntry[] {
    const rows = this.sql(
      `WITH RECURSIVE chain (id) AS (
         SELECT history_head FROM alerts WHERE short_id = @shortId AND history_head IS NOT NULL
         UNION ALL
         SELECT h.prev_id FROM alert_history h JOIN chain c ON h.id = c.id WHERE h.prev_id IS NOT NULL)
       SELECT h.id, h.short_id, h.kind, h.at, h.actor, h.detail
         FROM chain c JOIN alert_history h ON h.id = c.id AND h.short_id = @shortId ORDER BY h.id`,
    ).all({ shortId }) as HistoryRow[];
    return rows.map(fromHistoryRow);
  }

  /** History lines after `afterId`, oldest first, with the alert they belong to (for the audit feed). */
  historySince(afterId: number, limit: number): Array<HistoryEntry & { source: string; alertId: string }> {
    // Read as arrays and each line built once, whole: the feed reads every line written, and a
    // line built and then spread into another with two keys more went V8's slow way, per line.
    const rows = this.rows(
      `SELECT h.id, h.short_id, h.kind, h.at, h.actor, h.detail, a.source, a.alert_id
         FROM alert_history h JOIN alerts a ON a.short_id = h.short_id WHERE h.id > ? ORDER BY h.id ${limitOf(limit)}`,
    ).all(afterId) as Array<[number, number, AlertEvent["kind"], number, string, string, string, string]>;
    return rows.map(([id, shortId, kind, at, actor, detail, source, alertId]) => ({
      id,
      shortId,
      kind,
      at,
      actor,
      detail,
      source,
      alertId,
    }));
  }

  /** Alerts with something due at or before `now` (see `nextDueAt`), the earliest first; at most `limit` (-1: all). */
  due(now: number, limit = -1): AlertRecord[] {
    return (
      this.rows(
        `SELECT ${ALERT} FROM alerts WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, short_id ${limitOf(limit)}`,
      ).all(now) as unknown[][]
    ).map(fromValues);
  }

  /** When the next alert falls due, or null. */
  nextDue(): number | null {
    return (this.sql("SELECT MIN(due_at) AS t FROM alerts WHERE due_at IS NOT NULL").get() as { t: number | null }).t;
  }
}

/**
 * A LIMIT clause with the count written in, for the queries run at every update or feed batch
 * (their limits are constants): bound as a parameter, the same query cost ten times as much.
 */
function limitOf(limit: number): string {
  if (!Number.isSafeInteger(limit)) throw new RangeError(`a row limit must be an integer, got ${limit}`);
  return `LIMIT ${limit}`;
}

/**
 * An alert read as the values of {@link READ}, in that order → record (the positions below are
 * READ's; the store's tests compare every read with what was saved).
 */
function fromValues(v: readonly unknown[]): AlertRecord {
  const ackBy = v[13] as string | null;
  const ackAt = v[14] as number | null;
  const ackUntil = v[15] as number | null;
  return {
    shortId: v[0] as number,
    source: v[1] as string,
    alertId: v[2] as string,
    status: v[3] as AlertRecord["status"],
    subject: v[4] as string,
    summary: v[5] as string,
    detail: v[6] as string,
    importance: v[7] as number,
    raisedAt: v[8] as number | null,
    clearedAt: v[9] as number | null,
    scheduledRaiseAt: v[10] as number | null,
    scheduledClearAt: v[11] as number | null,
    suppressUntil: v[12] as number | null,
    ack:
      ackBy !== null && ackAt !== null && ackUntil !== null
        ? { by: ackBy, at: ackAt, until: ackUntil, note: (v[16] as string | null) ?? "" }
        : null,
    policyDueAt: v[17] as number | null,
    updatedAt: v[19] as number,
  };
}

function byAlertId(rows: readonly unknown[][]): Map<string, AlertRecord> {
  return new Map(rows.map((v) => [v[2] as string, fromValues(v)]));
}

/** Record → named parameters for the upsert; `dueAt` is derived by the caller. */
export function alertToParams(state: AlertState, dueAt: number | null): Record<string, unknown> {
  return {
    source: state.source,
    alert_id: state.alertId,
    status: state.status,
    subject: state.subject,
    summary: state.summary,
    detail: state.detail,
    importance: state.importance,
    raised_at: state.raisedAt,
    cleared_at: state.clearedAt,
    scheduled_raise_at: state.scheduledRaiseAt,
    scheduled_clear_at: state.scheduledClearAt,
    suppress_until: state.suppressUntil,
    ack_by: state.ack?.by ?? null,
    ack_at: state.ack?.at ?? null,
    ack_until: state.ack?.until ?? null,
    ack_note: state.ack?.note ?? null,
    policy_due_at: state.policyDueAt,
    due_at: dueAt,
    updated_at: state.updatedAt,
  };
}

/** The record of a row just written from `params` (every column) under number `shortId`. */
function written(params: Record<string, unknown>, shortId: number): AlertRecord {
  return fromValues(READ.map((c) => (c === "short_id" ? shortId : params[c])));
}

/** One row of alert_history, as SQLite returns it. */
interface HistoryRow {
  id: number;
  short_id: number;
  kind: AlertEvent["kind"];
  at: number;
  actor: string;
  detail: string;
}

function fromHistoryRow(r: HistoryRow): HistoryEntry {
  return { id: r.id, shortId: r.short_id, kind: r.kind, at: r.at, actor: r.actor, detail: r.detail };
}
