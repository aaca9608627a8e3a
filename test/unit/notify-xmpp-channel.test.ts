import assert from "node:assert/strict";
import { createXmppChannel } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";

const message: NotificationMessage = {
  kind: "raised",
  shortId: 42,
  subject: "RAISED web1 disk-full",
  text: 'RAISED #42 web1 disk-full\nReply "ack 42" to acknowledge.',
};

describe("notify: XMPP channel", () => {
  it("sends the message text to the person's JID", async () => {
    const sent: Array<[string, string]> = [];
    const channel = createXmppChannel({ send: async (to, body) => void sent.push([to, body]) });
    assert.deepEqual(await channel.send({ name: "bob", jid: "bob@example.org" }, message), {
      ok: true,
      detail: "chat to bob@example.org",
    });
    assert.deepEqual(sent, [["bob@example.org", message.text]]);
  });

  it("calls a failed send recoverable (the bot may be reconnecting)", async () => {
    const channel = createXmppChannel({ send: () => Promise.reject(new Error("not connected")) });
    assert.deepEqual(await channel.send({ name: "bob", jid: "bob@example.org" }, message), {
      ok: false,
      recoverable: true,
      error: "chat to bob@example.org failed: not connected",
    });
  });
});
