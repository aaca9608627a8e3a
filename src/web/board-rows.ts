import type { AlertRecord } from "../alerts/types.js";
import { hasLiveAck } from "../commands/format.js";
import { classify, isSilenced, type Muting } from "../policy/matcher.js";
import type { Level, Rule } from "../policy/types.js";

/** Where an alert stands on the board. */
export type BoardState = "raised" | "acked" | "silenced" | "scheduled";

/**
 * What the board grades, counts and sorts an open alert on; the rest of an alert is read for the
 * rows of the page shown only.
 */
export type BoardFacts = Pick<
  AlertRecord,
  "shortId" | "source" | "alertId" | "subject" | "importance" | "status" | "raisedAt" | "ack"
>;

/** One alert as the board lists it: the alert, how the policy grades it, and its state. */
export interface BoardRow<A extends BoardFacts = AlertRecord> {
  readonly alert: A;
  readonly level: Level;
  readonly workgroup: string;
  readonly state: BoardState;
}

/** What the board was asked to show (from the query string). */
export interface BoardQuery {
  readonly state: BoardState | "open";
  readonly source: string;
  readonly workgroup: string;
  readonly level: Level | "";
  readonly sort: BoardSort;
  readonly page: number;
}

/** The orders the board sorts by. */
export type BoardSort = "urgency" | "source" | "newest" | "workgroup" | "id";
export const BOARD_SORTS: readonly BoardSort[] = ["urgency", "source", "newest", "workgroup", "id"];
export const BOARD_STATES: ReadonlyArray<BoardState | "open"> = ["open", "raised", "acked", "silenced", "scheduled"];

/** Rows per page: a page renders at once in a browser whatever the backlog. */
export const PAGE_ROWS = 100;

/** The board's answer: the page of rows, the counts at the top, and what the filters can offer. */
export interface BoardView<A extends BoardFacts = AlertRecord> {
  readonly rows: ReadonlyArray<BoardRow<A>>;
  /** Rows matching the filters, over every page. */
  readonly matching: number;
  readonly pages: number;
  readonly counts: Readonly<Record<BoardState, number>> & { readonly levels: Readonly<Record<Level, number>> };
  readonly sources: readonly string[];
  readonly workgroups: readonly string[];
}

const LEVEL_RANK: Readonly<Record<Level, number>> = { urgent: 0, normal: 1, low: 2 };

/** Reads the board's query string, falling back to defaults for anything it cannot use. */
export function readBoardQuery(query: URLSearchParams): BoardQuery {
  const state = query.get("state") ?? "open";
  const level = query.get("level") ?? "";
  const sort = query.get("sort") ?? "urgency";
  const page = Number(query.get("page") ?? "1");
  return {
    state: (BOARD_STATES as readonly string[]).includes(state) ? (state as BoardState | "open") : "open",
    source: (query.get("source") ?? "").trim().slice(0, 512),
    workgroup: (query.get("workgroup") ?? "").slice(0, 128),
    level: level === "urgent" || level === "normal" || level === "low" ? level : "",
    sort: (BOARD_SORTS as readonly string[]).includes(sort) ? (sort as BoardSort) : "urgency",
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

/** The state an open or scheduled alert shows as: a live ack first, then a silence, else raised. */
export function boardState(alert: BoardFacts, silences: readonly Muting[], now: number): BoardState {
  if (alert.status !== "raised") return "scheduled";
  if (hasLiveAck(alert, now)) return "acked";
  return isSilenced(alert, silences, now) ? "silenced" : "raised";
}

/**
 * Grades, counts, filters, sorts and cuts one page out of every open alert (and the scheduled
 * ones), given a few at a time (`add`) so that the caller can let the event loop in between, then
 * `finish`ed. The whole set is graded because level and workgroup come from the policy's rules,
 * not the database; only a page is rendered. What it answers does not depend on the order the
 * alerts came in: every sort ends on something no two alerts share.
 */
export class BoardViewBuilder {
  private readonly counts = {
    raised: 0,
    acked: 0,
    silenced: 0,
    scheduled: 0,
    levels: { urgent: 0, normal: 0, low: 0 },
  };
  private readonly sources = new Set<string>();
  private readonly workgroups = new Set<string>();
  private readonly picked: Array<BoardRow<BoardFacts>> = [];
  private readonly sourceNeedle: string;
  /** Alerts added so far. */
  added = 0;

  constructor(
    private readonly rules: readonly Rule[],
    private readonly silences: readonly Muting[],
    private readonly now: number,
    private readonly q: BoardQuery,
  ) {
    this.sourceNeedle = q.source.toLowerCase();
  }

  /** One open or scheduled alert. */
  add(alert: BoardFacts): void {
    const { q, counts } = this;
    this.added += 1;
    const c = classify(this.rules, alert);
    const state = boardState(alert, this.silences, this.now);
    counts[state] += 1;
    if (state !== "scheduled") counts.levels[c.level] += 1;
    this.sources.add(alert.source);
    this.workgroups.add(c.workgroup);
    if (q.state === "open" ? state === "scheduled" : state !== q.state) return;
    if (this.sourceNeedle !== "" && !alert.source.toLowerCase().includes(this.sourceNeedle)) return;
    if (q.workgroup !== "" && c.workgroup !== q.workgroup) return;
    if (q.level !== "" && c.level !== q.level) return;
    this.picked.push({ alert, level: c.level, workgroup: c.workgroup, state });
  }

  /** The view of every alert added (its rows to be read whole for showing). */
  finish(): BoardView<BoardFacts> {
    const { picked, q } = this;
    picked.sort(comparer(q.sort));
    const pages = Math.max(1, Math.ceil(picked.length / PAGE_ROWS));
    const first = (Math.min(q.page, pages) - 1) * PAGE_ROWS;
    return {
      rows: picked.slice(first, first + PAGE_ROWS),
      matching: picked.length,
      pages,
      counts: this.counts,
      sources: [...this.sources].sort(),
      workgroups: [...this.workgroups].sort(),
    };
  }
}

type Row = BoardRow<BoardFacts>;

/** `localeCompare`'s order, without building a collator per comparison (a sort of a big storm makes very many). */
const collate = new Intl.Collator().compare;

function comparer(sort: BoardSort): (a: Row, b: Row) => number {
  const urgency = (a: Row, b: Row): number =>
    LEVEL_RANK[a.level] - LEVEL_RANK[b.level] ||
    b.alert.importance - a.alert.importance ||
    (a.alert.raisedAt ?? Infinity) - (b.alert.raisedAt ?? Infinity) ||
    a.alert.shortId - b.alert.shortId;
  switch (sort) {
    case "source":
      // By number last: two ids the locale counts as equal ("é" written as one character or two)
      // are ordered the same whichever came first.
      return (a, b) =>
        collate(a.alert.source, b.alert.source) ||
        collate(a.alert.alertId, b.alert.alertId) ||
        a.alert.shortId - b.alert.shortId;
    case "newest":
      return (a, b) => (b.alert.raisedAt ?? 0) - (a.alert.raisedAt ?? 0) || b.alert.shortId - a.alert.shortId;
    case "workgroup":
      return (a, b) => collate(a.workgroup, b.workgroup) || urgency(a, b);
    case "id":
      return (a, b) => a.alert.shortId - b.alert.shortId;
    default:
      return urgency;
  }
}
