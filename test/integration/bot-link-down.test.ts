// AlertBot cut off from its XMPP server while the server and everyone on it stay up (a relay between
// them, cut): the installed AlertBot, a child process, raises an alert of its own past the
// host-down grace, which reaches the person on call by email; back on the server, it clears. Cleared
// by hand on the web board meanwhile (chat is what is cut off), it is raised again.
import assert from "node:assert/strict";
import { pickFreePorts } from "../../prosody/ports.js";
import { CUT_OFF_MAIL, emailedAlice, linkAlertCleared, linkAlertRaised, storedLinkAlert } from "../helpers/bot-link.js";
import { startBrowser, type TestBrowser } from "../helpers/browser.js";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "link-test-token-0123456789";

describe("AlertBot cut off from its XMPP server", function () {
  this.timeout(120_000);
  const server = withProsody();
  const fx = withProcesses(server);
  let browser: TestBrowser | undefined;
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  it("raises its own alert past the grace, which the person on call gets by email, and clears it once back", async () => {
    await fx.alice();
    const { t, dir, smtp, relay, bot } = await fx.botOnRelay({
      prefix: "mauve-link-down-",
      config: (t, smtp) => emailedAlice(t, smtp, "3s"),
    });

    relay.cut();
    await bot.waitForLog("the bot to be cut off", (l) => l["msg"] === "disconnected");
    const raised = await linkAlertRaised(bot, 60_000);
    assert.ok(Number(raised["sinceMs"]) >= 3_000, "not before the grace");
    const mail = await waitFor("the email", () => smtp.mails.find((m) => CUT_OFF_MAIL.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);
    assert.equal(bot.hasExited, false, "AlertBot keeps running, and trying");

    relay.restore();
    await linkAlertCleared(bot, 60_000);
    const alert = storedLinkAlert(t, dir);
    assert.equal(alert.status, "cleared");
    assert.deepEqual(alert.raisedAndCleared, ["raised", "cleared"]);
    assert.equal((await bot.stop()).code, 0);
  });

  it("started while its server does not answer: keeps trying, emails what HTTP brings, raises its own alert; joins once the server answers", async () => {
    const {
      t,
      smtp,
      relay: down,
      bot: started,
    } = await fx.botOnRelay({
      prefix: "mauve-link-start-",
      beforeStart: (relay) => relay.cut(), // the server "is down" when the bot starts: every connection refused
      config: (t, smtp) => `${emailedAlice(t, smtp, "3s")}http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: backups, token: ${TOKEN}, sources: ["*"] }
`,
    });
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
      () => smtp.mails.find((m) => /backup failed/.test(m.raw)),
      60_000,
    );
    assert.deepEqual(backupMail.to, ["alice@example.org"]);

    // Past the grace, the bot's own alert says why nobody hears from it by chat.
    await linkAlertRaised(started, 60_000);
    await waitFor("the email", () => smtp.mails.find((m) => CUT_OFF_MAIL.test(m.raw)), 60_000);
    assert.equal(started.hasExited, false, "AlertBot keeps running, and trying");

    // The server answers: the bot logs in, clears its alert, and serves chat.
    down.restore();
    await linkAlertCleared(started, 120_000);
    const alice = await fx.alice();
    await alice.say(t.prosody.botJid, "show");
    // The answer to "show" (a notice would read "RAISED #N ..."): the alert that came in by HTTP.
    await alice.expect(/^(?!RAISED)[\s\S]*#\d+ \[\w+, importance \d+\] backup1 \S+: backup failed/, 30_000);
    assert.equal((await started.stop()).code, 0);
  });

  it("its alert cleared on the web board while it is still cut off is raised again, and stays clear once back", async () => {
    const alice = await fx.alice();
    const [port] = (await pickFreePorts(1)) as [number];
    const base = `http://127.0.0.1:${port}`;
    const { t, dir, smtp, relay, bot } = await fx.botOnRelay({
      prefix: "mauve-link-board-",
      config: (t, smtp) => `${emailedAlice(t, smtp, "3s")}http:
  listen: "127.0.0.1:${port}"
  board: {}
`,
    });
    // Signed in while chat still works: once cut off, the board and email are all alice has.
    await alice.say(t.prosody.botJid, "web");
    const link = /(http:\/\/\S+\/sign-in\?t=\S+)/.exec(await alice.expect(/sign-in link/, 60_000))![1]!;
    browser = await startBrowser();
    const page = await browser.context.newPage();
    await page.goto(link);
    await page.click("#sign-in");
    await page.waitForURL(`${base}/`);

    // The suite's SMTP sink holds the earlier tests' mails too.
    const earlier = smtp.mails.length;
    const raisedMails = () =>
      smtp.mails.slice(earlier).filter((m) => CUT_OFF_MAIL.test(m.raw) && !/CLEARED/i.test(m.raw));
    relay.cut();
    await linkAlertRaised(bot, 60_000);
    const mail = await waitFor("the email", () => raisedMails()[0], 60_000);
    const id = /#(\d+)/.exec(mail.raw)![1]!;
    await page.goto(`${base}/alert?id=${id}`);
    await page.click('button[data-op="clear"]');
    await page.waitForSelector(".flash");
    assert.match((await page.locator(".flash").textContent()) ?? "", /cleared by hand by alice/);

    // Still cut off: nobody is reached by chat, and a clear by hand must not make that look fine.
    await waitFor("raised again, by email", () => raisedMails().length > 1 || undefined, 60_000);
    assert.equal(
      bot.withMsg("still cut off from the XMPP server, and AlertBot's own alert about it was not raised: raised again")
        .length,
      1,
    );
    relay.restore();
    await linkAlertCleared(bot, 60_000);
    assert.deepEqual(storedLinkAlert(t, dir).raisedAndCleared, ["raised", "cleared", "raised", "cleared"]);
    // Everything AlertBot says to alice before stopping has reached her: no reply of its is cut off.
    await alice.barrier(t.prosody.botJid);
    assert.equal(raisedMails().length, 2, "not raised again once the link is back");
    const mark = bot.logs.length;
    assert.equal((await bot.stop()).code, 0);
    assert.deepEqual(bot.loudSince(mark), [], "a stop is no outage: no warning");
    assert.equal(bot.withMsg("disconnected: stopping").length, 1);
  });
});
