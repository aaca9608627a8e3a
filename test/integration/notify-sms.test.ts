import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AlertRecord } from "../../src/alerts/types.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { object } from "../../src/schema/combinators.js";
import { loadYaml } from "../../src/config/load.js";
import { Secret } from "../../src/schema/secret.js";
import { buildMessage } from "../../src/notify/message.js";
import { createSmsChannel, smsSection, type SmsConfig } from "../../src/notify/sms-channel.js";
import type { Channel, DeliveryOutcome } from "../../src/notify/channel.js";
import { deliverSkippingBackoff } from "../helpers/deliver.js";
import { HttpSink } from "../helpers/http-sink.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const bob = { name: "bob", jid: "bob@example.org", sms: "+447700900123" };
const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "tw1l10-t0k3n/+=";
const SMS = '#42 RAISED web1 disk-full: /var is 98% full & "more" Say "ack 42" in chat';

function alert(shortId: number): AlertRecord {
  return {
    shortId,
    source: "web1",
    alertId: "disk-full",
    status: "raised",
    subject: "web1",
    summary: '/var is 98% full & "more"',
    detail: "",
    importance: 0,
    raisedAt: T0,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: T0,
  };
}
const raised = buildMessage(alert(42), "raised");

function custom(origin: string, fields: Partial<SmsConfig> = {}): SmsConfig {
  return {
    preset: null,
    url: `${origin}/v1/send`,
    method: "POST",
    headers: { "X-Client": "mauve-xmpp" },
    auth: { kind: "bearer", token: new Secret("b3arer-s3cret") },
    bodyTemplate: '{"to": "{to}", "sender": "{from}", "message": "{text}"}',
    encoding: "json",
    from: "Mauve",
    timeoutMs: 10_000,
    maxChars: 160,
    successBody: null,
    ...fields,
  };
}

/** The Twilio preset as an admin would write it, pointed at the sink. */
function twilio(origin: string): SmsConfig {
  const yaml = `sms:\n  preset: twilio\n  account_sid: ${SID}\n  auth_token_env: TWILIO_AUTH_TOKEN\n  from: "+15005550006"\n  url: ${origin}\n`;
  return loadYaml(yaml, object({ sms: smsSection }), { file: "alertbot.yaml", env: { TWILIO_AUTH_TOKEN: TOKEN } }).sms;
}

function deliver(clock: FakeClock, channel: Channel): Promise<{ outcome: DeliveryOutcome; attempts: number }> {
  return deliverSkippingBackoff(clock, channel, bob, raised).then((r) => ({
    outcome: r.outcome,
    attempts: r.attempts.length,
  }));
}

describe("notify: SMS through a real HTTP gateway", () => {
  let sink: HttpSink;
  let clock: FakeClock;
  beforeEach(async () => {
    sink = await HttpSink.start();
    clock = new FakeClock(T0);
  });
  afterEach(() => sink.close());

  it("sends a custom JSON template with bearer auth, values escaped", async () => {
    const outcome = await createSmsChannel(custom(sink.origin), { clock }).send(bob, raised);
    assert.deepEqual(outcome, { ok: true, detail: `HTTP 200 from 127.0.0.1:${sink.port}` });
    const [req] = sink.requests;
    assert.ok(req);
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/v1/send");
    assert.equal(req.headers.authorization, "Bearer b3arer-s3cret");
    assert.equal(req.headers["content-type"], "application/json");
    assert.equal(req.headers["x-client"], "mauve-xmpp");
    assert.equal(req.body, `{"to": "+447700900123", "sender": "Mauve", "message": ${JSON.stringify(SMS)}}`);
  });

  it("sends Twilio's Messages API request from the preset", async () => {
    sink.script({ status: 201, body: '{"sid":"SM123","status":"queued"}' });
    const outcome = await createSmsChannel(twilio(sink.origin), { clock }).send(bob, raised);
    assert.deepEqual(outcome, { ok: true, detail: `HTTP 201 from 127.0.0.1:${sink.port}` });
    const [req] = sink.requests;
    assert.ok(req);
    assert.equal(req.method, "POST");
    assert.equal(req.url, `/2010-04-01/Accounts/${SID}/Messages.json`);
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`);
    assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(
      req.body,
      `To=%2B447700900123&From=%2B15005550006&Body=${new URLSearchParams({ b: SMS }).toString().slice(2)}`,
    );
    assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), {
      To: "+447700900123",
      From: "+15005550006",
      Body: SMS,
    });
  });

  it("puts the values in the URL of a GET gateway", async () => {
    const config = custom(sink.origin, {
      url: `${sink.origin}/send?to={to}&msg={text}`,
      method: "GET",
      bodyTemplate: null,
      auth: null,
      headers: {},
    });
    assert.equal((await createSmsChannel(config, { clock }).send(bob, raised)).ok, true);
    const [req] = sink.requests;
    assert.equal(req?.method, "GET");
    assert.equal(req?.url, `/send?to=%2B447700900123&msg=${encodeURIComponent(SMS)}`);
    assert.equal(req?.body, "");
  });

  it("retries HTTP 500 twice, then delivers", async () => {
    sink.script({ status: 500, body: "oops" }, { status: 500, body: "oops" });
    const { outcome, attempts } = await deliver(clock, createSmsChannel(custom(sink.origin), { clock }));
    assert.equal(outcome.ok, true);
    assert.equal(attempts, 3);
    assert.equal(sink.requests.length, 3);
  });

  it("does not retry HTTP 400", async () => {
    sink.script({ status: 400, body: '{"message":"The To number is not valid"}' });
    const { outcome, attempts } = await deliver(clock, createSmsChannel(custom(sink.origin), { clock }));
    assert.deepEqual(outcome, {
      ok: false,
      recoverable: false,
      error: `HTTP 400 from 127.0.0.1:${sink.port}: {"message":"The To number is not valid"}`,
    });
    assert.equal(attempts, 1);
  });

  it("takes a 200 whose body does not match success_body for a refusal, not retried; one that matches is sent", async () => {
    // Many gateways answer 200 to a message they will not send, and say why in the body.
    const channel = createSmsChannel(custom(sink.origin, { successBody: '/"status": *"(queued|sent)"/' }), { clock });
    sink.script({ status: 200, body: '{"status": "error", "message": "insufficient credit"}' });
    const refused = await deliver(clock, channel);
    assert.deepEqual(refused.outcome, {
      ok: false,
      recoverable: false,
      error: `HTTP 200 from 127.0.0.1:${sink.port}, but the answer does not match sms.success_body: {"status": "error", "message": "insufficient credit"}`,
    });
    assert.equal(refused.attempts, 1);
    sink.script({ status: 200, body: '{"status": "queued", "id": "m-1"}' });
    assert.equal((await deliver(clock, channel)).outcome.ok, true);
    // Without success_body, any 2xx is sent, as before.
    sink.script({ status: 200, body: '{"status": "error"}' });
    assert.equal((await deliver(clock, createSmsChannel(custom(sink.origin), { clock }))).outcome.ok, true);
  });

  it("times out on a gateway that never answers, recoverably", async () => {
    sink.script("hang");
    const pending = createSmsChannel(custom(sink.origin), { clock }).send(bob, raised);
    await sink.received(1);
    clock.advance(10_000);
    assert.deepEqual(await pending, {
      ok: false,
      recoverable: true,
      error: `127.0.0.1:${sink.port} did not answer within 10s`,
    });
  });

  it("calls a refused connection recoverable", async () => {
    const port = await closedPort();
    const outcome = await createSmsChannel(custom(`http://127.0.0.1:${port}`), { clock }).send(bob, raised);
    assert.deepEqual(outcome, { ok: false, recoverable: true, error: `cannot reach 127.0.0.1:${port}: ECONNREFUSED` });
  });

  it("never lets a token or Basic credentials reach the outcome, even when the gateway echoes them", async () => {
    sink.script("echo-401", "echo-401");
    const bearer = await createSmsChannel(custom(sink.origin), { clock }).send(bob, raised);
    const basic = await createSmsChannel(twilio(sink.origin), { clock }).send(bob, raised);
    const basicString = Buffer.from(`${SID}:${TOKEN}`).toString("base64");
    for (const outcome of [bearer, basic]) {
      assert.ok(!outcome.ok && !outcome.recoverable);
      assert.match(outcome.error, /^HTTP 401 from 127\.0\.0\.1:\d+: unauthorized: (Bearer|Basic) \[redacted\]/);
      const printed = JSON.stringify(outcome);
      for (const secret of ["b3arer-s3cret", TOKEN, basicString, encodeURIComponent(TOKEN)])
        assert.ok(!printed.includes(secret), printed);
    }
  });

  it("refuses a person without an SMS number, without a request", async () => {
    const outcome = await createSmsChannel(custom(sink.origin), { clock }).send(
      { name: "bob", jid: "bob@example.org" },
      raised,
    );
    assert.deepEqual(outcome, { ok: false, recoverable: false, error: "no SMS number for bob" });
    assert.equal(sink.requests.length, 0);
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
