// The policy looks at an alert an update changes before the alert is written, so its row is
// written once (issue 17): what people are told must be what it was when the look came after.
import assert from "node:assert/strict";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { IngestOutcome } from "../../src/ingest/ingest-update.js";
import { Store } from "../../src/store/store.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
`,
);

describe("BotCore: the policy's look written with the alert's row (fake clock)", () => {
  let store: Store;
  let clock: FakeClock;
  let core: BotCore;
  let chat: RecordingChat;
  let rooms: string[];
  let looksApart: number;

  beforeEach(async () => {
    store = Store.open(":memory:");
    clock = new FakeClock(Date.UTC(2026, 11, 5, 10));
    chat = new RecordingChat();
    rooms = [];
    core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: chatOnly(chat),
      roomPost: async (workgroup, line) => {
        rooms.push(`${workgroup}: ${line()}`.replace(/#\d+/, "#N"));
      },
    });
    // Counts the looks written on their own, after the row.
    looksApart = 0;
    const setPolicyDue = store.alerts.setPolicyDue.bind(store.alerts);
    store.alerts.setPolicyDue = (...args) => {
      looksApart++;
      setPolicyDue(...args);
    };
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  const apply = (source: string, ...alerts: ReturnType<typeof alert>[]): Promise<IngestOutcome> =>
    core.applyUpdate(update(source, alerts), pubsubOrigin(source));

  it("tells of a raise and a clear, storing the escalation and when to look again with the row, not after it", async () => {
    const raised = await apply("web1", alert("disk", { raiseTimeS: 1, summary: "disk full" }));
    await core.idle();
    assert.equal(raised.status, "applied");
    assert.deepEqual(
      chat.take().map((l) => l.replace(/#\d+/, "#N")),
      ["alice: RAISED #N web1 disk: disk full"],
    );
    const stored = store.alerts.find("web1", "disk")!;
    assert.notEqual(store.policy.escalationText(stored.shortId), null, "the escalation is stored");
    assert.equal(store.policy.deliveriesOf(stored.shortId).length, 1, "one delivery, under the alert's number");
    assert.equal(looksApart, 0, "no second write of the row for the look");

    await apply("web1", alert("disk", { clearTimeS: 2, summary: "disk fine" }));
    await core.idle();
    assert.deepEqual(
      chat.take().map((l) => l.replace(/#\d+/, "#N")),
      ["alice: CLEARED #N web1 disk: disk fine"],
    );
    assert.equal(store.policy.escalationText(stored.shortId), null, "the chain is forgotten with the clear");
    assert.equal(looksApart, 0);
    assert.deepEqual(rooms, ["everyone: RAISED #N web1 disk: disk full", "everyone: CLEARED #N web1 disk: disk fine"]);
  });

  it("looks once at the last state when one batch carries a source twice: a raise and its clear tell nobody", async () => {
    const both = [
      apply("web1", alert("disk", { raiseTimeS: 1, summary: "disk full" })),
      apply("web1", alert("disk", { clearTimeS: 2, summary: "disk fine" })),
      apply("web2", alert("load", { raiseTimeS: 1, summary: "load high" })),
    ];
    await Promise.all(both);
    await core.idle();
    assert.deepEqual(
      chat.take().map((l) => l.replace(/#\d+/, "#N")),
      ["alice: RAISED #N web2 load: load high"],
    );
  });

  it("rolls back the deliveries of an update that fails after its alerts were looked at, and tells nobody of it", async () => {
    const touch = store.sources.touch.bind(store.sources);
    store.sources.touch = (source, at) => {
      if (source === "bad1") throw new Error("refused after the alerts were written");
      touch(source, at);
    };
    const outcomes = await Promise.allSettled([
      apply("bad1", alert("disk", { raiseTimeS: 1, summary: "never stored" })),
      apply("web2", alert("load", { raiseTimeS: 1, summary: "load high" })),
    ]);
    await core.idle();
    assert.equal(outcomes[0].status, "rejected");
    assert.equal(outcomes[1].status, "fulfilled");
    assert.equal(store.alerts.find("bad1", "disk"), undefined, "the failed update left nothing");
    assert.deepEqual(
      chat.take().map((l) => l.replace(/#\d+/, "#N")),
      ["alice: RAISED #N web2 load: load high"],
    );
    assert.deepEqual(rooms, ["everyone: RAISED #N web2 load: load high"], "rooms hear only of what was stored");
  });
});
