// The policy delivering for real: email to a real SMTP server, SMS to a real HTTP gateway, chat
// falling back to email when a person's client goes offline, and a bot restarted mid-escalation.
// Policy time runs on a fake clock (escalation steps are minutes apart); everything else is real.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { withProsody } from "../helpers/prosody.js";
import { HttpSink } from "../helpers/http-sink.js";
import { SmtpSink, parseMail } from "../helpers/smtp-sink.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir, type TestBotOptions } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("policy delivery: chat, email, SMS, fallback, restart mid-escalation", function () {
  this.timeout(60_000);
  let dir: string;
  let smtp: SmtpSink;
  let gateway: HttpSink;
  let clock: FakeClock;
  let botLog: LogLines;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient | undefined;
  let bob: PersonClient;

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    await bob?.stop();
    await smtp?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();

  const options = (): TestBotOptions => {
    const d = server().prosody.domain;
    return {
      clock,
      retry: { attempts: 2, initialDelayMs: 1_000 },
      peopleYaml: `
  - name: alice
    jid: alice@${d}
    email: alice@example.org
    timezone: America/New_York
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp] }
    fallback_after: 5m
  - name: bob
    jid: bob@${d}
    sms: "+447700900124"
    notify: { urgent: [sms], normal: [xmpp], low: [xmpp] }`,
      extraYaml: `
workgroups:
  - name: ops
    members: [alice, bob]
    escalation:
      normal: { steps: [{ after: 0m, notify: oncall }, { after: 15m, notify: next }], reminder: false }
      urgent: { steps: [{ after: 0m, notify: bob }], reminder: false }
rules:
  - { match: { importance: "80.." }, level: urgent, workgroup: ops }
  - { level: normal, workgroup: ops }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }
  from: Mauve <alerts@example.org>
sms:
  url: ${gateway.origin}/send
  method: POST
  auth: { bearer: sms-token-123 }
  body_template: '{"to": "{to}", "from": "{from}", "text": "{text}"}'
  encoding: json
  from: Mauve
`,
    };
  };

  /**
   * Moves policy time on and lets the bot act on it. Sends under way finish first: a notice's
   * outcome is stamped on the policy clock when it lands, and one landing after the move (a loaded
   * machine) would start its fallback's wait late.
   */
  const advance = async (ms: number): Promise<void> => {
    await bot!.core.idle();
    clock.advance(ms);
    await bot!.core.tick();
    await bot!.core.idle();
  };

  /** alice's fallback email about disk-full, moving time past the fallback if it has not been sent yet (each `it` may run alone). */
  const diskFullMail = async (): Promise<(typeof smtp.mails)[number]> => {
    const about = () => smtp.mails.find((m) => /disk-full/.test(parseMail(m.raw).headers.get("subject") ?? ""));
    if (!about()) {
      await alice?.expect(/^RAISED #\d+ web1 disk-full/);
      await advance(5 * 60_000);
    }
    return waitFor("alice's fallback email", about);
  };
  /** Takes alice's client offline and waits until the bot has seen it. */
  const aliceOffline = async (): Promise<void> => {
    await alice?.stop();
    alice = undefined;
    await waitFor(
      "the bot to see alice offline",
      () => bot!.reachability(`alice@${server().prosody.domain}`) === "offline",
    );
  };

  before(async () => {
    dir = tempDir("mauve-policy-");
    smtp = await SmtpSink.start();
    gateway = await HttpSink.start();
    clock = new FakeClock(Date.now());
    botLog = new LogLines();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bob = await PersonClient.login(t, "bob");
    bot = await startBot(t, dir, [], botLog.logger, options());
    await waitFor("the bot to hear alice is online", () => bot!.reachability(`alice@${t.prosody.domain}`) === "online");
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
  });

  it("tells the on-call person by chat while online, falls back to email after 5m unanswered, escalates after 15m", async () => {
    await alice!.expect(/^RAISED #\d+ web1 disk-full: Disk full/);
    assert.equal(smtp.mails.length, 0, "no email while chat may still be read");
    await advance(4 * 60_000);
    assert.equal(smtp.mails.length, 0);
    await advance(60_000);
    await waitFor("alice's fallback email", () => smtp.mails[0]);
    await advance(9 * 60_000);
    assert.equal(bob.inbox.length, 0, "bob is not told before step 2 is due");
    await advance(60_000);
    await bob.expect(/ESCALATED #\d+ web1 disk-full/);
  });

  it("writes the email with the alert id in the subject, both parts, and threading headers", async () => {
    const sent = await diskFullMail();
    const mail = parseMail(sent.raw);
    assert.deepEqual(sent.to, ["alice@example.org"]);
    assert.match(mail.headers.get("subject") ?? "", /^\[mauve #\d+\] RAISED web1 disk-full/);
    assert.match(mail.headers.get("references") ?? "", /<alert-\d+-[0-9a-f]+@example\.org>/);
    assert.match(mail.part("text/plain")?.body ?? "", /Disk full/);
    assert.ok(mail.part("text/html"), "an HTML part too");
    // Times in the reader's own zone, named, in both parts.
    assert.match(mail.part("text/plain")?.body ?? "", /Raised: \d{4}-\d\d-\d\d \d\d:\d\d America\/New_York/);
    assert.match(mail.part("text/html")?.body ?? "", /America\/New_York/);
  });

  it("sends urgent alerts by SMS through the HTTP gateway", async () => {
    agent!.change([{ id: "raid", state: "raised", summary: "RAID degraded", importance: 90 }]);
    await waitFor("an SMS request", () => gateway.requests[0]);
    const req = gateway.requests[0]!;
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/send");
    assert.equal(req.headers.authorization, "Bearer sms-token-123");
    const body = JSON.parse(req.body) as { to: string; text: string };
    assert.equal(body.to, "+447700900124");
    assert.match(body.text, /#\d+ RAISED web1 raid/);
    assert.ok(!botLog.text().includes("sms-token-123"), "the gateway token never reaches the log");
  });

  it("goes straight to email when the person's client is offline", async () => {
    await aliceOffline();
    const before = smtp.mails.length;
    agent!.change([{ id: "backup", state: "raised", summary: "Backup failed" }]);
    await waitFor("an email for the new alert", () =>
      smtp.mails.slice(before).find((m) => /backup/.test(parseMail(m.raw).headers.get("subject") ?? "")),
    );
  });

  it("restarted mid-escalation, sends the next step once", async () => {
    await aliceOffline(); // so that the first step is an email at once
    const before = bob.inbox.length;
    agent!.change([{ id: "queue", state: "raised", summary: "Queue backing up" }]);
    await waitFor("alice's email for queue", () =>
      smtp.mails.find((m) => /queue/.test(parseMail(m.raw).headers.get("subject") ?? "")),
    );
    await bot!.stop();
    clock.advance(20 * 60_000); // the bot is down when step 2 falls due
    bot = await startBot(server(), dir, [], botLog.logger, options());
    await bot.core.idle();
    await bob.expect(/ESCALATED #\d+ web1 queue/);
    await advance(60 * 60_000);
    const queueLines = bob.inbox.slice(before).filter((m) => /queue/.test(m.body));
    assert.equal(queueLines.length, 0, "no second escalation after the restart");
  });

  it("raises one host-down alert when an agent stays away past its grace, and clears it when it returns", async () => {
    const t = server();
    const smsBefore = gateway.requests.length;
    await agent!.stop(); // a clean stop: the bot gets the agent's unavailable presence
    agent = undefined;
    await waitFor(
      "the bot to see web1 go away",
      () => bot!.store.sources.get("web1") && bot!.store.sources.down().has("web1"),
    );
    await advance(4 * 60_000);
    assert.equal(bot!.store.alerts.find("web1", "mauve-host-down"), undefined, "within the grace: nothing yet");
    await advance(60_000);
    const hostDown = await waitFor("the host-down alert", () => bot!.store.alerts.find("web1", "mauve-host-down"));
    assert.equal(hostDown.status, "raised");
    assert.equal(hostDown.importance, 100);
    // Importance 100 makes it urgent, and bob takes urgent pages by SMS.
    const page = await waitFor("the host-down page", () =>
      gateway.requests.slice(smsBefore).find((r) => r.body.includes("mauve-host-down")),
    );
    assert.match(page.body, new RegExp(`#${hostDown.shortId} RAISED web1 mauve-host-down`));
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    await waitFor(
      "the host-down alert to clear",
      () => bot!.store.alerts.find("web1", "mauve-host-down")?.status === "cleared",
    );
    assert.equal(bot!.store.sources.down().has("web1"), false);
    // AlertBot wrote both transitions itself, saying so in the history.
    const transitions = bot!.store.alerts
      .history(hostDown.shortId)
      .filter((h) => h.kind === "raised" || h.kind === "cleared");
    assert.deepEqual(
      transitions.map((h) => `${h.kind} by ${h.actor}: ${h.detail}`),
      [`raised by AlertBot: ${hostDown.summary}`, "cleared by AlertBot: web1's agent is back"],
    );
  });
});
