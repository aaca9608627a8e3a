// Issue 17, people first: when the reminders of a storm's alerts fall due together, the outbox
// flush read and looked at every one of them in one go, and a person's command waited for all of
// it. A large outbox is now looked at a slice at a time, with the event loop let in between.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { Channel, ChannelKind, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { Store } from "../../src/store/store.js";
import { fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { alert, update } from "../helpers/updates.js";

const T0 = 1_700_000_000_000;
const M = 60_000;
const COUNT = 5_000;

class Ordered implements Channel {
  readonly name = "xmpp" as const;
  constructor(private readonly order: string[]) {}
  async send(to: Recipient, m: NotificationMessage) {
    this.order.push(`${to.name}: ${m.subject}`);
    return { ok: true as const };
  }
}

// One message per 40 minutes: the storm's digest uses it, so its reminders (due at 30m) wait for the limit.
const config = testConfig(
  `people:
  - { name: alice, jid: alice@x.org }
workgroups:
  - { name: ops, members: [alice], escalation: { normal: { steps: [{ after: 0m, notify: oncall }], reminder: 30m } } }
rules:
  - { level: normal, workgroup: ops }
storm: { per_person_limit: 1 per 40m }
`,
  "x.org",
);

describe("the outbox flush of a storm's reminders", () => {
  it("lets a person's command run between its slices, and tells the reminders in one digest", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    const order: string[] = [];
    const core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: new Map<ChannelKind, Channel>([["xmpp", new Ordered(order)]]),
    });
    await core.start();
    await core.applyUpdate(
      update(
        "storm",
        Array.from({ length: COUNT }, (_, i) => alert(`c${i}`, { summary: `check ${i} failed` })),
      ),
      { via: "udp" },
    );
    await core.tick();
    await core.idle();
    assert.deepEqual(order.splice(0), [`alice: DIGEST ${COUNT} alerts, ${COUNT} raised`]);
    clock.advance(30 * M);
    await core.tick();
    await core.idle();
    assert.equal(order.length, 0, "the reminders wait for the limit");
    // The limit frees: its timer flushes the outbox, every reminder of the storm in it.
    clock.advance(10 * M);
    setImmediate(() => order.push("a person's command"));
    await core.idle();
    assert.deepEqual(order, ["a person's command", `alice: DIGEST ${COUNT} alerts, ${COUNT} raised`]);
    core.stop();
    store.close();
  });

  it("stopped between slices, tells nothing then, and every reminder once at the next start", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    const order: string[] = [];
    const channels = new Map<ChannelKind, Channel>([["xmpp", new Ordered(order)]]);
    const core = fakeClockCore({ store, clock, policy: config, channels });
    await core.start();
    await core.applyUpdate(
      update(
        "storm",
        Array.from({ length: COUNT }, (_, i) => alert(`c${i}`, { summary: `check ${i} failed` })),
      ),
      { via: "udp" },
    );
    await core.tick();
    await core.idle();
    clock.advance(30 * M);
    await core.tick();
    await core.idle();
    order.length = 0;
    // The process ends while the outbox is being looked at: nothing of it was told.
    clock.advance(10 * M);
    setImmediate(() => core.stop());
    await core.idle();
    assert.deepEqual(order, []);
    const again = fakeClockCore({ store, clock, policy: config, channels });
    await again.start();
    await again.tick();
    await again.idle();
    assert.deepEqual(order, [`alice: DIGEST ${COUNT} alerts, ${COUNT} raised`]);
    const reminders = store.alerts
      .list("raised")
      .flatMap((a) => store.policy.deliveriesOf(a.shortId))
      .filter((d) => JSON.stringify(d.delivery).includes('"reminder"'));
    assert.equal(reminders.length, COUNT);
    assert.deepEqual([...new Set(reminders.map((d) => d.status))], ["digested"]);
    again.stop();
    store.close();
  });

  it("stores a storm digest's outcome a slice at a time, letting a command in; every alert's history and who heard as before", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    const order: string[] = [];
    const heardOfAll = (): number => {
      const heard = store.policy.heardOf(store.alerts.list("raised").map((a) => a.shortId));
      return [...heard.values()].filter((h) => h.heard.includes("alice")).length;
    };
    const channel = new Ordered(order);
    const sent = channel.send.bind(channel);
    channel.send = async (to, m) => {
      // A person's command arrives as the digest goes out.
      setImmediate(() =>
        order.push(
          `a person's command, ${heardOfAll() > 0 && heardOfAll() < COUNT ? "some" : "none or all"} marked heard`,
        ),
      );
      return sent(to, m);
    };
    const core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: new Map<ChannelKind, Channel>([["xmpp", channel]]),
    });
    await core.start();
    await core.applyUpdate(
      update(
        "storm",
        Array.from({ length: COUNT }, (_, i) => alert(`c${i}`, { summary: `check ${i} failed` })),
      ),
      { via: "udp" },
    );
    await core.tick();
    await core.idle();
    assert.deepEqual(order, [
      `alice: DIGEST ${COUNT} alerts, ${COUNT} raised`,
      "a person's command, some marked heard",
    ]);
    assert.equal(heardOfAll(), COUNT);
    const raised = store.alerts.list("raised");
    const notified = raised.map((a) =>
      store.alerts
        .history(a.shortId)
        .filter((h) => h.kind === "notified")
        .map((h) => h.detail),
    );
    assert.deepEqual(
      [...new Set(notified.map((n) => JSON.stringify(n)))],
      [JSON.stringify(["digest to alice by xmpp"])],
    );
    const statuses = raised.flatMap((a) => store.policy.deliveriesOf(a.shortId).map((d) => d.status));
    assert.equal(statuses.length, COUNT);
    assert.deepEqual([...new Set(statuses)], ["digested"]);
    core.stop();
    store.close();
  });

  it("leaves out a reminder its alert's ack made moot while the outbox was being looked at", async () => {
    const store = Store.open(":memory:");
    const clock = new FakeClock(T0);
    const order: string[] = [];
    const channels = new Map<ChannelKind, Channel>([["xmpp", new Ordered(order)]]);
    const core = fakeClockCore({ store, clock, policy: config, channels });
    await core.start();
    await core.applyUpdate(
      update(
        "storm",
        Array.from({ length: COUNT }, (_, i) => alert(`c${i}`, { summary: `check ${i} failed` })),
      ),
      { via: "udp" },
    );
    await core.tick();
    await core.idle();
    clock.advance(30 * M);
    await core.tick();
    await core.idle();
    order.length = 0;
    clock.advance(10 * M);
    // #1's reminder is in the first slice, looked at before the ack arrives.
    setImmediate(
      () => void core.handleChat("alice@x.org", "ack 1 for 1h").then((r) => order.push(r?.split("\n")[0] ?? "")),
    );
    await core.idle();
    await core.idle();
    assert.deepEqual(order, [
      "#1 storm c0 acknowledged for 1h by alice",
      `alice: DIGEST ${COUNT - 1} alerts, ${COUNT - 1} raised`,
    ]);
    core.stop();
    store.close();
  });
});
