// Issue 17, people first: `show`, `silence` and `silences` look at every raised alert, and with
// 100,000 open each held the bot's one thread for the whole walk, so an ack sent meanwhile waited
// for it. They now read the alerts a slice at a time with the event loop let in between; what they
// answer is what they answered when SQLite sorted every alert at once.
import assert from "node:assert/strict";
import type { AlertRecord } from "../../src/alerts/types.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { alertName } from "../../src/commands/format.js";
import { ingestUpdate } from "../../src/ingest/ingest-update.js";
import { Store } from "../../src/store/store.js";
import { chatOnly, fakeClockCore, RecordingChat } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { alert, update } from "../helpers/updates.js";

const T0 = 1_700_000_000_000;
const S = 1000;
const SOURCES = 10;
const PER_SOURCE = 500;
const config = testConfig(
  `people:
  - { name: alice, jid: alice@x.org }
  - { name: bob, jid: bob@x.org }
workgroups:
  - { name: ops, members: [alice] }
rules:
  - { level: normal, workgroup: ops }
`,
  "x.org",
);

/**
 * 5,000 raised alerts whose urgency runs against their numbers: importance scattered, and the
 * later sources raised earlier (longest standing), so the most urgent lie in every slice.
 */
function storm(store: Store): void {
  for (let s = 0; s < SOURCES; s++) {
    const alerts = Array.from({ length: PER_SOURCE }, (_, i) =>
      alert(`check${i}`, { summary: `check ${i} failed`, importance: ((s * PER_SOURCE + i) * 7919) % 97 }),
    );
    const at = T0 + (SOURCES - s) * S;
    assert.equal(ingestUpdate(store, update(`s${s}`, alerts), { via: "udp" }, at).status, "applied");
  }
}

describe("listing every raised alert in a storm (show, silence, silences)", () => {
  let store: Store;
  let clock: FakeClock;
  const core = () => {
    const chat = new RecordingChat();
    return fakeClockCore({ store, clock, policy: config, channels: chatOnly(chat) });
  };
  /** The raised alerts in the order people read them, as SQLite sorts them. */
  const urgent = (keep: (a: AlertRecord) => boolean = () => true): AlertRecord[] =>
    store.alerts.list("raised").filter(keep);

  beforeEach(() => {
    store = Store.open(":memory:");
    clock = new FakeClock(T0 + 60 * S);
    storm(store);
  });
  afterEach(() => store.close());

  it("show: the most urgent first, from every slice, and the count of all", async () => {
    const reply = (await core().handleChat("bob@x.org", "show 100")) ?? "";
    const lines = reply.split("\n");
    assert.deepEqual(
      lines.slice(0, 100).map((l) => Number(/^#(\d+) /.exec(l)?.[1])),
      urgent()
        .slice(0, 100)
        .map((a) => a.shortId),
    );
    assert.match(lines[100]!, /^…and 4900 more \(5000 in all\)/);
  });

  it("silence names the most urgent it mutes, and counts them all; silences counts them too", async () => {
    const bot = core();
    const reply = (await bot.handleChat("bob@x.org", "silence source=s3 for 1h because maintenance")) ?? "";
    const named = urgent((a) => a.source === "s3")
      .slice(0, 10)
      .map(alertName)
      .join(", ");
    assert.equal(
      reply.split("\n")[1],
      `It mutes 500 raised alerts now: ${named}, and 490 more ("show silenced" lists them).`,
    );
    assert.match((await bot.handleChat("bob@x.org", "silences")) ?? "", /\(mutes 500 raised\)$/);
    const silenced = ((await bot.handleChat("bob@x.org", "show silenced 5")) ?? "").split("\n");
    assert.deepEqual(
      silenced.slice(0, 5).map((l) => Number(/^#(\d+) /.exec(l)?.[1])),
      urgent((a) => a.source === "s3")
        .slice(0, 5)
        .map((a) => a.shortId),
    );
    assert.match(silenced[5]!, /^…and 495 more \(500 in all\)/);
  });

  for (const line of ["show", "silences", "silence source=s3 for 1h"])
    it(`${line}: a person's command that arrives meanwhile runs between its slices`, async () => {
      const bot = core();
      if (line === "silences") await bot.handleChat("bob@x.org", "silence source=s9 for 1h");
      const order: string[] = [];
      // The answer as it goes out, before what the command sets in motion (a silence's look again).
      const answered = bot.handleChat("bob@x.org", line, async () => {
        order.push(`${line} answered`);
      });
      setImmediate(() => order.push("a person's command"));
      await answered;
      assert.deepEqual(order, ["a person's command", `${line} answered`]);
    });
});
