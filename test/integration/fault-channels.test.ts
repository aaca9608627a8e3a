// Fault: the notification channels misbehave. A real SMTP server that answers 451, 550, stalls or
// is down; a real HTTP SMS gateway that answers 500 or never answers. Policy and retry time run on a
// fake clock (backoff is seconds apart); XMPP, SMTP and HTTP are real.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import type { TimerHandle } from "../../src/clock/clock.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { withProsody } from "../helpers/prosody.js";
import { HttpSink } from "../helpers/http-sink.js";
import { SmtpSink, parseMail } from "../helpers/smtp-sink.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const BASE_DELAY_MS = 10_000; // first retry after 5-10 s (equal jitter), then 10-20 s

/**
 * A fake clock that counts the waits of the retry loop (src/notify/retry.ts) that fell due. Timers
 * fire inside `advance()`, so once it returns, a retry that was not due cannot have started: no
 * real-time wait is needed to show that nothing more was attempted.
 */
class RetryWatchingClock extends FakeClock {
  retryWaitsDue = 0;
  override setTimer(ms: number, fn: () => void): TimerHandle {
    const fromRetryLoop = /notify[\\/]retry\.ts/.test(new Error().stack ?? "");
    return super.setTimer(
      ms,
      fromRetryLoop
        ? () => {
            this.retryWaitsDue += 1;
            fn();
          }
        : fn,
    );
  }
}

describe("fault: SMTP and SMS gateway failures", function () {
  this.timeout(60_000);
  let dir: string;
  let smtp: SmtpSink;
  let gateway: HttpSink;
  let clock: RetryWatchingClock;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient;

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    await smtp?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-fault-channels-");
    smtp = await SmtpSink.start();
    gateway = await HttpSink.start();
    clock = new RetryWatchingClock(Date.now());
    const t = server();
    const d = t.prosody.domain;
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, [], new LogLines().logger, {
      clock,
      retry: { attempts: 3, initialDelayMs: BASE_DELAY_MS, maxDelayMs: 60_000 },
      peopleYaml: `
  - name: alice
    jid: alice@${d}
    email: alice@example.org
    sms: "+447700900123"
    notify: { urgent: [sms, email], normal: [email, sms], low: [email] }
    fallback_after: 5m`,
      extraYaml: `
workgroups:
  - name: ops
    members: [alice]
    escalation:
      normal: { steps: [{ after: 0m, notify: alice }], reminder: false }
      urgent: { steps: [{ after: 0m, notify: alice }], reminder: false }
rules:
  - { match: { importance: "80.." }, level: urgent, workgroup: ops }
  - { level: normal, workgroup: ops }
storm: { per_person_limit: "100 per 1m", digest_after: 100 }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
sms:
  url: ${gateway.origin}/send
  body_template: '{"to": "{to}", "text": "{text}"}'
  timeout: 10s
`,
    });
    agent = await startAgent(t, dir, "web1", "  []", new LogLines().logger);
    await waitFor("the agent's start-up state applied", () => bot!.store.sources.get("web1"));
  });

  /** Raises an alert through the agent and returns its short id once the bot has it. */
  const raise = async (id: string, importance = 50): Promise<number> => {
    agent!.change([{ id, state: "raised", summary: `${id} is failing`, importance }]);
    return (await waitFor(`${id} applied`, () => bot!.store.alerts.find("web1", id))).shortId;
  };
  /** The alert's delivery attempts as "kind: detail" lines, oldest first. */
  const attempts = (shortId: number): string[] =>
    bot!.store.alerts
      .history(shortId)
      .filter((h) => h.kind === "notified" || h.kind === "notify-failed")
      .map((h) => `${h.kind}: ${h.detail}`);
  const waitAttempts = (shortId: number, n: number): Promise<string[]> =>
    waitFor(`${n} delivery attempts of #${shortId}`, () =>
      attempts(shortId).length >= n ? attempts(shortId) : undefined,
    );
  /** Advances the clock by `ms`, short of the next retry, and asserts that no retry fell due and still `n` attempts are recorded. */
  const advanceShortOfRetry = (shortId: number, n: number, ms: number): void => {
    const due = clock.retryWaitsDue;
    clock.advance(ms);
    assert.equal(clock.retryWaitsDue, due, "no retry fell due");
    assert.equal(attempts(shortId).length, n, attempts(shortId).join("\n"));
  };
  const ask = async (line: string, reply: RegExp): Promise<string> => {
    await alice.say(server().prosody.botJid, line);
    return alice.expect(reply);
  };
  const mailsAbout = (id: string) =>
    smtp.mails.filter((m) => (parseMail(m.raw).headers.get("subject") ?? "").includes(` ${id}`));
  const smsAbout = (id: string) => gateway.requests.filter((r) => r.body.includes(` ${id}`));

  it("SMTP 451: retried after a backoff, delivered on the second attempt, both attempts in the history", async () => {
    smtp.script(451);
    const n = await raise("temp-fail");
    const [first] = await waitAttempts(n, 1);
    assert.match(first!, /^notify-failed: raised to alice by email, attempt 1: SMTP 451 .*; retry in (5|6|7|8|9|10)s$/);
    advanceShortOfRetry(n, 1, BASE_DELAY_MS / 2 - 100);
    const due = clock.retryWaitsDue;
    clock.advance(BASE_DELAY_MS / 2 + 100);
    assert.equal(clock.retryWaitsDue, due + 1, "the retry's wait is seen falling due");
    const all = await waitAttempts(n, 2);
    assert.equal(all[1], "notified: raised to alice by email (attempt 2)");
    assert.equal(mailsAbout("temp-fail").length, 1);
    assert.equal(smsAbout("temp-fail").length, 0, "email worked: no SMS");
    await ask(`ack ${n}`, /acknowledged/);
  });

  it("SMTP 550: not retried, and the SMS goes at once instead of after fallback_after", async () => {
    smtp.script(550);
    const n = await raise("perm-fail");
    const [first] = await waitAttempts(n, 1);
    assert.match(
      first!,
      /^notify-failed: raised to alice by email, attempt 1: SMTP 550 [^;]*$/,
      "no retry for a permanent refusal",
    );
    clock.advance(1_000);
    await waitFor("the SMS fallback", () => smsAbout("perm-fail")[0]);
    // The gateway has the SMS before the bot has its answer: wait for the outcome to be recorded.
    assert.deepEqual((await waitAttempts(n, 2)).slice(1), ["notified: raised to alice by sms"]);
    assert.equal(mailsAbout("perm-fail").length, 0);
    await ask(`ack ${n}`, /acknowledged/);
  });

  it("SMTP stalls: the bot answers chat meanwhile; the send times out, is retried and delivered", async () => {
    smtp.script("stall");
    const n = await raise("slow-mail");
    await smtp.whenStalled();
    assert.match(await ask("show", /slow-mail/), new RegExp(`#${n} .*web1.*slow-mail is failing`));
    assert.deepEqual(attempts(n), [], "still waiting for the server");
    clock.advance(30_000);
    const [first] = await waitAttempts(n, 1);
    assert.match(
      first!,
      /^notify-failed: raised to alice by email, attempt 1: timed out after 30s sending through 127\.0\.0\.1:\d+; retry in \d+s$/,
    );
    clock.advance(BASE_DELAY_MS);
    assert.equal((await waitAttempts(n, 2))[1], "notified: raised to alice by email (attempt 2)");
    await ask(`ack ${n}`, /acknowledged/);
  });

  it("SMS gateway 500: three attempts with growing backoff, then email at once; 'history' tells it all", async () => {
    gateway.script({ status: 500, body: "busy" }, { status: 500, body: "busy" }, { status: 500, body: "busy" });
    const n = await raise("gw-500", 90);
    await waitAttempts(n, 1);
    clock.advance(BASE_DELAY_MS);
    await waitAttempts(n, 2);
    advanceShortOfRetry(n, 2, BASE_DELAY_MS - 100); // the second retry waits 10-20 s
    clock.advance(BASE_DELAY_MS + 100);
    await waitAttempts(n, 3);
    assert.equal(smsAbout("gw-500").length, 3);
    clock.advance(1_000);
    await waitFor("the email fallback", () => mailsAbout("gw-500")[0]);
    const all = await waitAttempts(n, 4);
    assert.match(
      all[0]!,
      /^notify-failed: raised to alice by sms, attempt 1: HTTP 500 from 127\.0\.0\.1:\d+: busy; retry in \d+s$/,
    );
    assert.match(all[1]!, /attempt 2: HTTP 500 .*; retry in \d+s$/);
    assert.match(all[2]!, /attempt 3: HTTP 500 [^;]*$/);
    assert.equal(all[3], "notified: raised to alice by email");
    const told = await ask(`history ${n}`, /by email/);
    assert.match(told, /sms, attempt 3/);
    await ask(`ack ${n}`, /acknowledged/);
  });

  it("SMS gateway never answers: chat answered meanwhile; timed out, retried, delivered", async () => {
    const before = gateway.requests.length;
    gateway.script("hang");
    const n = await raise("gw-hang", 90);
    await gateway.received(before + 1);
    assert.match(await ask("show", /gw-hang/), /gw-hang is failing/);
    clock.advance(10_000);
    const [first] = await waitAttempts(n, 1);
    assert.match(
      first!,
      /^notify-failed: raised to alice by sms, attempt 1: 127\.0\.0\.1:\d+ did not answer within 10s; retry in \d+s$/,
    );
    clock.advance(BASE_DELAY_MS);
    assert.equal((await waitAttempts(n, 2))[1], "notified: raised to alice by sms (attempt 2)");
    await ask(`ack ${n}`, /acknowledged/);
  });

  it("SMTP down: refused connections retried, then the SMS", async () => {
    await smtp.close();
    const n = await raise("no-mail");
    await waitAttempts(n, 1);
    clock.advance(BASE_DELAY_MS);
    await waitAttempts(n, 2);
    clock.advance(2 * BASE_DELAY_MS);
    await waitAttempts(n, 3);
    clock.advance(1_000);
    await waitFor("the SMS fallback", () => smsAbout("no-mail")[0]);
    const all = await waitAttempts(n, 4);
    assert.match(
      all[0]!,
      /^notify-failed: raised to alice by email, attempt 1: cannot send through 127\.0\.0\.1:\d+: .*ECONNREFUSED.*; retry in \d+s$/,
    );
    assert.equal(all[3], "notified: raised to alice by sms");
  });
});
