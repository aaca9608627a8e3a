// Fencing is failover's alone (docs/failover.md): a lone AlertBot, with no `failover` section,
// keeps emailing while its XMPP server is down; email and SMS are there for exactly that.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { LogLines, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "lone-bot-token-0123456789";

describe("failover off: a lone AlertBot emails while XMPP is down", function () {
  this.timeout(120_000);
  const server = withProsody();
  const logs = new LogLines();
  let dir: string;
  let bot: RunningBot | undefined;
  let smtp: SmtpSink | undefined;

  after(async () => {
    await bot?.stop();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("an alert raised over HTTP during the outage is emailed at once", async () => {
    dir = tempDir("mauve-lone-bot-");
    smtp = await SmtpSink.start();
    const t = server();
    bot = await startBot(t, dir, [], logs.logger, {
      peopleYaml: `  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [email], normal: [email], low: [email] }`,
      extraYaml: `email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: backups, token: ${TOKEN}, sources: ["*"] }
`,
    });
    assert.equal(bot.store.replica, null, "no replica journal without failover");
    await t.prosody.stop();
    await waitFor("the bot to see the outage", () => logs.withMsg("disconnected").length > 0, 30_000);
    const res = await fetch(`http://127.0.0.1:${bot.http!.address.port}/api/update`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ source: "backup1", alerts: [{ id: "nightly", summary: "backup failed" }] }),
    });
    assert.equal(res.status, 200);
    const mail = await waitFor("the email", () => smtp!.mails.find((m) => /backup failed/.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);
    assert.equal(bot.session.isOnline, false, "sent while XMPP was still down");
  });
});
