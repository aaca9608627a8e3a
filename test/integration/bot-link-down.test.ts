// AlertBot cut off from its XMPP server while the server and everyone on it stay up (a relay between
// them, cut): the installed AlertBot, a child process, raises an alert of its own past the
// host-down grace, which reaches the person on call by email; back on the server, it clears.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { LINK_DOWN_ALERT_ID } from "../../src/bot/link-down.js";
import { Store } from "../../src/store/store.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { PersonClient, tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

describe("AlertBot cut off from its XMPP server", function () {
  this.timeout(120_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  let relay: TcpRelay | undefined;
  let alice: PersonClient | undefined;

  after(async () => {
    await alice?.stop();
    await bot?.stop();
    await relay?.close();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
  });

  it("raises its own alert past the grace, which the person on call gets by email, and clears it once back", async () => {
    dir = tempDir("mauve-link-down-");
    smtp = await SmtpSink.start();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    relay = await TcpRelay.start(t.prosody.componentPort);
    const config = writeBotConfig(
      t,
      dir,
      `people:
  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] }
host_down: { grace: 3s }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`,
      "alertbot.yaml",
      relay.port,
    );
    bot = await startBotProcess(t, config);
    const running = bot;

    relay.cut();
    await running.waitForLog("the bot to be cut off", (l) => l["msg"] === "disconnected");
    const raised = await running.waitForLog(
      "its own alert",
      (l) => l["msg"] === "cut off from the XMPP server past the grace: AlertBot's own alert raised",
      60_000,
    );
    assert.ok(Number(raised["sinceMs"]) >= 3_000, "not before the grace");
    const mail = await waitFor(
      "the email",
      () => smtp!.mails.find((m) => /cut off from its XMPP server/.test(m.raw)),
      60_000,
    );
    assert.deepEqual(mail.to, ["alice@example.org"]);
    assert.equal(running.hasExited, false, "AlertBot keeps running, and trying");

    relay.restore();
    await running.waitForLog(
      "the alert cleared",
      (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
      60_000,
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
      );
    } finally {
      store.close();
    }
    assert.equal((await running.stop()).code, 0);
    bot = undefined;
  });
});
