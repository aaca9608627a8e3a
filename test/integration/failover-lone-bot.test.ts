// Fencing is failover's alone (docs/failover.md): a lone AlertBot, with no `failover` section,
// keeps emailing while its XMPP server is down; email and SMS are there for exactly that.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { raiseReplicaStuck, REPLICA_ALERT_ID } from "../../src/bot/replica-stuck.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { Store } from "../../src/store/store.js";
import { postAlertOver } from "../helpers/failover-bots.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "lone-bot-token-0123456789";

/**
 * A lone AlertBot (no `failover`) telling alice on `channels`, by email through the SMTP server at
 * `smtpPort`, with an HTTP listener taking updates with TOKEN; `componentPort` as in startBot.
 */
function startLoneBot(
  t: TestProsody,
  dir: string,
  logs: LogLines,
  smtpPort: number,
  channels: string,
  componentPort?: number,
): Promise<RunningBot> {
  return startBot(t, dir, [], logs.logger, {
    ...(componentPort !== undefined ? { componentPort } : {}),
    peopleYaml: `  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: ${channels}, normal: ${channels}, low: ${channels} }
    fallback_after: 1h`,
    extraYaml: `email:
  smtp: { host: 127.0.0.1, port: ${smtpPort}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: backups, token: ${TOKEN}, sources: ["*"] }
`,
  });
}

/** Raises backup1's alert `id` through the bot's HTTP listener. */
function postAlert(bot: RunningBot, id: string, summary: string): Promise<void> {
  return postAlertOver(bot.http!.address.port, TOKEN, "backup1", id, summary);
}

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

  before(async () => {
    smtp = await SmtpSink.start();
  });

  // Before the outage below: this test needs the server.
  it("clears at start AlertBot's own alert about a replica log from when it had a standby: it has none to be refused", async () => {
    const own = tempDir("mauve-lone-bot-replica-");
    const t = server();
    const before = Store.open(join(own, "alertbot.sqlite"));
    const at = Date.now() - 60_000;
    before.transaction(() =>
      raiseReplicaStuck(before, t.prosody.botJid, { since: at, condition: "internal-server-error" }, 50, at),
    );
    before.close();
    // Its own log lines: the next test waits for a "disconnected" of its bot.
    const restarted = await startLoneBot(t, own, new LogLines(), smtp!.port, "[email]");
    try {
      assert.equal(restarted.store.alerts.find(t.prosody.botJid, REPLICA_ALERT_ID)?.status, "cleared");
      await waitFor(
        "the clear told",
        () => smtp!.mails.find((m) => /CLEARED/.test(m.raw) && /replica log/.test(m.raw)),
        60_000,
      );
    } finally {
      await restarted.stop();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it("an alert raised over HTTP during the outage is emailed at once", async () => {
    dir = tempDir("mauve-lone-bot-");
    const t = server();
    bot = await startLoneBot(t, dir, logs, smtp!.port, "[email]");
    assert.equal(bot.store.replica, null, "no replica journal without failover");
    await t.prosody.stop();
    await waitFor("the bot to see the outage", () => logs.withMsg("disconnected").length > 0, 30_000);
    await postAlert(bot, "nightly", "backup failed");
    const mail = await waitFor("the email", () => smtp!.mails.find((m) => /backup failed/.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);
    assert.equal(bot.session.isOnline, false, "sent while XMPP was still down");
  });
});

describe("a lone AlertBot cut off from its server: a person still online in chat is emailed, chat not tried", function () {
  this.timeout(120_000);
  const server = withProsody();
  const logs = new LogLines();
  let dir: string;
  let bot: RunningBot | undefined;
  let smtp: SmtpSink | undefined;
  let alice: PersonClient | undefined;
  let relay: TcpRelay | undefined;

  after(async () => {
    await alice?.stop();
    await relay?.close();
    await bot?.stop();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("goes to the next channel at once while the stream is down, and to chat again once it is back", async () => {
    dir = tempDir("mauve-lone-bot-chat-");
    smtp = await SmtpSink.start();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    // The bot reaches Prosody through a relay: cut, the bot's link is down, while Prosody and alice stay up.
    relay = await TcpRelay.start(t.prosody.componentPort);
    bot = await startLoneBot(t, dir, logs, smtp.port, "[xmpp, email]", relay.port);
    const running = bot;
    const post = (id: string, summary: string): Promise<void> => postAlert(running, id, summary);
    // Alice is in chat: her notice goes there.
    await post("before", "backup late");
    await alice.expect(/^RAISED #\d+ .*backup late/);

    relay.cut();
    await waitFor("the bot to see the outage", () => logs.withMsg("disconnected").length > 0, 30_000);
    await post("during", "backup failed");
    const mail = await waitFor("the email", () => smtp!.mails.find((m) => /backup failed/.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);
    const during = bot.store.alerts.find("backup1", "during")!;
    const sends = bot.store.alerts
      .history(during.shortId)
      .filter((h) => h.kind === "notified" || h.kind === "notify-failed");
    assert.deepEqual(
      sends.map((h) => [h.kind, /by (\w+)/.exec(h.detail)?.[1]]),
      [["notified", "email"]],
      "no chat tried while the stream was down",
    );

    const heard = logs.withMsg("a person's reachability by chat changed").length;
    relay.restore();
    await waitFor(
      "alice heard again by the bot",
      () =>
        logs
          .withMsg("a person's reachability by chat changed")
          .slice(heard)
          .some((l) => l["to"] === "online"),
      60_000,
    );
    await post("after", "backup slow");
    await alice.expect(/^RAISED #\d+ .*backup slow/, 30_000);
    assert.equal(smtp.mails.filter((m) => /backup slow|backup late/.test(m.raw)).length, 0, "chat again, not email");
  });
});
