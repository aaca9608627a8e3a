// AlertBot on a link that keeps coming back and dying again: a relay (or firewall, or NAT) that
// lets each connection through for a moment and then silently drops what the bot sends. Every
// reconnection succeeds at once, so no single outage lasts the host-down grace, yet chat reaches
// nobody. The link must be judged over time: people are emailed that it is unreliable, once, and
// the alert clears only once the link has stayed up.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LINK_DOWN_ALERT_ID } from "../../src/bot/link-down.js";
import { Store } from "../../src/store/store.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

/** Alice, told by email; the link alert after a 10 s grace (a link steady after 8 s up). */
function config(t: TestProsody, smtp: SmtpSink): string {
  return `people:
  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] }
host_down: { grace: 10s }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`;
}

/** Adds `xmpp.keepalive: 2s` to the config file at `path`: a dead link dropped within seconds. */
function withKeepalive(path: string): string {
  const text = readFileSync(path, "utf8");
  assert.match(text, /^ {2}pubsub: .*$/m);
  writeFileSync(path, text.replace(/^( {2}pubsub: .*)$/m, "$1\n  keepalive: 2s"));
  return path;
}

const unreliable = /link to its XMPP server is unreliable/;

describe("AlertBot on a link that keeps reconnecting and dying again", function () {
  this.timeout(300_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  let relay: TcpRelay | undefined;

  after(async () => {
    await relay?.close();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
    await bot?.stop();
    bot = undefined;
  });

  it("emails that its link is unreliable once the flapping lasts the grace, and clears once the link is steady", async () => {
    dir = tempDir("mauve-link-flap-");
    smtp = await SmtpSink.start();
    const t = server();
    relay = await TcpRelay.start(t.prosody.componentPort);
    const path = withKeepalive(writeBotConfig(t, dir, config(t, smtp), "alertbot.yaml", relay.port));
    bot = await startBotProcess(t, path);
    const running = bot;
    assert.equal(running.withMsg("AlertBot running")[0]?.["xmpp"], "connected");

    // Every new connection lives a second; the one open now dies at once.
    relay.flap(1_000);
    relay.dropFromClients();
    const raised = await running.waitForLog(
      "its own alert",
      (l) => l["msg"] === "cut off from the XMPP server past the grace: AlertBot's own alert raised",
      150_000,
    );
    assert.ok(Number(raised["drops"]) >= 2, `raised for a flapping link: ${JSON.stringify(raised)}`);
    assert.ok(running.withMsg("connected").length >= 1, "it did reconnect in between");
    const mail = await waitFor("the email", () => smtp!.mails.find((m) => unreliable.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);

    relay.steady(); // the connection dying now is dropped, the next one lives
    await running.waitForLog(
      "the alert cleared",
      (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
      150_000,
    );
    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      const alert = store.alerts.find(t.prosody.botJid, LINK_DOWN_ALERT_ID);
      assert.equal(alert?.status, "cleared");
      assert.deepEqual(
        store.alerts
          .history(alert.shortId)
          .map((h) => h.kind)
          .filter((k) => k === "raised" || k === "cleared"),
        ["raised", "cleared"],
        "raised once however many drops, cleared once",
      );
    } finally {
      store.close();
    }
    assert.equal(smtp.mails.filter((m) => unreliable.test(m.raw) && !/CLEARED/i.test(m.raw)).length, 1, "told once");
    assert.equal((await running.stop()).code, 0);
    bot = undefined;
  });
});
