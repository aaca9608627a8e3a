// A mis-set server is reported at AlertBot's start, with the rule to add: here Prosody without
// expose_publisher, where items do not say who published them and the owner check cannot be made.
import assert from "node:assert/strict";
import { connectComponent } from "../../src/xmpp/connect.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { startAuditFeed } from "../helpers/audit-feed.js";
import { withProsody } from "../helpers/prosody.js";
import type { TestProsody } from "../helpers/prosody.js";

const NO_PUBLISHER =
  "the pubsub service does not say who published an item: updates cannot be checked against their source's owner";

async function component(t: TestProsody): Promise<XmppSession> {
  const { prosody, botSecret } = t;
  return connectComponent({
    service: `xmpp://127.0.0.1:${prosody.componentPort}`,
    domain: prosody.botJid,
    password: botSecret,
  });
}

describe("server rules checked at AlertBot's start", function () {
  this.timeout(60_000);

  describe("a server that does not expose publishers (expose_publisher off)", function () {
    const server = withProsody({ exposePublisher: false });
    it("is reported at start, naming the rule to add", async () => {
      const bot = await component(server());
      try {
        const log = await startAuditFeed(bot, server().prosody.pubsubJid, []);
        const [report] = log.withMsg(NO_PUBLISHER);
        assert.ok(report, `no report; logged: ${log.text()}`);
        assert.match(String(report["fix"]), /expose_publisher = true/);
        assert.match(String(report["fix"]), /itemreply/);
      } finally {
        await bot.stop();
      }
    });
  });

  describe("a server set as prosody/config.ts sets it", function () {
    const server = withProsody();
    it("starts without a complaint", async () => {
      const bot = await component(server());
      try {
        const log = await startAuditFeed(bot, server().prosody.pubsubJid, []);
        assert.deepEqual(
          log.lines.filter((l) => l["level"] === "error"),
          [],
        );
      } finally {
        await bot.stop();
      }
    });
  });
});
