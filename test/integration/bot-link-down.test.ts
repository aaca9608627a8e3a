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
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { PersonClient, tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "link-test-token-0123456789";

/** Alice, told by chat and email alike; the link alert after a 3 s grace; email through `smtp`. */
function emailedAlice(t: TestProsody, smtp: SmtpSink): string {
  return `people:
  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] }
host_down: { grace: 3s }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`;
}

describe("AlertBot cut off from its XMPP server", function () {
  this.timeout(120_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  let relay: TcpRelay | undefined;
  let alice: PersonClient | undefined;
  const dirs: string[] = [];
  const relays: TcpRelay[] = [];

  after(async () => {
    await alice?.stop();
    await relay?.close();
    for (const r of relays) await r.close();
    await smtp?.close();
    for (const d of [dir, ...dirs]) if (d) rmSync(d, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
    await bot?.stop();
    bot = undefined;
  });

  it("raises its own alert past the grace, which the person on call gets by email, and clears it once back", async () => {
    dir = tempDir("mauve-link-down-");
    smtp = await SmtpSink.start();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    relay = await TcpRelay.start(t.prosody.componentPort);
    const config = writeBotConfig(t, dir, emailedAlice(t, smtp), "alertbot.yaml", relay.port);
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

  it("started while its server does not answer: keeps trying, emails what HTTP brings, raises its own alert; joins once the server answers", async () => {
    const startDir = tempDir("mauve-link-start-");
    dirs.push(startDir);
    smtp ??= await SmtpSink.start();
    const t = server();
    const down = await TcpRelay.start(t.prosody.componentPort);
    relays.push(down);
    down.cut(); // the server "is down" when the bot starts: every connection refused
    const config = writeBotConfig(
      t,
      startDir,
      `${emailedAlice(t, smtp)}http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: backups, token: ${TOKEN}, sources: ["*"] }
`,
      "alertbot.yaml",
      down.port,
    );
    const started = await startBotProcess(t, config);
    bot = started;
    const cannot = started.withMsg("cannot reach the XMPP server; will keep trying (email and SMS still go)");
    assert.equal(cannot.length, 1, started.stderr.slice(-3000));
    assert.equal(started.withMsg("AlertBot running")[0]?.["xmpp"], "not connected yet");
    await started.waitForLog("a retry", (l) => l["msg"] === "will try the XMPP server again", 30_000);

    // Updates still come in by HTTP, and reach the person on call by email.
    const port = Number(started.withMsg("listening for HTTP")[0]?.["port"]);
    const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ source: "backup1", alerts: [{ id: "nightly", summary: "backup failed" }] }),
    });
    assert.equal(res.status, 200, await res.text());
    const backupMail = await waitFor(
      "the backup email",
      () => smtp!.mails.find((m) => /backup failed/.test(m.raw)),
      60_000,
    );
    assert.deepEqual(backupMail.to, ["alice@example.org"]);

    // Past the grace, the bot's own alert says why nobody hears from it by chat.
    await started.waitForLog(
      "its own alert",
      (l) => l["msg"] === "cut off from the XMPP server past the grace: AlertBot's own alert raised",
      60_000,
    );
    await waitFor("the email", () => smtp!.mails.find((m) => /cut off from its XMPP server/.test(m.raw)), 60_000);
    assert.equal(started.hasExited, false, "AlertBot keeps running, and trying");

    // The server answers: the bot logs in, clears its alert, and serves chat.
    down.restore();
    await started.waitForLog(
      "the alert cleared",
      (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
      120_000,
    );
    alice ??= await PersonClient.login(t, "alice");
    await alice.say(t.prosody.botJid, "show");
    // The answer to "show" (a notice would read "RAISED #N ..."): the alert that came in by HTTP.
    await alice.expect(/^(?!RAISED)[\s\S]*#\d+ \[\w+, importance \d+\] backup1 \S+: backup failed/, 30_000);
    assert.equal((await started.stop()).code, 0);
    bot = undefined;
  });
});
