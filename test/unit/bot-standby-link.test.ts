// A failover AlertBot that is not the active, cut off from its server: told by email and SMS once
// per outage past the host-down grace, and once when back; never by chat. Time is a fake clock.
import assert from "node:assert/strict";
import { standbyLinkWatch } from "../../src/bot/standby-link.js";
import { configAtTakeover } from "../../src/bot/takeover-config.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ConfigError } from "../../src/errors.js";
import { channelsOf, RecordingChannel } from "../helpers/fake-clock-core.js";
import { LogLines } from "../helpers/spine.js";
import { testConfig } from "../helpers/test-config.js";

const PEOPLE = `people:
  - { name: alice, jid: alice@mauve.localhost, email: alice@example.org, notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] } }
  - { name: carol, jid: carol@mauve.localhost, notify: { urgent: [xmpp], normal: [xmpp], low: [xmpp] } }
host_down: { grace: 2m }
email:
  smtp: { host: 127.0.0.1, port: 25 }
  from: Mauve <alerts@example.org>
`;

/** Lets the notices' promises settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("standby link notice (fake clock)", () => {
  function watch() {
    const clock = new FakeClock();
    const logs = new LogLines();
    const email = new RecordingChannel("email");
    const chat = new RecordingChannel("xmpp");
    const link = standbyLinkWatch({
      clock,
      log: logs.logger,
      config: testConfig(PEOPLE),
      jid: "standby.alertbot.mauve.localhost",
      channels: channelsOf(email, chat),
    });
    return { clock, logs, email, chat, link };
  }

  it("not connected for the grace: email once, however long it lasts; back: email once more", async () => {
    const { clock, logs, email, chat, link } = watch();
    link.offline("not connected yet");
    clock.advance(119_000);
    await settle();
    assert.deepEqual(email.sent, [], "within the grace: nothing");
    clock.advance(1_000);
    await settle();
    assert.equal(email.sent.length, 1);
    assert.match(email.sent[0]!, /^alice: AlertBot standby\.alertbot\.mauve\.localhost \(a standby/);
    link.offline("connection refused"); // another failed try of the same outage
    clock.advance(60 * 60_000);
    await settle();
    assert.equal(email.sent.length, 1, "once per outage");
    link.online();
    await settle();
    assert.equal(email.sent.length, 2);
    assert.match(email.sent[1]!, /connected to its XMPP server again, after about 62 min/);
    assert.deepEqual(chat.sent, [], "chat needs the server that is away");
    // carol has chat alone: nobody can reach her now, and the log says so.
    assert.ok(logs.withMsg("cannot tell this person: none of their channels can be used now").length > 0);
  });

  it("back within the grace: nobody is told", async () => {
    const { clock, email, link } = watch();
    link.offline("not connected yet");
    clock.advance(60_000);
    link.online();
    clock.advance(10 * 60_000);
    await settle();
    assert.deepEqual(email.sent, []);
  });

  it("a second outage is told again", async () => {
    const { clock, email, link } = watch();
    for (const _ of [1, 2]) {
      link.offline("stream closed");
      clock.advance(120_000);
      await settle();
      link.online();
      await settle();
    }
    assert.equal(email.sent.length, 4);
  });
});

describe("the configuration a standby takes over with", () => {
  const start = testConfig(`${PEOPLE}log: { level: info }\n`);

  it("is the file as it is then, but for the keys the standby runs with (logged)", () => {
    const logs = new LogLines();
    const next = testConfig(
      `people:\n  - { name: bob, jid: bob@mauve.localhost }\nlog: { level: debug }\n`,
      "other.localhost",
    );
    const got = configAtTakeover(start, () => next, logs.logger);
    assert.deepEqual(
      got.people.map((p) => p.name),
      ["bob"],
    );
    assert.equal(got.xmpp, start.xmpp);
    assert.equal(got.log, start.log);
    assert.deepEqual(
      logs.withMsg("configuration read to take over, but these keys take a restart and keep their running values")[0]?.[
        "keys"
      ],
      ["xmpp.component", "xmpp.pubsub", "log.level"],
    );
  });

  it("a file that no longer loads: the start-up configuration, and an error naming the problem", () => {
    const logs = new LogLines();
    const got = configAtTakeover(
      start,
      () => {
        throw new ConfigError("/etc/mauve/alertbot.yaml", "people[0].jid", "expected a bare JID");
      },
      logs.logger,
    );
    assert.equal(got, start);
    const line = logs.withMsg(
      "cannot read the configuration file to take over: taking over with the configuration read at start; fix the file and reload",
    )[0];
    assert.equal(line?.["level"], "error");
    assert.deepEqual(line?.["problems"], ["people[0].jid: expected a bare JID"]);
  });
});
