// Fallbacks when nothing else happens: only the clock moves (no update, no command, no explicit
// tick), and a failed channel hands over to the next one at once rather than after fallback_after.
import assert from "node:assert/strict";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { failed } from "../../src/notify/channel.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChannel, channelsOf, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@x.org, email: alice@x.org, sms: "+447700900123", notify: { normal: [xmpp, email, sms] }, fallback_after: 5m }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
sms: { url: "http://127.0.0.1:9/send?to={to}&text={text}", method: GET }
`,
  "x.org",
);
const origin = pubsubOrigin("web1", "x.org");

describe("fault: fallbacks driven by the clock alone", () => {
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let chat: RecordingChannel;
  let email: RecordingChannel;
  let sms: RecordingChannel;

  beforeEach(async () => {
    clock = new FakeClock();
    store = Store.open(":memory:");
    chat = new RecordingChannel("xmpp");
    email = new RecordingChannel("email");
    sms = new RecordingChannel("sms");
    core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: channelsOf(chat, email, sms),
    });
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  /** Lets time pass the way production does: timers fire, nobody calls tick(). */
  const pass = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await core.idle();
    await new Promise((r) => setImmediate(r));
    await core.idle();
  };

  it("emails after fallback_after with no other event to wake the bot", async () => {
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    assert.deepEqual(chat.sent, ["alice: RAISED #1 web1 disk"]);
    await pass(4 * 60_000);
    assert.deepEqual(email.sent, []);
    await pass(60_000);
    assert.deepEqual(email.sent, ["alice: RAISED #1 web1 disk"], "the waiting fallback fired on its own");
    await pass(5 * 60_000);
    assert.deepEqual(sms.sent, ["alice: RAISED #1 web1 disk"], "and the next one after it");
  });

  it("goes to the next channel at once when a send fails for good, keeping the spacing of the ones after", async () => {
    chat.answers.push(failed(false, "recipient unavailable"));
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    await pass(1_000);
    assert.deepEqual(email.sent, ["alice: RAISED #1 web1 disk"], "email without waiting 5m");
    const history = store.alerts.history(1).map((h) => `${h.kind}: ${h.detail}`);
    assert.ok(
      history.some((h) => /^notify-failed: raised to alice by xmpp, attempt 1: recipient unavailable$/.test(h)),
      history.join("\n"),
    );
    assert.ok(
      history.some((h) => /^notified: raised to alice by email$/.test(h)),
      history.join("\n"),
    );
    await pass(4 * 60_000);
    assert.deepEqual(sms.sent, [], "sms keeps its place: fallback_after after email");
    await pass(60_000);
    assert.deepEqual(sms.sent, ["alice: RAISED #1 web1 disk"]);
  });

  it("sends nothing more once the alert is acknowledged, even with fallbacks waiting", async () => {
    await core.applyUpdate(update("web1", [alert("disk")]), origin);
    await core.idle();
    await core.handleChat("alice@x.org/phone", "ack 1");
    await pass(30 * 60_000);
    assert.deepEqual([...email.sent, ...sms.sent], []);
  });
});
