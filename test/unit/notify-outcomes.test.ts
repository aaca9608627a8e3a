import assert from "node:assert/strict";
import { Secret } from "../../src/schema/secret.js";
import { smtpTransportOptions, smtpFailure } from "../../src/notify/email-channel.js";
import { credentialForms, redact, redactor } from "../../src/notify/redact.js";
import {
  httpOutcome,
  networkFailure,
  buildSmsRequest,
  smsSecrets,
  type SmsConfig,
} from "../../src/notify/sms-channel.js";

const none = redactor([]);

describe("notify: redaction", () => {
  it("removes a secret in every form it travels in", () => {
    const secrets = credentialForms("AC123", 'p@ss w/rd"');
    const basic = Buffer.from('AC123:p@ss w/rd"').toString("base64");
    const plain = Buffer.from('\0AC123\0p@ss w/rd"').toString("base64");
    const text = `raw p@ss w/rd" url p%40ss%20w%2Frd%22 form p%40ss+w%2Frd%22 json p@ss w/rd\\" basic ${basic} plain ${plain}`;
    assert.equal(
      redact(text, secrets),
      "raw [redacted] url [redacted] form [redacted] json [redacted] basic [redacted] plain [redacted]",
    );
  });

  it("removes the longest match first and ignores empty secrets", () => {
    assert.equal(redact("token abcdef and abc", ["abc", "abcdef", ""]), "token [redacted] and [redacted]");
    assert.equal(redact("nothing here", []), "nothing here");
  });
});

describe("notify: SMTP outcomes", () => {
  const table: Array<[string, object, boolean, string]> = [
    [
      "451 at RCPT",
      { code: "EENVELOPE", responseCode: 451, response: "451 try later", command: "RCPT TO" },
      true,
      "SMTP 451 try later from mx:25 (RCPT TO)",
    ],
    [
      "550 at RCPT",
      { code: "EENVELOPE", responseCode: 550, response: "550 mailbox unavailable", command: "RCPT TO" },
      false,
      "SMTP 550 mailbox unavailable from mx:25 (RCPT TO)",
    ],
    [
      "535 auth",
      { code: "EAUTH", responseCode: 535, response: "535 bad creds for u:hunter2", command: "AUTH PLAIN" },
      false,
      "SMTP 535 bad creds for u:[redacted] from mx:25 (AUTH PLAIN)",
    ],
    [
      "refused",
      { code: "ESOCKET", message: "connect ECONNREFUSED 127.0.0.1:25", command: "CONN" },
      true,
      "cannot send through mx:25: connect ECONNREFUSED 127.0.0.1:25",
    ],
    ["timeout", { code: "ETIMEDOUT", message: "Timeout", command: "DATA" }, true, "timed out talking to mx:25 (DATA)"],
    [
      "no credentials",
      { code: "EAUTH", message: 'Missing credentials for "PLAIN"' },
      false,
      'Missing credentials for "PLAIN"',
    ],
    ["not an Error", { toString: () => "weird" }, true, "cannot send through mx:25: unknown error"],
  ];
  for (const [name, err, recoverable, error] of table) {
    it(`${name} → ${recoverable ? "recoverable" : "final"}`, () => {
      assert.deepEqual(smtpFailure(err, "mx:25", redactor(["hunter2"])), { ok: false, recoverable, error });
    });
  }

  it("maps the TLS modes onto nodemailer's options and sets every timeout", () => {
    const base = { host: "mx", port: 587, user: "u", password: new Secret("pw"), timeoutMs: 7_000 };
    const starttls = smtpTransportOptions({ ...base, secure: "starttls" });
    assert.deepEqual([starttls.secure, starttls.requireTLS, starttls.ignoreTLS], [false, true, false]);
    const tls = smtpTransportOptions({ ...base, secure: true });
    assert.deepEqual([tls.secure, tls.requireTLS, tls.ignoreTLS], [true, false, false]);
    const plain = smtpTransportOptions({ ...base, secure: false, user: null, password: null });
    assert.deepEqual([plain.secure, plain.requireTLS, plain.ignoreTLS, plain.auth], [false, false, true, undefined]);
    assert.deepEqual(
      [starttls.connectionTimeout, starttls.greetingTimeout, starttls.socketTimeout],
      [7_000, 7_000, 7_000],
    );
    assert.deepEqual(starttls.auth, { user: "u", pass: "pw" });
  });
});

describe("notify: HTTP gateway outcomes", () => {
  const table: Array<[number, boolean | "ok"]> = [
    [200, "ok"],
    [201, "ok"],
    [301, false],
    [400, false],
    [401, false],
    [404, false],
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
  ];
  for (const [status, verdict] of table) {
    it(`HTTP ${status} → ${verdict === "ok" ? "delivered" : verdict ? "recoverable" : "final"}`, () => {
      const outcome = httpOutcome(status, '{"message":"x"}', null, "gw", none);
      if (verdict === "ok") assert.deepEqual(outcome, { ok: true, detail: `HTTP ${status} from gw` });
      else
        assert.ok(
          !outcome.ok &&
            outcome.recoverable === verdict &&
            outcome.error.startsWith(`HTTP ${status} from gw: {"message":"x"}`),
        );
    });
  }

  it("keeps a Retry-After in seconds, only for recoverable answers", () => {
    assert.deepEqual(httpOutcome(429, "", "30", "gw", none), {
      ok: false,
      recoverable: true,
      error: "HTTP 429 from gw",
      retryAfterMs: 30_000,
    });
    assert.deepEqual(httpOutcome(503, "", "Wed, 21 Oct 2015 07:28:00 GMT", "gw", none), {
      ok: false,
      recoverable: true,
      error: "HTTP 503 from gw",
    });
  });

  it("scrubs an echoed token from the body", () => {
    const outcome = httpOutcome(401, "bad token Bearer s3cr3t-t0ken", null, "gw", redactor(["s3cr3t-t0ken"]));
    assert.deepEqual(outcome, {
      ok: false,
      recoverable: false,
      error: "HTTP 401 from gw: bad token Bearer [redacted]",
    });
  });

  it("scrubs before shortening, so a cut can't leave half a secret", () => {
    const secret = "0123456789abcdefghij";
    const body = "x".repeat(190) + secret + "y".repeat(100);
    const outcome = httpOutcome(500, body, null, "gw", redactor([secret]));
    assert.ok(
      !outcome.ok && !outcome.error.includes("0123456789") && outcome.error.includes("xxx[redact"),
      outcome.ok ? "" : outcome.error,
    );
    const multi = smtpFailure(
      { responseCode: 535, response: "535 pass  word\nleaked" },
      "mx",
      redactor(["pass  word"]),
    );
    assert.equal(multi.error, "SMTP 535 [redacted] leaked from mx");
  });

  it("treats no answer at all as recoverable", () => {
    const err = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
    });
    assert.deepEqual(networkFailure(err, "gw", none), {
      ok: false,
      recoverable: true,
      error: "cannot reach gw: ECONNREFUSED",
    });
  });
});

describe("notify: SMS request", () => {
  const config: SmsConfig = {
    preset: null,
    url: "https://gw.example.org/send?to={to}",
    method: "POST",
    headers: { "X-Client": "mauve" },
    auth: { kind: "bearer", token: new Secret("tok") },
    bodyTemplate: '{"to":"{to}","from":"{from}","text":"{text}"}',
    encoding: "json",
    from: "Mauve",
    timeoutMs: 5_000,
    maxChars: 160,
    successBody: null,
  };
  const awkward = 'say "hi" \\ & = + % #42\nnext line é';

  it("escapes values for JSON and for the URL", () => {
    const req = buildSmsRequest(config, "+447700900123", awkward);
    assert.equal(req.url, "https://gw.example.org/send?to=%2B447700900123");
    assert.deepEqual(JSON.parse(req.body ?? ""), { to: "+447700900123", from: "Mauve", text: awkward });
    assert.deepEqual(req.headers, {
      "X-Client": "mauve",
      Authorization: "Bearer tok",
      "Content-Type": "application/json",
    });
  });

  it("form-encodes values and honours a Content-Type the admin set", () => {
    const form = {
      ...config,
      encoding: "form" as const,
      bodyTemplate: "To={to}&Body={text}",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    };
    const req = buildSmsRequest(form, "+447700900123", awkward);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), { To: "+447700900123", Body: awkward });
    assert.equal(req.headers["Content-Type"], undefined);
  });

  it("sends Basic and header credentials, and knows their forms for redaction", () => {
    const basic = buildSmsRequest(
      { ...config, auth: { kind: "basic", user: "AC1", password: new Secret("pw") } },
      "+1",
      "x",
    );
    assert.equal(basic.headers["Authorization"], `Basic ${Buffer.from("AC1:pw").toString("base64")}`);
    const header = buildSmsRequest(
      { ...config, auth: { kind: "header", name: "X-Api-Key", value: new Secret("k3y") } },
      "+1",
      "x",
    );
    assert.equal(header.headers["X-Api-Key"], "k3y");
    assert.ok(
      smsSecrets({ kind: "basic", user: "AC1", password: new Secret("pw") }).includes(
        Buffer.from("AC1:pw").toString("base64").replace(/=+$/, ""),
      ),
    );
    assert.deepEqual(buildSmsRequest({ ...config, method: "GET", bodyTemplate: null }, "+1", "x").body, undefined);
  });
});
