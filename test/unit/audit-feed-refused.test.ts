// An audit entry the server refuses for good (too big for the node's max_payload_size, against a
// rule): before, the feed tried it again every second for ever, and every line after it was held
// back from the node, with a warning every 10 minutes. Now a short note takes its place, saying
// what is missing and where to read it, and the feed goes on. Entries are also kept small: a
// sender's summary is cut in the feed (it stays whole in the database). A status board refused
// whole stood unchanged on its node for ever; now it is cut to fewer lines, its counts kept. The
// real server's side is in test/integration/audit-refused.test.ts.
import assert from "node:assert/strict";
import { AUDIT_LINE_CHARS, AuditFeed, CURSOR_KEY } from "../../src/bot/audit-feed.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { Store } from "../../src/store/store.js";
import { FAILURE_REMINDER_MS } from "../../src/util/failure-run.js";
import type { XmppResult } from "../../src/xmpp/errors.js";
import type { PlainElement } from "../../src/xmpp/payload.js";
import type { Pubsub } from "../../src/xmpp/pubsub.js";
import { LogLines } from "../helpers/spine.js";
import { alert, update } from "../helpers/updates.js";

const TOO_BIG: XmppResult = { ok: false, condition: "not-acceptable", pubsubCondition: "payload-too-big" };
const TIMEOUT: XmppResult = { ok: false, condition: "remote-server-timeout" };

/** 60 raises (three items of 20 lines), each summary `summaryChars` long. */
function storeWithLines(summaryChars = 20): Store {
  const store = Store.open(":memory:");
  const alerts = Array.from({ length: 60 }, (_, i) =>
    alert(`check${i}`, { summary: `${i} `.padEnd(summaryChars, "x") }),
  );
  assert.equal(ingestUpdate(store, update("web1", alerts), { via: "udp" }, 1_700_000_000_000).status, "applied");
  return store;
}

interface Published {
  readonly itemId: string;
  readonly title: string;
  readonly summary: string;
  readonly bytes: number;
}

/**
 * A feed over a pubsub that answers each publish with the next of `answers` (then accepts, unless
 * `refuse` says no), keeping what it took of the audit node's and the status node's.
 */
function feedOver(
  store: Store,
  answers: XmppResult[],
  clock = new FakeClock(),
  refuse: (node: string, bytes: number) => boolean = () => false,
) {
  const log = new LogLines();
  const published: Published[] = [];
  const boards: Published[] = [];
  const text = (entry: PlainElement, name: string): string => {
    const child = (entry.children ?? []).find((c): c is PlainElement => typeof c !== "string" && c.name === name);
    const first = child?.children?.[0];
    return typeof first === "string" ? first : "";
  };
  const pubsub = {
    publishForeign: (_service: string, node: string, entry: PlainElement, itemId: string) => {
      const bytes = Buffer.byteLength(JSON.stringify(entry));
      const answer = answers.shift() ?? (refuse(node, bytes) ? TOO_BIG : { ok: true });
      const kept = { itemId, title: text(entry, "title"), summary: text(entry, "summary"), bytes };
      if (answer.ok) (node === "mauve/audit" ? published : boards).push(kept);
      return Promise.resolve(answer);
    },
  } as unknown as Pubsub;
  const feed = new AuditFeed({ store, clock, log: log.logger, pubsub, service: "pubsub.mauve.localhost", readers: [] });
  return { feed, published, boards, log, clock };
}

const lineIds = (store: Store): number[] => store.alerts.historySince(0, 1000).map((l) => l.id);
const errors = (log: LogLines) => log.lines.filter((l) => l["level"] === "error");

describe("audit and status feeds: what the server refuses for good", () => {
  it("publishes a note in its place, saying what is missing and where, and goes on past it", async () => {
    const store = storeWithLines();
    const { feed, published, log } = feedOver(store, [{ ok: true }, TOO_BIG]);
    await feed.flush();
    const ids = lineIds(store);
    assert.deepEqual(
      published.map((p) => p.itemId),
      [`h${ids[0]}-${ids[19]}`, `h${ids[20]}-${ids[39]}`, `h${ids[40]}-${ids[59]}`],
      "the note under the refused entry's id, then the entry after it",
    );
    const note = published[1]!;
    assert.match(
      note.title,
      /^20 events not shown here: the server refused their entry \(not-acceptable: payload-too-big\)$/,
    );
    assert.match(note.summary, /say "history <id>" to AlertBot/);
    assert.match(note.summary, /For the alerts #21, #22, .*#40, say/, "the alerts whose lines are missing");
    assert.equal(store.policy.botState(CURSOR_KEY), String(ids[59]), "the cursor past every line");
    assert.deepEqual(
      errors(log).map((l) => [l["msg"], l["item"], l["refusal"]]),
      [
        [
          "the server refused an audit entry for good: published a note in its place, and the feed goes on",
          `h${ids[20]}-${ids[39]}`,
          "not-acceptable: payload-too-big",
        ],
      ],
    );
    assert.equal(log.lines.filter((l) => l["level"] === "warn").length, 0, "no retry to warn of");
    store.close();
  });

  it("says refusals that go on as errors at first and every so often, not one a poll", async () => {
    const store = storeWithLines();
    const clock = new FakeClock();
    // Every entry refused, every note taken: a limit set far too low.
    const answers: XmppResult[] = [];
    const { feed, published, log } = feedOver(store, answers, clock);
    answers.push(TOO_BIG, { ok: true }, TOO_BIG, { ok: true }, TOO_BIG, { ok: true });
    await feed.flush();
    assert.equal(published.length, 3, "three notes");
    assert.equal(errors(log).length, 1, "said once for the three");
    assert.equal(log.lines.filter((l) => l["refusal"] && l["level"] === "debug").length, 2, "the rest at debug");

    clock.advance(FAILURE_REMINDER_MS);
    const more = ingestUpdate(
      store,
      update("web1", [alert("check0", { summary: "again" })]),
      { via: "udp" },
      clock.now(),
    );
    assert.equal(more.status, "applied");
    answers.push(TOO_BIG, { ok: true });
    await feed.flush();
    assert.equal(errors(log).length, 2, "said again after 10 minutes of refusals");
    assert.equal(errors(log)[1]!["refusingForMs"], FAILURE_REMINDER_MS);
    store.close();
  });

  it("tries the entry again, note and all, when the note could not be published for now", async () => {
    const store = storeWithLines();
    const { feed, published, log } = feedOver(store, [{ ok: true }, TOO_BIG, TIMEOUT]);
    await feed.flush();
    const ids = lineIds(store);
    assert.equal(store.policy.botState(CURSOR_KEY), String(ids[19]), "the cursor stays before the refused entry");
    assert.equal(errors(log).length, 0, "not yet said: nothing was skipped");
    assert.deepEqual(
      log.lines.filter((l) => l["level"] === "warn").map((l) => l["msg"]),
      ["audit publish failed; will retry"],
    );
    await feed.flush();
    assert.deepEqual(
      published.map((p) => p.itemId),
      [`h${ids[0]}-${ids[19]}`, `h${ids[20]}-${ids[39]}`, `h${ids[40]}-${ids[59]}`],
      "the refused entry published this time (the server takes it now)",
    );
    assert.equal(store.policy.botState(CURSOR_KEY), String(ids[59]));
    store.close();
  });

  it("cuts a sender's long summary in the feed, so that an entry stays small (the database keeps it whole)", async () => {
    const store = storeWithLines(60_000);
    const { feed, published } = feedOver(store, []);
    await feed.flush();
    assert.equal(published.length, 3);
    for (const p of published) {
      const lines = p.summary.split("\n");
      assert.equal(lines.length, 20);
      for (const line of lines) assert.ok([...line].length <= AUDIT_LINE_CHARS, `a line of ${[...line].length}`);
      assert.ok(p.bytes < 25 * 1024, `an entry of ${p.bytes} bytes`);
    }
    assert.match(published[0]!.summary.split("\n")[0]!, /xxx…$/);
    assert.equal(store.alerts.historySince(0, 1)[0]!.detail.length, 60_000, "the line whole in the database");
    store.close();
  });

  it("cuts a lone line's summary too", async () => {
    const store = Store.open(":memory:");
    ingestUpdate(
      store,
      update("web1", [alert("big", { summary: "y".repeat(60_000) })]),
      { via: "udp" },
      1_700_000_000_000,
    );
    const { feed, published } = feedOver(store, []);
    await feed.flush();
    assert.equal(published.length, 1);
    assert.equal([...published[0]!.summary].length, AUDIT_LINE_CHARS);
    store.close();
  });

  it("cuts the status board to fewer lines when the server refuses it whole, so that its counts still go out", async () => {
    const store = storeWithLines(200);
    const refuse = (node: string, bytes: number) => node === "mauve/status" && bytes > 3_000;
    const { feed, boards, log } = feedOver(store, [], new FakeClock(), refuse);
    await feed.flush();
    assert.equal(boards.length, 1);
    assert.equal(boards[0]!.title, "60 raised, 0 acked, 0 silenced");
    const lines = boards[0]!.summary.split("\n");
    assert.equal(lines.length, 11, "ten alerts, then where the rest are");
    assert.match(lines[10]!, /^…and 50 more: say "show 100" to AlertBot/);
    assert.deepEqual(
      log.lines.filter((l) => l["level"] === "warn").map((l) => [l["msg"], l["refusal"]]),
      [
        [
          "the server refused the status board for good; published it with 10 of its 50 lines",
          "not-acceptable: payload-too-big",
        ],
      ],
    );
    store.close();
  });

  it("says loudly when the server refuses even the board's counts, and does not try it again until the board changes", async () => {
    const store = storeWithLines();
    const clock = new FakeClock();
    const { feed, boards, log } = feedOver(store, [], clock, (node) => node === "mauve/status");
    await feed.flush();
    assert.equal(boards.length, 0);
    const said = errors(log).map((l) => l["msg"]);
    assert.deepEqual(said, [
      "the server refused the status board for good; even with its counts alone: the node shows an old board",
    ]);
    const tried = log.lines.length;
    clock.advance(60_000);
    await feed.flush();
    assert.equal(log.lines.length, tried, "nothing new, nothing tried");
    store.close();
  });
});
