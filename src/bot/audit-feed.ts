import type { Clock, TimerHandle } from "../clock/clock.js";
import { describedLabel, type AlertRecord } from "../alerts/types.js";
import { byUrgency } from "../alerts/urgency.js";
import { ellipsize, oneLine } from "../codec/text.js";
import { StorageUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { isSilenced } from "../policy/matcher.js";
import type { RaisedStanding } from "../store/alert-store.js";
import type { Store } from "../store/store.js";
import { eachSlice, VIEW_MS_PER_ALERT } from "../util/batching.js";
import { FailureRun } from "../util/failure-run.js";
import { FirstInOrder } from "../util/first-in-order.js";
import type { PlainElement } from "../xmpp/payload.js";
import { isRefusedForGood, refusalWords, type XmppFailure } from "../xmpp/errors.js";
import type { NodeConfig, Pubsub } from "../xmpp/pubsub.js";
import { liveSilences } from "./evaluate-alert.js";

/** The node every history event is published to, and the node holding the current board. */
export const AUDIT_NODE = "mauve/audit";
export const STATUS_NODE = "mauve/status";

// Atom, because Prosody (and many clients) turn an Atom entry's title and summary into readable text.
const NS_ATOM = "http://www.w3.org/2005/Atom";
/** Where the feed keeps the id of the last history line it published (bot_state). */
export const CURSOR_KEY = "audit-cursor";
/** History lines read per round; the feed goes round until it has caught up. */
const BATCH = 500;
/**
 * Lines per published item at most. A storm writes thousands of lines a second; one item per line
 * (a round trip each) fell hours behind, so lines that pile up between polls share an item. Kept
 * near 2 KB: under load, Prosody 0.12 holds larger items back in its receive queue, and the chat
 * behind them on AlertBot's stream waits with them (npm run bench shows it; docs/performance.md).
 */
export const LINES_PER_ITEM = 20;
/**
 * A history line is cut to this in the feed (its text is a sender's summary, as long as the sender
 * made it): an item of LINES_PER_ITEM such lines stays far below what servers take in one item
 * (ejabberd's max_payload_size). The whole line stays in AlertBot's database (`history <id>`).
 */
export const AUDIT_LINE_CHARS = 1_024;
/** An alert's name in an entry's title (a sender's source and id, as long as it made them). */
const AUDIT_TITLE_CHARS = 200;
const POLL_MS = 1_000;
/**
 * While the database cannot be written, how often the feed tries to store its cursor before it
 * publishes again: a cursor that cannot move made every poll publish the same lines once more.
 */
const STORAGE_RETRY_MS = 10_000;
/** The server rule that makes items name their publisher, said when it is missing. */
export const PUBLISHER_FIX =
  "Prosody: expose_publisher = true on the pubsub component; ejabberd: mod_pubsub default_node_config: { itemreply: publisher } (AlertBot's and the agents' nodes also ask for pubsub#itemreply = publisher); see prosody/config.ts and ejabberd/config.ts";
/** The server rules AlertBot needs to own its nodes, said with every refusal. */
export const CREATE_NODES_FIX =
  "AlertBot must be allowed to create and own pubsub nodes: on Prosody, list the component in the pubsub service's admins; on ejabberd, allow it in the pubsub_createnode access rule (acl: { alertbot: { server: <component> } }, then pubsub_createnode: [{ allow: alertbot }, …]); see prosody/config.ts and ejabberd/config.ts";
const BOARD_LINES = 50;
/** The board's lines when the server refuses it whole for good. */
const BOARD_LINES_CUT = 10;
/**
 * How long the board waits after its last publish, per raised alert, while lines keep coming (at
 * least POLL_MS). Its title counts the silenced among every raised alert, a match per alert: in a
 * storm of tens of thousands with a silence in force (maintenance, when storms come) a board a
 * second took most of the bot's time. The history items are not held back; the board catches up
 * once its wait is over, with or without new lines.
 */
export const DEFAULT_BOARD_MS_PER_RAISED = VIEW_MS_PER_ALERT;
/** Raised alerts counted and ranked per turn of the event loop: chat and updates go in between. */
const SURVEY_SLICE = 2_000;
/** A summary on the board is cut as `show` cuts it: 50 whole summaries of 1,024 characters could make a 250 KB item. */
const BOARD_SUMMARY_CHARS = 120;
/** Where the alerts past the board's lines are listed, said below them: the node holds no more. */
const SEE_THE_REST = 'say "show 100" to AlertBot for up to 100 of them; its web board, when on, lists them all';

/** What a feed needs. */
export interface AuditFeedDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  pubsub: Pubsub;
  service: string;
  /** Bare JIDs allowed to read both nodes (the configured people). */
  readers: readonly string[];
  /** The board's wait per raised alert (DEFAULT_BOARD_MS_PER_RAISED). */
  boardMsPerRaised?: number;
}

/**
 * Publishes every line of alert history to the audit node, in order and at least once (a durable
 * cursor moves only after the server confirms; lines that arrived together share an item), and
 * the current board (raised, acked, silenced) to the status node. Both are whitelist nodes that only the configured people may read.
 */
export class AuditFeed {
  private timer: TimerHandle | null = null;
  private busy = false;
  private stopped = false;
  /** When the database last refused the cursor: nothing is published until it takes it again. */
  private refusedAt: number | null = null;
  /**
   * Publishing that keeps failing (AlertBot cut off from its server, the server refusing), said as
   * a warning at first and every so often while it lasts, not at each poll (failure-run.ts).
   */
  private readonly publishFailures = new FailureRun();
  /** Entries the server refused for good, in a row (said as errors at first and every so often). */
  private readonly refusals = new FailureRun();
  /** Boards the server refused for good whole, in a row (said at first and every so often). */
  private readonly boardRefusals = new FailureRun();
  private readers: readonly string[];
  /** History was published since the board last was: the board owes it. */
  private boardOwed = false;
  /** Not before then is the board published again (its wait, by how many alerts it counts). */
  private nextBoardAt = 0;

  constructor(private readonly deps: AuditFeedDeps) {
    this.readers = deps.readers;
  }

  /** Lets exactly these people read both nodes from now on: newcomers are added, the removed lose access. */
  setReaders(readers: readonly string[]): void {
    const removed = this.readers.filter((jid) => !readers.includes(jid));
    const added = readers.filter((jid) => !this.readers.includes(jid));
    this.readers = readers;
    void this.affiliate(added, "member").then(() => this.affiliate(removed, "none"));
  }

  /**
   * Creates (or reconfigures) both nodes, lets the people read them, and starts publishing. The
   * backlog is published in the background: after a burst it can take minutes, and the bot must
   * not wait for it before serving.
   */
  async start(): Promise<void> {
    await this.ensureNode(AUDIT_NODE, { title: "Mauve audit: every alert event", maxItems: 100 });
    if (await this.ensureNode(STATUS_NODE, { title: "Mauve status: the board now", maxItems: 1 }))
      await this.checkPublisherShown();
    this.schedule(0);
  }

  /** Stops polling; a flush under way ends at its next publish. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  /** Publishes what is new since the cursor, then the board if anything was new. */
  async flush(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (!this.cursorWritable()) return;
      let published = 0;
      for (;;) {
        const lines = this.deps.store.alerts.historySince(this.cursor(), BATCH);
        if (lines.length === 0 || !(await this.publishLines(lines))) break;
        published += lines.length;
        if (lines.length < BATCH) break;
      }
      if (published > 0) this.boardOwed = true;
      if (this.boardOwed && !this.stopped && this.deps.clock.now() >= this.nextBoardAt) await this.publishBoard();
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) this.publishFailed("audit feed paused; will retry", { err });
      else {
        // Said once: the storage alarm tells the people on call.
        this.refusedAt = this.deps.clock.now();
        this.deps.log.warn("audit feed paused until AlertBot can write its database", { reason: err.reason });
      }
    } finally {
      this.busy = false;
    }
  }

  /** True unless the database refused the cursor lately and still does (tried every STORAGE_RETRY_MS). */
  private cursorWritable(): boolean {
    if (this.refusedAt === null) return true;
    const { clock, log } = this.deps;
    if (clock.now() - this.refusedAt < STORAGE_RETRY_MS) return false;
    try {
      this.storeCursor(this.cursor());
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      this.refusedAt = clock.now();
      return false;
    }
    this.refusedAt = null;
    log.info("audit feed resumed: AlertBot can write its database again");
    return true;
  }

  // In a transaction of its own, so that a database that cannot be written says so as such
  // (a StorageUnavailableError, which pauses the feed).
  private storeCursor(id: number): void {
    const { store } = this.deps;
    store.transaction(() => store.policy.setBotState(CURSOR_KEY, String(id)));
  }

  private cursor(): number {
    return Number(this.deps.store.policy.botState(CURSOR_KEY) ?? "0");
  }

  /**
   * Publishes lines as items of up to LINES_PER_ITEM, one at a time, then moves the cursor past the
   * last one confirmed. One at a time because the feed shares AlertBot's one stream to Prosody with
   * the notifications: a burst of items queued ahead of them delayed chat by seconds under load.
   * The cursor is stored once for the lines read together, not once per item: each store was a
   * commit of its own, a good part of the feed's cost under load. A crash in between publishes
   * those lines again, which at least once allows.
   */
  private async publishLines(lines: readonly AuditLine[]): Promise<boolean> {
    const { pubsub, service } = this.deps;
    let confirmed: number | undefined;
    try {
      for (const item of chunks(lines, LINES_PER_ITEM)) {
        if (this.stopped) return false;
        const sent = await pubsub.publishForeign(service, AUDIT_NODE, auditEntry(item), itemId(item));
        if (sent.ok) {
          this.refusals.worked(this.deps.clock.now());
          this.publishWorked();
        }
        // Tried again, it would be refused again, and every line after it held back for good.
        else if (isRefusedForGood(sent)) {
          if (!(await this.publishInstead(item, sent))) return false;
        } else {
          this.publishFailed("audit publish failed; will retry", { node: AUDIT_NODE, condition: sent.condition });
          return false;
        }
        confirmed = item.at(-1)!.id;
      }
      return true;
    } finally {
      if (confirmed !== undefined) this.storeCursor(confirmed);
    }
  }

  /**
   * The server refused an item for good: a short entry takes its place, so that a reader of the
   * node sees that lines are missing there and where they are, and the feed goes on after them.
   * False when the note could not be published for now (it is tried again with the lines).
   */
  private async publishInstead(lines: readonly AuditLine[], refusal: XmppFailure): Promise<boolean> {
    const { pubsub, service, log, clock } = this.deps;
    const words = refusalWords(refusal);
    const sent = await pubsub.publishForeign(
      service,
      AUDIT_NODE,
      refusedEntry(lines, words, clock.now()),
      itemId(lines),
    );
    if (!sent.ok && !isRefusedForGood(sent)) {
      this.publishFailed("audit publish failed; will retry", { node: AUDIT_NODE, condition: sent.condition });
      return false;
    }
    // Every item refused (a limit set far too low) would make an error a poll: the first one, then
    // one every so often while refusals go on, as for any failure that repeats (failure-run.ts).
    this.refusals.sayFailed(
      log,
      sent.ok
        ? "the server refused an audit entry for good: published a note in its place, and the feed goes on"
        : "the server refused an audit entry for good, and the note in its place too: the feed goes on without them",
      {
        node: AUDIT_NODE,
        item: itemId(lines),
        lines: lines.length,
        refusal: words,
        ...(sent.ok ? {} : { noteRefusal: sent.condition }),
      },
      clock.now(),
      { level: "error", forKey: "refusingForMs" },
    );
    if (sent.ok) this.publishWorked();
    return true;
  }

  private async publishBoard(): Promise<void> {
    const { store, clock, pubsub, service } = this.deps;
    const now = clock.now();
    const silences = liveSilences(store, now);
    // Counted and ranked over every raised alert, however many (the board's title must not
    // undercount), a slice at a time; the lines are then read whole (without their detail).
    const survey = await this.surveyRaised(silences, now);
    if (this.stopped) return;
    const read = new Map(store.alerts.briefEach(survey.first.map((a) => a.shortId)).map((a) => [a.shortId, a]));
    // One cleared since the walk passed it is left out rather than shown as raised.
    const shown = survey.first.flatMap((s) => {
      const alert = read.get(s.shortId);
      return alert?.status === "raised" ? [alert] : [];
    });
    this.nextBoardAt =
      now + Math.max(POLL_MS, survey.raised * (this.deps.boardMsPerRaised ?? DEFAULT_BOARD_MS_PER_RAISED));
    const title = `${survey.raised} raised, ${survey.acked} acked, ${survey.silenced} silenced`;
    const lines = shown.map((a) => boardLine(a, isSilenced(a, silences, now)));
    const updated = new Date(now).toISOString();
    let refusal: XmppFailure | null = null;
    // A board the server refuses for good (a node's max_payload_size set low) is cut to fewer
    // lines: its counts must still reach the readers, where the last board it took would stand
    // unchanged for ever, nothing raised on it while the bus burns.
    for (const count of boardSizes(lines.length)) {
      const board = lines.slice(0, count);
      if (survey.raised > count) board.push(`…and ${survey.raised - count} more: ${SEE_THE_REST}`);
      const summary = board.length ? board.join("\n") : "Nothing raised.";
      const sent = await pubsub.publishForeign(service, STATUS_NODE, atom("board", title, summary, updated), "board");
      if (sent.ok) {
        this.boardOwed = false;
        this.publishWorked();
        if (refusal) this.sayBoardRefused(refusal, `published it with ${count} of its ${lines.length} lines`);
        else this.boardRefusals.worked(now);
        return;
      }
      // Anything else: the board stays owed, tried again once its wait is over.
      if (!isRefusedForGood(sent))
        return this.publishFailed("status board publish failed; will retry", {
          node: STATUS_NODE,
          condition: sent.condition,
        });
      refusal = sent;
    }
    // Not even its counts: nothing shorter to try before the board changes again.
    this.boardOwed = false;
    if (refusal) this.sayBoardRefused(refusal, "even with its counts alone: the node shows an old board", "error");
  }

  /** Says that the server refused the board for good, and what was done: at first and every so often while it goes on. */
  private sayBoardRefused(refusal: XmppFailure, what: string, level: "warn" | "error" = "warn"): void {
    const { log, clock } = this.deps;
    this.boardRefusals.sayFailed(
      log,
      `the server refused the status board for good; ${what}`,
      { node: STATUS_NODE, refusal: refusalWords(refusal) },
      clock.now(),
      { level, forKey: "refusingForMs" },
    );
  }

  /** A publish failed: a warning at first and every so often while it goes on, else debug. */
  private publishFailed(msg: string, fields: Record<string, unknown>): void {
    const { log, clock } = this.deps;
    // Stopping: a publish cut short by the session's end is no failure (what it carried is
    // published after the next start, from the cursor).
    if (this.stopped) return log.debug(msg, fields);
    this.publishFailures.sayFailed(log, msg, fields, clock.now());
  }

  /** A publish went through: a run of failures, if any, is over. */
  private publishWorked(): void {
    const ended = this.publishFailures.worked(this.deps.clock.now());
    if (ended) this.deps.log.info("audit feed publishing again", { failedForMs: ended.endedAfterMs });
  }

  /**
   * The raised alerts counted (all, acked, held by some silence) and the board's first lines in
   * the order `show` reads them, a slice at a time with the event loop let in between: with
   * 100,000 open, counting and sorting them in SQLite in one go held the bot's one thread.
   */
  private async surveyRaised(
    silences: ReturnType<typeof liveSilences>,
    now: number,
  ): Promise<{ raised: number; acked: number; silenced: number; first: RaisedStanding[] }> {
    const { alerts } = this.deps.store;
    const first = new FirstInOrder<RaisedStanding>(BOARD_LINES, byUrgency);
    let raised = 0;
    let acked = 0;
    let silenced = 0;
    await eachSlice(
      (after, limit) => alerts.raisedStandingAfter(after, limit),
      SURVEY_SLICE,
      (a) => a.shortId,
      (slice) => {
        for (const a of slice) {
          raised++;
          // Any ack counts, even one past its end that the due timer is about to expire.
          acked += Number(a.ack !== null);
          if (silences.length > 0) silenced += Number(isSilenced(a, silences, now));
          first.add(a);
        }
      },
      () => this.stopped,
    );
    return { raised, acked, silenced, first: first.first() };
  }

  /**
   * Creates the node, or reconfigures it when it exists, and lets the readers in; every refusal is
   * reported with the server rule that is missing. A refused create is not taken for an existing
   * node: a server that does not let AlertBot create nodes (Prosody: not an admin of the pubsub
   * service; ejabberd: not allowed by pubsub_createnode) would leave the feed publishing nowhere.
   */
  private async ensureNode(node: string, extra: NodeConfig): Promise<boolean> {
    const { pubsub, service, log } = this.deps;
    const config: NodeConfig = {
      accessModel: "whitelist",
      publishModel: "publishers",
      persistItems: true,
      deliverPayloads: true,
      notifyRetract: false,
      itemReply: "publisher",
      ...extra,
    };
    const created = await pubsub.createNode(service, node, config);
    if (!created.ok) {
      // It may exist already and be ours (conflict; or forbidden from a server that checks rights first).
      const configured = await pubsub.configureNode(service, node, config);
      if (!configured.ok) {
        log.error("cannot create nor configure a node: the audit and status feeds are off", {
          node,
          service,
          create: created.condition,
          configure: configured.condition,
          fix: CREATE_NODES_FIX,
        });
        return false;
      }
    }
    let allowed = true;
    for (const jid of this.readers) {
      const done = await pubsub.setAffiliation(service, node, jid, "member");
      if (done.ok) continue;
      allowed = false;
      log.error("cannot let a person read a node", { node, jid, condition: done.condition, fix: CREATE_NODES_FIX });
    }
    return allowed;
  }

  /**
   * Publishes the board and reads it back: an item without its publisher means the server does not
   * say who published, so the owner check on every agent's update (src/ingest) cannot be made.
   * Said at start with the rule to add, rather than found out when a forged update goes through.
   */
  private async checkPublisherShown(): Promise<void> {
    const { pubsub, service, log } = this.deps;
    await this.publishBoard();
    const read = await pubsub.getItems(service, STATUS_NODE, 1);
    if (!read.ok) {
      log.error("cannot read back the status node", { node: STATUS_NODE, condition: read.condition });
      return;
    }
    const item = read.items.at(-1);
    if (item && item.publisher === undefined)
      log.error(
        "the pubsub service does not say who published an item: updates cannot be checked against their source's owner",
        {
          service,
          fix: PUBLISHER_FIX,
        },
      );
  }

  private async affiliate(jids: readonly string[], affiliation: "member" | "none"): Promise<void> {
    const { pubsub, service, log } = this.deps;
    for (const node of [AUDIT_NODE, STATUS_NODE]) {
      for (const jid of jids) {
        const done = await pubsub
          .setAffiliation(service, node, jid, affiliation)
          .catch((err: unknown) => ({ ok: false as const, condition: String(err) }));
        if (!done.ok)
          log.warn("cannot change who may read a node", { node, jid, affiliation, condition: done.condition });
      }
    }
  }

  private schedule(ms = POLL_MS): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(ms, () => {
      void this.flush().finally(() => this.timer && this.schedule());
    });
  }
}

type AuditLine = ReturnType<Store["alerts"]["historySince"]>[number];

/** The board's lines to try, most first, while the server refuses it for good: all, a few, none (its counts). */
function boardSizes(lines: number): number[] {
  return [...new Set([lines, Math.min(lines, BOARD_LINES_CUT), 0])];
}

function chunks<T>(all: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

function itemId(lines: readonly AuditLine[]): string {
  const first = lines[0]!.id;
  const last = lines.at(-1)!.id;
  return first === last ? `h${first}` : `h${first}-${last}`;
}

function lineTitle(line: AuditLine): string {
  return ellipsize(
    oneLine(`#${line.shortId} ${line.source} ${line.alertId} ${line.kind} by ${line.actor}`),
    AUDIT_TITLE_CHARS,
  );
}

/** The entry published where the server refused the one for `lines`: what is missing, and where to read it. */
function refusedEntry(lines: readonly AuditLine[], refusal: string, now: number): PlainElement {
  const ids = [...new Set(lines.map((l) => l.shortId))];
  const listed = ids
    .slice(0, LINES_PER_ITEM)
    .map((id) => `#${id}`)
    .join(", ");
  return atom(
    `refused-${lines[0]!.id}-${lines.at(-1)!.id}`,
    `${lines.length === 1 ? "1 event" : `${lines.length} events`} not shown here: the server refused their entry (${refusal})`,
    `AlertBot keeps them in its database. For the alerts ${listed}, say "history <id>" to AlertBot, or open them on its web board.`,
    new Date(now).toISOString(),
  );
}

/** One history line as its own entry; several as one entry with a line each, oldest first. */
function auditEntry(lines: readonly AuditLine[]): PlainElement {
  const last = lines.at(-1)!;
  const when = new Date(last.at).toISOString();
  if (lines.length === 1)
    return atom(
      `history-${last.id}`,
      lineTitle(last),
      ellipsize(last.detail, AUDIT_LINE_CHARS) || lineTitle(last),
      when,
    );
  // One line per event: sender text folded, so no event line can pass for another. Lines written
  // together share their time: its text is made once for them.
  const titles = lines.map(lineTitle);
  let at = NaN;
  let stamp = "";
  const text = lines.map((l, i) => {
    if (l.at !== at) {
      at = l.at;
      stamp = new Date(at).toISOString();
    }
    return ellipsize(`${stamp} ${titles[i]!}${l.detail ? `: ${oneLine(l.detail)}` : ""}`, AUDIT_LINE_CHARS);
  });
  return atom(
    `history-${lines[0]!.id}-${last.id}`,
    `${lines.length} events, ${titles[0]!} … ${titles.at(-1)!}`,
    text.join("\n"),
    when,
  );
}

function atom(id: string, title: string, summary: string, updated: string): PlainElement {
  const child = (name: string, text: string): PlainElement => ({ name, ns: NS_ATOM, children: [text] });
  return {
    name: "entry",
    ns: NS_ATOM,
    children: [
      child("id", `urn:mauve-xmpp:${id}`),
      child("title", title),
      child("summary", summary),
      child("updated", updated),
    ],
  };
}

/**
 * One alert on the board, named as notices name it (`describedLabel`): its source and id lead, and
 * a sender's subject follows marked as its words, never standing alone where the summary goes.
 */
function boardLine(a: AlertRecord, silenced: boolean): string {
  const state = a.ack ? ` (acked by ${a.ack.by})` : silenced ? " (silenced)" : "";
  const summary = ellipsize(oneLine(a.summary), BOARD_SUMMARY_CHARS);
  return oneLine(`#${a.shortId} ${describedLabel(a)}${summary === "" ? "" : `: ${summary}`}${state}`);
}
