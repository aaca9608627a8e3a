import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChannel, advanceCore, channelsOf, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@x.org, email: alice@x.org, notify: { normal: [xmpp, email] }, fallback_after: 5m }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
`,
  "x.org",
);
const origin = pubsubOrigin("web1", "x.org");

describe("durable fallbacks (fake clock, real SQLite)", () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let chat: RecordingChannel;
  let email: RecordingChannel;
  const boot = () => {
    store = Store.open(join(dir, "bot.sqlite"));
    core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: channelsOf(chat, email),
    });
  };
  const advance = (ms: number): Promise<void> => advanceCore(clock, core, ms);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mauve-fallback-"));
    clock = new FakeClock();
    chat = new RecordingChannel("xmpp");
    email = new RecordingChannel("email");
    boot();
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("emails after 5m without an answer, once, even across a restart", async () => {
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    assert.deepEqual(chat.sent, ["alice: RAISED #1 web1 disk"]);
    await advance(4 * 60_000);
    core.stop();
    store.close();
    boot(); // the fallback is waiting in SQLite, not in a timer that died with the process
    await core.start();
    assert.deepEqual(email.sent, []);
    await advance(60_000);
    assert.deepEqual(email.sent, ["alice: RAISED #1 web1 disk"]);
    await advance(60 * 60_000);
    assert.equal(email.sent.length, 1, "sent once");
  });

  it("drops the fallback when the alert is acknowledged first", async () => {
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    await core.handleChat("alice@x.org/phone", "ack 1");
    await advance(10 * 60_000);
    assert.deepEqual(email.sent, []);
  });
});
