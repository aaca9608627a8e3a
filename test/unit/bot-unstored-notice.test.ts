// Telling people without the store (the database cannot be written or opened): everyone on the
// list is told on the channels that can be used, and a notice that reaches nobody says so in the
// log as an error instead of passing for one sent. Fake clock, recording channels.
import assert from "node:assert/strict";
import { tellUnstored } from "../../src/bot/unstored-notice.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { delivered, type Channel, type ChannelKind, type Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { LogLines } from "../helpers/spine.js";

const MESSAGE: NotificationMessage = { kind: "raised", subject: "AlertBot cannot write its database", text: "..." };
const PEOPLE: Recipient[] = [
  { name: "alice", jid: "alice@x.org", email: "alice@x.org", sms: "+441234567890" },
  { name: "bob", jid: "bob@x.org" },
];

function recording(kind: ChannelKind, sent: string[]): Channel {
  return {
    name: kind,
    send: async (recipient) => {
      sent.push(`${kind}:${recipient.name}`);
      return delivered();
    },
  };
}

describe("tellUnstored", () => {
  let logs: LogLines;
  let sent: string[];
  let channels: Map<ChannelKind, Channel>;

  beforeEach(() => {
    logs = new LogLines();
    sent = [];
    channels = new Map((["xmpp", "email", "sms"] as const).map((k) => [k, recording(k, sent)]));
  });

  const deps = () => ({ clock: new FakeClock(), log: logs.logger, channels });
  const errors = () => logs.lines.filter((l) => l["level"] === "error").map((l) => l["msg"]);

  it("tells each person on every channel named, and logs no error", async () => {
    await tellUnstored(deps(), PEOPLE, [{ person: "alice", channels: ["email", "sms", "email_digest"] }], MESSAGE);
    assert.deepEqual(sent.sort(), ["email:alice", "sms:alice"]);
    assert.deepEqual(errors(), []);
  });

  it("says so, as an error, when nobody is on call", async () => {
    await tellUnstored(deps(), PEOPLE, [], MESSAGE);
    assert.deepEqual(sent, []);
    assert.deepEqual(errors(), ["nobody is on call for AlertBot's own alerts: nobody was told"]);
    assert.equal(
      logs.withMsg("nobody is on call for AlertBot's own alerts: nobody was told")[0]!["subject"],
      MESSAGE.subject,
    );
  });

  it("names, as an error, someone none of whose channels can be used, and still tells the others", async () => {
    // At start the XMPP session does not exist yet: chat cannot be used.
    await tellUnstored(
      deps(),
      PEOPLE,
      [
        { person: "bob", channels: ["xmpp"] },
        { person: "alice", channels: ["xmpp", "sms"] },
      ],
      MESSAGE,
      (kind) => kind !== "xmpp",
    );
    assert.deepEqual(sent, ["sms:alice"]);
    const [line, ...more] = logs.withMsg("cannot tell this person: none of their channels can be used now");
    assert.equal(more.length, 0);
    assert.equal(line!["person"], "bob");
    assert.deepEqual(line!["channels"], ["xmpp"]);
  });
});
