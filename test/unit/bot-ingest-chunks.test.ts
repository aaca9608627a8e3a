import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { IngestOutcome } from "../../src/ingest/ingest-update.js";
import { Store } from "../../src/store/store.js";
import { TurnBatch } from "../../src/util/batching.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";
import type { BotConfig } from "../../src/config/bot-config.js";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A started core over a real SQLite file in a new directory, chat its only channel; `watch` sees the store first. */
async function coreOnFile(
  config: BotConfig,
  watch: (store: Store) => void = () => undefined,
): Promise<{ store: Store; core: BotCore; chat: RecordingChat; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "mauve-chunks-"));
  const store = Store.open(join(dir, "bot.sqlite"));
  watch(store);
  const chat = new RecordingChat();
  const core = fakeClockCore({ store, clock: new FakeClock(), policy: config, channels: chatOnly(chat) });
  await core.start();
  return {
    store,
    core,
    chat,
    close: () => {
      core.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("TurnBatch limits", () => {
  it("hands a backlog over in chunks, one per turn, in order", async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number>((items) => runs.push(items), { perRun: 10, highWater: 1_000 });
    for (let i = 0; i < 25; i++) batch.add(i);
    assert.equal(runs.length, 0, "nothing runs in the turn the items arrive");
    await nextTurn();
    assert.deepEqual(runs, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    await nextTurn();
    await nextTurn();
    assert.deepEqual(
      runs.map((r) => r.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      runs.flat(),
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.equal(batch.waiting, 0);
  });

  it("takes enough to come back down to the high-water mark, so the backlog stays bounded", async () => {
    const runs: number[] = [];
    const batch = new TurnBatch<number>((items) => runs.push(items.length), { perRun: 10, highWater: 20 });
    for (let i = 0; i < 50; i++) batch.add(i);
    await nextTurn();
    assert.deepEqual(runs, [30]);
    await nextTurn();
    await nextTurn();
    assert.deepEqual(runs, [30, 10, 10]);
  });

  it("waits a turn while told another run will drain it, and runs what it still holds then", async () => {
    const runs: number[][] = [];
    let other = true;
    const batch = new TurnBatch<number>(
      (items) => runs.push(items),
      undefined,
      () => other,
    );
    batch.add(1);
    await nextTurn();
    assert.deepEqual(runs, [], "waits while the other run is coming");
    batch.drain();
    assert.deepEqual(runs, [[1]], "the other run drained it");
    batch.add(2);
    other = false;
    await nextTurn();
    assert.deepEqual(runs, [[1], [2]]);
  });

  it("without limits, runs everything of a turn at once", async () => {
    const runs: number[] = [];
    const batch = new TurnBatch<number>((items) => runs.push(items.length));
    for (let i = 0; i < 500; i++) batch.add(i);
    await nextTurn();
    assert.deepEqual(runs, [500]);
  });
});

// Issue 17 "people first": a command that arrives behind a storm of updates is answered before
// the storm has been applied, and notices of the first updates go out before the last are stored.
describe("BotCore: people first under a storm of updates (fake clock, real SQLite)", () => {
  const config = testConfig(
    `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
`,
  );
  let store: Store;
  let core: BotCore;
  let chat: RecordingChat;
  let close: () => void;

  beforeEach(async () => {
    ({ store, core, chat, close } = await coreOnFile(config));
  });
  afterEach(() => close());

  it("answers an ack that arrived behind 1,000 updates before they are all stored, and stores them all", async () => {
    const total = 1_000;
    const outcomes: Array<Promise<IngestOutcome>> = [];
    // One read from the server carrying a storm: every update arrives in the same turn...
    for (let i = 0; i < total; i++) {
      const source = `host${i}`;
      const origin = pubsubOrigin(source);
      outcomes.push(core.applyUpdate(update(source, [alert("disk", { summary: `disk ${i}` })]), origin));
    }
    // ...and bob's "ack 1" in the next read.
    let storedAtReply = -1;
    let noticesAtReply = -1;
    let reply = "";
    await nextTurn();
    await core.handleChat("bob@mauve.localhost/phone", "ack 1", async (text) => {
      storedAtReply = store.alerts.countRaised();
      noticesAtReply = chat.sent.length;
      reply = text;
    });
    assert.match(reply, /#1 .*acknowledged/, reply);
    assert.ok(
      storedAtReply > 0 && storedAtReply < total,
      `stored ${storedAtReply} of ${total} when bob had his answer`,
    );
    assert.ok(noticesAtReply > 0, "the notices of the first chunk went out before the storm was through");
    const results = await Promise.all(outcomes);
    await core.idle();
    assert.ok(results.every((r) => r.status === "applied"));
    assert.equal(store.alerts.countRaised(), total, "every update of the storm is stored");
  });
});

// Issue 17: the alerts an update just saved are looked at by the policy as they were saved, in the
// same transaction, rather than read back through the due index.
describe("BotCore: the policy looks at what an update saved, as saved (fake clock, real SQLite)", () => {
  const config = testConfig(
    `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
workgroups:
  - { name: ops, members: [alice] }
  - { name: dba, members: [bob] }
rules:
  - { match: { importance: "90.." }, level: normal, workgroup: dba }
  - { level: normal, workgroup: ops }
`,
  );
  let core: BotCore;
  let chat: RecordingChat;
  let close: () => void;
  /** Short ids the due index returned since the test began. */
  let readBack: number[];

  beforeEach(async () => {
    readBack = [];
    ({ core, chat, close } = await coreOnFile(config, (watched) => {
      const due = watched.alerts.due.bind(watched.alerts);
      watched.alerts.due = (now, limit) => {
        const found = due(now, limit);
        readBack.push(...found.map((a) => a.shortId));
        return found;
      };
    }));
  });
  afterEach(() => close());

  it("tells of fresh raises without reading them back through the due index", async () => {
    const alerts = ["disk", "load"].map((id) => alert(id, { summary: `${id} high` }));
    const outcome = await core.applyUpdate(update("web1", alerts), pubsubOrigin("web1"));
    await core.idle();
    assert.equal(outcome.status, "applied");
    assert.deepEqual(
      chat.take().map((l) => l.split(":")[0]),
      ["alice", "alice"],
      "alice is told of each raise",
    );
    assert.deepEqual(readBack, [], "the due index returned none of the alerts just saved");
  });

  it("looks at the last save when updates in one turn change the same alert", async () => {
    // One read from the server: a raise routed to ops, then the same alert made important (dba).
    const first = core.applyUpdate(update("db1", [alert("repl", { importance: 10 })]), pubsubOrigin("db1"));
    const second = core.applyUpdate(update("db1", [alert("repl", { importance: 95 })]), pubsubOrigin("db1"));
    assert.deepEqual([(await first).status, (await second).status], ["applied", "applied"]);
    await core.idle();
    assert.deepEqual(
      chat.take().map((l) => l.split(":")[0]),
      ["bob"],
      "the dba is told, as the alert stands after both updates; ops never",
    );
  });
});

// Issue 17: the outcomes of sends (deliveries finished, "notified" in the history) are stored in
// the transaction of the updates applied in the same turn, not committed on their own first.
describe("BotCore: one commit for the updates of a turn and the outcomes of the sends before them", () => {
  const config = testConfig(
    `people:
  - { name: alice, jid: alice@mauve.localhost }
`,
  );
  let store: Store;
  let core: BotCore;
  let chat: RecordingChat;
  let close: () => void;
  let commits: number;

  beforeEach(async () => {
    commits = 0;
    ({ store, core, chat, close } = await coreOnFile(config, (watched) => {
      let depth = 0;
      const transaction = watched.transaction.bind(watched);
      watched.transaction = <T>(fn: () => T): T => {
        if (depth++ === 0) commits++;
        try {
          return transaction(fn);
        } finally {
          depth--;
        }
      };
    }));
  });
  afterEach(() => close());

  it("stores the first update's sends with the second update, in its transaction", async () => {
    const pending = (): number => store.policy.pending("alice", Number.MAX_SAFE_INTEGER).length;
    assert.equal((await core.applyUpdate(update("web1", [alert("disk")]), pubsubOrigin("web1"))).status, "applied");
    assert.equal(chat.sent.length, 1, "alice was sent the first raise");
    const before = commits;
    // The second update arrives before the first send's outcome was stored.
    assert.equal((await core.applyUpdate(update("web2", [alert("load")]), pubsubOrigin("web2"))).status, "applied");
    assert.equal(commits - before, 1, "one commit for the second update and the first send's outcome");
    assert.deepEqual(
      store.policy.deliveriesOf(1).map((d) => d.status),
      ["sent"],
      "the first raise's delivery is finished",
    );
    await core.idle();
    assert.equal(pending(), 0);
    assert.deepEqual(
      [1, 2].map((id) => store.alerts.history(id).map((h) => h.kind)),
      [
        ["raised", "notified"],
        ["raised", "notified"],
      ],
    );
  });
});
