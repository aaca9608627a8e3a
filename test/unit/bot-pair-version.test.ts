// A failover standby whose active runs another version of mauve-xmpp: the people on call are told
// by email (and SMS), never by chat, once when it begins, once when it ends or the standby takes
// over with its file as it was.
import assert from "node:assert/strict";
import { PAIR_VERSION_ALERT_ID, PairVersionNotice } from "../../src/bot/pair-version.js";
import { standbyTeller } from "../../src/bot/standby-notice.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { channelsOf, RecordingChannel } from "../helpers/fake-clock-core.js";
import { LogLines } from "../helpers/spine.js";
import { testConfig } from "../helpers/test-config.js";

const PEOPLE = `people:
  - { name: alice, jid: alice@mauve.localhost, email: alice@example.org, notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] } }
email:
  smtp: { host: 127.0.0.1, port: 25 }
  from: Mauve <alerts@example.org>
`;

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("a failover pair of two versions: the standby's notice", () => {
  function notice() {
    const clock = new FakeClock();
    const logs = new LogLines();
    const email = new RecordingChannel("email");
    const chat = new RecordingChannel("xmpp");
    const teller = standbyTeller({
      clock,
      log: logs.logger,
      config: testConfig(PEOPLE),
      channels: channelsOf(email, chat),
    });
    const told: Array<{ alertId: string; message: NotificationMessage }> = [];
    const versions = new PairVersionNotice({
      log: logs.logger,
      tell: (alertId, message) => {
        told.push({ alertId, message });
        return teller(alertId, message);
      },
      standbyJid: "standby.alertbot.mauve.localhost",
      activeJid: "alertbot.mauve.localhost",
    });
    return { versions, email, chat, told };
  }

  it("tells by email once when it begins, naming both versions, and once when it ends; never by chat", async () => {
    const { versions, email, chat, told } = notice();
    versions.observe({ activeSchema: 16, ownSchema: 15, seq: 7 });
    versions.observe({ activeSchema: 16, ownSchema: 15, seq: 7 });
    versions.observe({ activeSchema: null, ownSchema: 15, seq: 9 });
    await settle();
    assert.equal(email.sent.length, 1, "once per spell");
    assert.equal(told[0]?.alertId, PAIR_VERSION_ALERT_ID, "routed as AlertBot's own alert of that id");
    assert.equal(told[0]?.message.kind, "raised");
    assert.match(told[0].message.subject, /standby standby\.alertbot\.mauve\.localhost cannot follow the active/);
    assert.match(
      told[0].message.text,
      /runs schema 16; the standby standby\.alertbot\.mauve\.localhost runs schema 15/,
    );
    assert.match(told[0].message.text, /none of the active's writes from batch 7 on/);
    assert.match(told[0].message.text, /stop both, upgrade both, start both/);
    versions.observe(null);
    versions.observe(null);
    await settle();
    assert.equal(email.sent.length, 2);
    assert.equal(told[1]?.message.kind, "cleared");
    assert.match(told[1].message.subject, /follows the active again/);
    assert.deepEqual(chat.sent, [], "a standby holds no chat of AlertBot's");
  });

  it("an active too old to say its schema is named so; a takeover after it says the file was behind", async () => {
    const { versions, told } = notice();
    versions.tookOver();
    await settle();
    assert.equal(told.length, 0, "no mismatch told: nothing to say at takeover");
    versions.observe({ activeSchema: null, ownSchema: 15, seq: 1 });
    versions.tookOver();
    versions.observe(null);
    await settle();
    assert.equal(told.length, 2);
    assert.match(told[0]!.message.text, /runs an older version that does not say its schema/);
    assert.equal(told[1]?.message.kind, "cleared");
    assert.match(told[1].message.text, /took over with its database as it was/);
  });
});
