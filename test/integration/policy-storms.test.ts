// Issue 19 end to end: a storm of urgent alerts from a real agent, through a real Prosody and the
// real bot, to a real SMTP server and a real HTTP SMS gateway. Policy time runs on a fake clock
// (fallbacks and reminders are minutes apart); everything else is real.
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

const ALICE_SMS = "+447700900123";
const ERIN_SMS = "+447700900126";
const M = 60_000;

describe("policy storms: digests that fall back, reminders on their step's channels, messages that fit", function () {
  this.timeout(120_000);
  let dir: string;
  let smtp: SmtpSink;
  let gateway: HttpSink;
  let clock: FakeClock;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient | undefined;

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    await smtp?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();

  const options = (): TestBotOptions => {
    const d = server().prosody.domain;
    return {
      clock,
      retry: { attempts: 1 },
      peopleYaml: `
  - name: alice
    jid: alice@${d}
    email: alice@example.org
    sms: "${ALICE_SMS}"
    notify: { urgent: [xmpp, sms, email], normal: [xmpp, email], low: [email_digest] }
    fallback_after: 5m
  - name: erin
    jid: erin@${d}
    email: erin@example.org
    sms: "${ERIN_SMS}"
    notify: { urgent: [sms, email], normal: [email], low: [email] }
    fallback_after: 10m`,
      extraYaml: `
workgroups:
  - name: ops
    members: [alice]
    escalation:
      urgent:
        steps:
          - { after: 0m, notify: oncall }
          - { after: 30m, notify: erin, channels: [sms] }
        reminder: 15m
      low: { steps: [{ after: 0m, notify: oncall }], reminder: false }
rules:
  - { match: { importance: "100.." }, level: urgent, workgroup: ops }
  - { match: { importance: "..20" }, level: low, workgroup: ops }
  - { level: normal, workgroup: ops }
storm: { per_person_limit: 5 per 10m, digest_after: 3, digest_top: 3 }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }
  from: Mauve <alerts@example.org>
sms:
  url: ${gateway.origin}/send
  method: POST
  body_template: '{"to": "{to}", "text": "{text}"}'
  encoding: json
  from: Mauve
`,
    };
  };

  /** Moves policy time on and lets the bot act on it. */
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await bot!.core.tick();
    await bot!.core.idle();
  };
  const texts = (to: string): string[] =>
    gateway.requests
      .map((r) => JSON.parse(r.body) as { to: string; text: string })
      .filter((b) => b.to === to)
      .map((b) => b.text);
  const subjects = (to: string): string[] =>
    smtp.mails.filter((m) => m.to.includes(to)).map((m) => parseMail(m.raw).headers.get("subject") ?? "");

  before(async () => {
    dir = tempDir("mauve-storms-");
    smtp = await SmtpSink.start();
    gateway = await HttpSink.start();
    clock = new FakeClock(Date.now());
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, [], new LogLines().logger, options());
    await waitFor("the bot to hear alice is online", () => bot!.reachability(`alice@${t.prosody.domain}`) === "online");
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: logs, summary: Log rotation late, state: raised, importance: 10 }",
      new LogLines().logger,
    );
  });

  it("item 4: a single quiet notice arrives as itself, not as a one-alert digest", async () => {
    const subject = await waitFor("alice's email about logs", () =>
      subjects("alice@example.org").find((s) => /logs/.test(s)),
    );
    assert.match(subject, /^\[mauve #\d+\] RAISED web1 logs: Log rotation late$/);
    assert.doesNotMatch(subject, /DIGEST/);
  });

  it("item 3: erin, paged by a step with channels [sms], is reminded by SMS only, for hours", async () => {
    const t = server();
    agent!.change([{ id: "raid-0", state: "raised", summary: "Array 0 degraded", importance: 100 }]);
    await alice!.expect(/^RAISED #\d+ web1 raid-0/);
    const id = bot!.store.alerts.find("web1", "raid-0")!.shortId;
    for (let at = 0; at < 3 * 60 * M; at += 5 * M) await advance(5 * M);
    const erin = texts(ERIN_SMS);
    assert.equal(erin.length, 1 + 10, `the page at 30m, then a reminder every 15m: ${erin.join(" | ")}`);
    assert.equal(erin[0], `#${id} ESCALATED web1 raid-0: Array 0 degraded Say "ack ${id}" in chat`);
    assert.equal(erin[1], `#${id} REMINDER web1 raid-0: Array 0 degraded Say "ack ${id}" in chat`);
    assert.deepEqual(subjects("erin@example.org"), [], "no email to erin: her step said SMS");
    await alice!.say(t.prosody.botJid, `ack ${id}`);
    await alice!.expect(/acknowledged/);
    await bot!.core.idle();
  });

  it("item 1: an unanswered urgent digest falls back by SMS after 5m (ids listed, acks in chat), then by email", async () => {
    agent!.change(
      [1, 2, 3, 4].map((i) => ({
        id: `raid-${i}`,
        state: "raised" as const,
        summary: `Array ${i} degraded`,
        importance: 100,
      })),
    );
    await alice!.expect(/^DIGEST 4 alerts, 4 raised/);
    const ids = [1, 2, 3, 4].map((i) => bot!.store.alerts.find("web1", `raid-${i}`)!.shortId);
    const smsBefore = texts(ALICE_SMS).length;
    const digests = (): string[] => texts(ALICE_SMS).slice(smsBefore);
    await advance(4 * M);
    assert.deepEqual(digests(), [], "no SMS while chat may still be read");
    await advance(M);
    const [sms] = await waitFor("alice's SMS digest", () => digests().length > 0 && digests());
    assert.match(sms!, /^DIGEST 4 alerts, 4 raised: /);
    for (const id of ids) assert.match(sms!, new RegExp(`#${id}\\b`));
    assert.match(sms!, /Say "ack <id>" in chat$/);
    assert.doesNotMatch(sms!, /reply/i);
    assert.ok(sms!.length <= 160, `${sms!.length} characters`);
    await advance(5 * M);
    await waitFor("alice's email digest", () => subjects("alice@example.org").find((s) => /DIGEST 4 alerts/.test(s)));
  });
});
