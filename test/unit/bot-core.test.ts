import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, advanceCore, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import Database from "better-sqlite3";

// The bot's default policy: no workgroups or rules, so everyone hears everything at once.
const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
`,
);
const origin = pubsubOrigin();

describe("BotCore timeline (fake clock, real SQLite)", () => {
  let dir: string;
  let path: string;
  let clock: FakeClock;
  let chat: RecordingChat;
  let store: Store;
  let core: BotCore;
  const s = () => Math.floor(clock.now() / 1000);

  const boot = (): void => {
    store = Store.open(path);
    core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: chatOnly(chat),
      ackMaxMs: 7 * 86_400_000,
    });
  };
  const advance = (ms: number): Promise<void> => advanceCore(clock, core, ms);
  const apply = async (u: ReturnType<typeof update>) => {
    const outcome = await core.applyUpdate(u, origin);
    await core.idle();
    return outcome;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mauve-core-"));
    path = join(dir, "bot.sqlite");
    clock = new FakeClock();
    chat = new RecordingChat();
    boot();
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells everyone of a raise once, and of its clear", async () => {
    const u = update("web1", [alert("disk", { summary: "97% full" })]);
    await apply(u);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 web1 disk: 97% full", "bob: RAISED #1 web1 disk: 97% full"]);
    await apply(u);
    await apply(update("web1", [alert("disk", { summary: "98% full" })]));
    assert.deepEqual(chat.take(), [], "a duplicate or a mere text update tells nobody again");
    await apply(update("web1", [alert("disk", { clearTimeS: s() })]));
    assert.deepEqual(chat.take(), ["alice: CLEARED #1 web1 disk: 98% full", "bob: CLEARED #1 web1 disk: 98% full"]);
  });

  it("raises a heartbeat that stops, at the time it was due", async () => {
    await apply(update("web1", [alert("heartbeat", { clearTimeS: s(), raiseTimeS: s() + 600 })]));
    assert.deepEqual(chat.take(), []);
    await advance(599_000);
    assert.deepEqual(chat.take(), []);
    await advance(1_000);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 web1 heartbeat", "bob: RAISED #1 web1 heartbeat"]);
  });

  it("holds a suppressed raise until the suppression ends", async () => {
    await apply(update("web1", [alert("disk", { suppressUntilS: s() + 300 })]));
    assert.deepEqual(chat.take(), []);
    await advance(300_000);
    assert.equal(chat.take().length, 2);
  });

  it("takes 'ack' from a person, stays quiet while acked, and tells again when the ack expires", async () => {
    await apply(update("web1", [alert("disk")]));
    chat.take();
    const reply = await core.handleChat("alice@mauve.localhost/phone", "ack 1 because rebooting");
    assert.match(reply ?? "", /#1 web1 disk.*acknowledged for 1h by alice because rebooting/);
    assert.equal(store.alerts.get(1)?.ack?.by, "alice");
    await core.tick();
    await core.idle();
    assert.deepEqual(chat.take(), ["bob: ACKED #1 web1 disk"], "the others already told hear of the ack");
    await advance(3_599_000);
    assert.deepEqual(chat.take(), []);
    await advance(1_000);
    assert.deepEqual(chat.take(), ["alice: ACK EXPIRED #1 web1 disk", "bob: ACK EXPIRED #1 web1 disk"]);
  });

  it("after a restart tells what was owed, and nothing twice", async () => {
    await apply(update("web1", [alert("disk")]));
    assert.equal(chat.take().length, 2);
    await apply(update("web1", [alert("hb", { clearTimeS: s(), raiseTimeS: s() + 60 })]));
    core.stop();
    store.close();
    clock.advance(120_000); // the bot is down when the heartbeat falls due
    boot();
    await core.start();
    assert.deepEqual(chat.take(), ["alice: RAISED #2 web1 hb", "bob: RAISED #2 web1 hb"]);
    await advance(60_000);
    assert.deepEqual(chat.take(), []);
  });

  it("does not run a line that changes something when it was typed long before it came (a delay stamp), and says so", async () => {
    await apply(update("web1", [alert("disk")]));
    chat.take();
    const alice = "alice@mauve.localhost/phone";
    // Typed an hour ago while offline; the alert has been raised again since, perhaps.
    const hourAgo = clock.now() - 3_600_000;
    for (const line of ["ack 1 because rebooting", "clear 1", "escalate 1", "silence everything for 1h"]) {
      const reply = await core.handleChat(alice, line, undefined, { sentAt: hourAgo });
      assert.match(reply ?? "", /^You sent ".*" 1h ago and it reached me only now, so I did not run it/, line);
    }
    assert.equal(store.alerts.get(1)?.ack, null);
    assert.equal(store.alerts.get(1)?.status, "raised");
    assert.deepEqual(store.policy.liveSilences(clock.now()), []);
    // Reading runs late all the same, and a line a moment late is run.
    assert.match((await core.handleChat(alice, "show", undefined, { sentAt: hourAgo })) ?? "", /^#1 /);
    const reply = await core.handleChat(alice, "ack 1", undefined, { sentAt: clock.now() - 30_000 });
    assert.match(reply ?? "", /#1 web1 disk acknowledged/);
  });

  it("refuses a stranger politely and changes nothing", async () => {
    await apply(update("web1", [alert("disk")]));
    const reply = await core.handleChat("mallory@evil.example/x", "ack 1");
    assert.match(reply ?? "", /only take commands from the people in my configuration/);
    assert.equal(store.alerts.get(1)?.ack, null);
  });

  it("records who was told, and a failed delivery, in the history", async () => {
    chat.failFor.add("bob@mauve.localhost");
    await apply(update("web1", [alert("disk")]));
    const kinds = store.alerts.history(1).map((h) => `${h.kind}: ${h.detail}`);
    assert.deepEqual(kinds.slice(1).sort(), [
      "notified: raised to alice by xmpp",
      "notify-failed: raised to bob by xmpp, attempt 1: chat to bob@mauve.localhost failed: offline",
    ]);
  });

  it("holds a long storm under a used-up limit with one timer a person, and sends it as one digest when the limit frees", async () => {
    for (let i = 0; i < 5; i++) await apply(update("web1", [alert(`first-${i}`, { summary: `first ${i}` })]));
    assert.equal(
      chat.take().filter((l) => l.startsWith("alice:")).length,
      5,
      "the limit's 5 messages go out one by one",
    );
    const timersBefore = clock.pendingTimers();
    for (let i = 0; i < 40; i++) await apply(update("web1", [alert(`held-${i}`, { summary: `held ${i}` })]));
    assert.deepEqual(chat.take(), [], "nothing while the limit has no room");
    assert.ok(
      clock.pendingTimers() <= timersBefore + 2,
      `${clock.pendingTimers() - timersBefore} more timers for 40 held updates`,
    );
    await advance(config.storm.limit.perMs);
    const alice = chat.take().filter((l) => l.startsWith("alice:"));
    assert.equal(alice.length, 1, alice.join(" | "));
    assert.match(alice[0]!, /DIGEST 40 alerts/);
  });

  it("looks again at many alerts in chunks, letting the event loop in between, and misses none", async () => {
    for (let u = 0; u < 12; u++)
      await apply(
        update(
          "web1",
          Array.from({ length: 100 }, (_, i) => alert(`a${u}-${i}`, { raiseTimeS: s() })),
        ),
      );
    assert.equal(store.alerts.countRaised(), 1_200);
    let letIn = false;
    setImmediate(() => (letIn = true));
    await core.reconsider();
    assert.ok(letIn, "something else ran while 1,200 alerts were looked at");
    assert.deepEqual(store.alerts.due(clock.now()), [], "every one of them was looked at");
  });

  it("makes a big storm due again a slice at a time, a person's command going in between", async () => {
    for (let u = 0; u < 25; u++)
      await apply(
        update(
          "web1",
          Array.from({ length: 100 }, (_, i) => alert(`b${u}-${i}`, { raiseTimeS: s() })),
        ),
      );
    assert.equal(store.alerts.countRaised(), 2_500);
    const calls: string[] = [];
    const marked = new Set<number>();
    const mark = store.alerts.lookAgainAtRaisedAfter.bind(store.alerts);
    store.alerts.lookAgainAtRaisedAfter = (now, after, limit) => {
      calls.push("mark a slice");
      const last = mark(now, after, limit);
      // Each slice made its own alerts due now, as the policy will read them.
      for (const a of store.alerts.each("raised"))
        if (a.shortId > after && (last === null || a.shortId <= last)) {
          assert.equal(a.policyDueAt, now, `#${a.shortId}`);
          marked.add(a.shortId);
        }
      return last;
    };
    setImmediate(() => calls.push("a person's command"));
    await core.reconsider();
    assert.deepEqual(calls.slice(0, 3), ["mark a slice", "a person's command", "mark a slice"]);
    assert.equal(marked.size, 2_500, "every raised alert was in a slice");
    assert.deepEqual(store.alerts.due(clock.now()), [], "every one of them was looked at");
  });

  it("in a storm sends one digest instead of a flood, and drops nothing", async () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      alert(`disk-${i}`, { summary: `disk ${i} full`, importance: 40 + i }),
    );
    await apply(update("web1", many));
    const sent = chat.take();
    const alice = sent.filter((l) => l.startsWith("alice:"));
    assert.ok(alice.length <= 3, `alice got ${alice.length} messages, not a flood`);
    assert.ok(
      alice.some((l) => /30/.test(l)),
      `the digest counts all 30: ${alice.join(" | ")}`,
    );
    const told = store.alerts
      .history(1)
      .concat(store.alerts.history(30))
      .filter((h) => h.kind === "notified");
    assert.ok(told.length >= 2, "every alert's history says it was told");
  });

  it("keeps running when reading the next due time fails (a disk I/O error), and tells what falls due once it reads again", async () => {
    await apply(
      update("web1", [
        alert("hb1", { clearTimeS: s(), raiseTimeS: s() + 600 }),
        alert("hb2", { clearTimeS: s(), raiseTimeS: s() + 1200 }),
      ]),
    );
    const nextDue = store.alerts.nextDue.bind(store.alerts);
    let failing = true;
    store.alerts.nextDue = () => {
      if (failing) throw new Error("disk I/O error (injected)");
      return nextDue();
    };
    await advance(600_000);
    assert.deepEqual(chat.take(), ["alice: RAISED #1 web1 hb1", "bob: RAISED #1 web1 hb1"]);
    await advance(10_000);
    assert.deepEqual(chat.take(), []);
    failing = false;
    await advance(590_000);
    assert.deepEqual(chat.take(), ["alice: RAISED #2 web1 hb2", "bob: RAISED #2 web1 hb2"]);
  });

  it("retries shortly when the due work itself throws inside the timer, instead of ending the process", async () => {
    await apply(update("web1", [alert("hb", { clearTimeS: s(), raiseTimeS: s() + 600 })]));
    const tick = core.tick.bind(core);
    let throws = 1;
    core.tick = () => {
      if (throws-- > 0) throw new Error("cannot read the store (injected)");
      return tick();
    };
    clock.advance(600_000);
    await core.idle();
    assert.deepEqual(chat.take(), [], "the first run failed");
    clock.advance(5_000);
    await tick();
    await core.idle();
    assert.deepEqual(chat.take(), ["alice: RAISED #1 web1 hb", "bob: RAISED #1 web1 hb"]);
  });

  const ackAll = async (): Promise<void> => {
    await core.handleChat("alice@mauve.localhost/phone", "ack 1,2,3");
  };
  for (const [command, prepare, done] of [
    ["ack 1,2,3", async (): Promise<void> => undefined, /acknowledged for 1h by alice/],
    ["clear 1,2,3", async (): Promise<void> => undefined, /cleared by hand by alice/],
    ["unack 1,2,3", ackAll, /no longer acknowledged/],
  ] as const) {
    it(`'${command}' whose write fails for one alert says which were changed and which not`, async () => {
      await apply(update("web1", [alert("a"), alert("b"), alert("c")]));
      await prepare();
      await core.idle();
      chat.take();
      // Another connection to the file makes the write of #2 fail, as a failing disk does.
      const other = new Database(path);
      other.exec(
        "CREATE TRIGGER broken BEFORE UPDATE ON alerts WHEN NEW.short_id = 2 BEGIN SELECT RAISE(FAIL, 'disk I/O error'); END",
      );
      try {
        const reply = (await core.handleChat("alice@mauve.localhost/phone", command)) ?? "";
        const lines = reply.split("\n");
        assert.equal(lines.length, 3, reply);
        assert.match(lines[0]!, done);
        assert.match(lines[1]!, /^#2: not changed: something went wrong on my side/);
        assert.match(lines[2]!, done);
        assert.doesNotMatch(reply, /changed nothing/);
      } finally {
        other.exec("DROP TRIGGER broken");
        other.close();
      }
    });
  }
});
