import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AlertRecord } from "../../src/alerts/types.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Secret } from "../../src/schema/secret.js";
import { buildMessage } from "../../src/notify/message.js";
import { createEmailChannel, type EmailConfig } from "../../src/notify/email-channel.js";
import type { Channel, DeliveryOutcome } from "../../src/notify/channel.js";
import { deliverSkippingBackoff } from "../helpers/deliver.js";
import { parseMail, SmtpSink } from "../helpers/smtp-sink.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const bob = { name: "bob", jid: "bob@example.org", email: "bob@example.org" };

function alert(shortId: number, fields: Partial<AlertRecord> = {}): AlertRecord {
  return {
    shortId,
    source: "web1",
    alertId: "disk-full",
    status: "raised",
    subject: "web1",
    summary: "/var is 98% full",
    detail: '<p>Used: <b>98%</b> of <a href="https://grafana.example.org/d/1">/var</a></p><script>steal()</script>',
    importance: 2,
    raisedAt: T0,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: T0,
    ...fields,
  };
}

function config(port: number, smtp: Partial<EmailConfig["smtp"]> = {}): EmailConfig {
  return {
    smtp: { host: "127.0.0.1", port, secure: false, user: null, password: null, timeoutMs: 30_000, ...smtp },
    from: "Mauve <alerts@example.org>",
    subjectPrefix: "[mauve]",
  };
}

function deliver(
  clock: FakeClock,
  send: Channel,
  message = buildMessage(alert(42), "raised"),
): Promise<{ outcome: DeliveryOutcome; attempts: DeliveryOutcome[] }> {
  return deliverSkippingBackoff(clock, send, bob, message);
}

describe("notify: email over a real SMTP server", function () {
  let sink: SmtpSink;
  let clock: FakeClock;
  beforeEach(async () => {
    sink = await SmtpSink.start();
    clock = new FakeClock(T0);
  });
  afterEach(() => sink.close());

  it("sends the id in the subject, a text and an HTML part, and per-alert threading headers", async () => {
    const channel = createEmailChannel(config(sink.port), { clock });
    const first = await channel.send(bob, buildMessage(alert(42), "raised"));
    const second = await channel.send(
      bob,
      buildMessage(alert(42, { status: "cleared", clearedAt: T0 + 60_000 }), "cleared"),
    );
    const other = await channel.send(bob, buildMessage(alert(43, { alertId: "load" }), "raised"));
    assert.ok(first.ok && second.ok && other.ok, JSON.stringify([first, second, other]));
    assert.equal(sink.mails.length, 3);
    const [a, b, c] = sink.mails.map((m) => parseMail(m.raw));
    assert.ok(a && b && c);
    assert.deepEqual(sink.mails[0]?.to, ["bob@example.org"]);
    assert.equal(sink.mails[0]?.from, "alerts@example.org");
    assert.equal(a.headers.get("subject"), "[mauve #42] RAISED web1 disk-full: /var is 98% full");
    assert.equal(b.headers.get("subject"), "[mauve #42] CLEARED web1 disk-full: /var is 98% full");
    assert.equal(a.headers.get("to"), "bob <bob@example.org>");
    assert.equal(a.headers.get("auto-submitted"), "auto-generated");
    assert.equal(a.headers.get("date"), "Mon, 05 Jan 2026 09:00:00 +0000");
    assert.equal(a.headers.get("x-mauve-alert"), "42");

    const root = a.headers.get("references");
    assert.match(root ?? "", /^<alert-42-[0-9a-f]{10}@example\.org>$/);
    assert.equal(a.headers.get("in-reply-to"), root);
    assert.equal(b.headers.get("references"), root);
    assert.equal(b.headers.get("in-reply-to"), root);
    assert.notEqual(a.headers.get("message-id"), b.headers.get("message-id"));
    assert.match(a.headers.get("message-id") ?? "", /^<alert-42-[0-9a-f]{10}\.[0-9a-f-]+@example\.org>$/);
    assert.notEqual(c.headers.get("references"), root);
    assert.ok(first.ok && first.detail?.includes(a.headers.get("message-id") ?? "?"), first.ok ? first.detail : "");

    const text = a.part("text/plain")?.body ?? "";
    assert.ok(
      text.startsWith('RAISED #42 web1 disk-full: /var is 98% full\nSay "ack 42" in chat to acknowledge.'),
      text,
    );
    assert.ok(text.includes("Used: 98% of /var <https://grafana.example.org/d/1>"), text);
    assert.ok(!text.includes("steal"), text);
    const html = a.part("text/html")?.body ?? "";
    assert.ok(html.includes("<strong>RAISED #42 web1 disk-full: /var is 98% full</strong>"), html);
    assert.ok(html.includes("<b>98%</b>"), html);
    assert.ok(!html.includes("<script") && !html.includes("steal"), html);
    assert.match(a.headers.get("content-type") ?? "", /^multipart\/alternative/);
  });

  it("authenticates with the configured user and password", async () => {
    const authed = await SmtpSink.start({ auth: { user: "mauve", password: "smtp-pass-123" } });
    try {
      const channel = createEmailChannel(
        config(authed.port, { user: "mauve", password: new Secret("smtp-pass-123") }),
        { clock },
      );
      const outcome = await channel.send(bob, buildMessage(alert(42), "raised"));
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.equal(authed.mails[0]?.user, "mauve");
    } finally {
      await authed.close();
    }
  });

  it("never lets the SMTP password reach the outcome, even when the server echoes it", async () => {
    const password = "hunter2-Sm7p!";
    const authed = await SmtpSink.start({ auth: { user: "mauve", password: "the-right-one" } });
    try {
      const channel = createEmailChannel(config(authed.port, { user: "mauve", password: new Secret(password) }), {
        clock,
      });
      const outcome = await channel.send(bob, buildMessage(alert(42), "raised"));
      assert.ok(!outcome.ok && !outcome.recoverable, JSON.stringify(outcome));
      assert.match(
        outcome.error,
        /^SMTP 535 Authentication failed for mauve:\[redacted\] from 127\.0\.0\.1:\d+ \(AUTH PLAIN\)$/,
      );
      const printed = JSON.stringify(outcome);
      for (const form of [
        password,
        Buffer.from(`\0mauve\0${password}`).toString("base64"),
        Buffer.from(password).toString("base64"),
      ]) {
        assert.ok(!printed.includes(form), printed);
      }
    } finally {
      await authed.close();
    }
  });

  it("retries a 451 and delivers on the next attempt", async () => {
    sink.script(451);
    const { outcome, attempts } = await deliver(clock, createEmailChannel(config(sink.port), { clock }));
    assert.equal(outcome.ok, true);
    assert.equal(attempts.length, 2);
    const first = attempts[0];
    assert.ok(first && !first.ok && first.recoverable);
    assert.match(first.error, /^SMTP 451 Requested action aborted: try again later from 127\.0\.0\.1:\d+ \(RCPT TO\)$/);
    assert.equal(sink.mails.length, 1);
  });

  it("does not retry a 550", async () => {
    sink.script(550);
    const { outcome, attempts } = await deliver(clock, createEmailChannel(config(sink.port), { clock }));
    assert.ok(!outcome.ok && !outcome.recoverable);
    assert.match(outcome.error, /^SMTP 550 Requested action not taken: mailbox unavailable/);
    assert.equal(attempts.length, 1);
    assert.equal(sink.mails.length, 0);
  });

  it("calls a refused connection recoverable", async () => {
    const port = await closedPort();
    const outcome = await createEmailChannel(config(port), { clock }).send(bob, buildMessage(alert(42), "raised"));
    assert.deepEqual(outcome, {
      ok: false,
      recoverable: true,
      error: `cannot send through 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it("gives up on a server that stops answering when the timeout runs out on the clock", async () => {
    sink.script("stall");
    const pending = createEmailChannel(config(sink.port), { clock }).send(bob, buildMessage(alert(42), "raised"));
    await sink.whenStalled();
    clock.advance(30_000);
    assert.deepEqual(await pending, {
      ok: false,
      recoverable: true,
      error: `timed out after 30s sending through 127.0.0.1:${sink.port}`,
    });
  });

  it("refuses a person without an email address, without connecting", async () => {
    const outcome = await createEmailChannel(config(sink.port), { clock }).send(
      { name: "carol", jid: "carol@example.org" },
      buildMessage(alert(42), "raised"),
    );
    assert.deepEqual(outcome, { ok: false, recoverable: false, error: "no email address for carol" });
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
