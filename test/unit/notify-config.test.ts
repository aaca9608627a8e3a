import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { emailSection } from "../../src/notify/email-channel.js";
import { smsSection } from "../../src/notify/sms-channel.js";
import { maybe, object } from "../../src/schema/combinators.js";
import { loadYaml } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";

const FIXTURES = new URL("../fixtures/config/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");
// The sections as the bot's config will hold them: both optional.
const schema = object({ email: maybe(emailSection), sms: maybe(smsSection) });
const ENV = { SMTP_PASSWORD: "smtp-pass-123", SMS_TOKEN: "sms-token-456" };

function load(name: string, env: Record<string, string> = ENV): ReturnType<typeof schema> & object {
  const readFile = (path: string): string => {
    assert.ok(path.endsWith("/etc/mauve/twilio-token.txt"), path);
    return "twilio-token-789\n";
  };
  return loadYaml(fixture(name), schema, { file: "/etc/mauve/alertbot.yaml", env, readFile });
}

function errorOf(name: string, env: Record<string, string> = {}): string[] {
  try {
    load(name, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message.split("\n");
  }
  assert.fail(`${name} loaded without error`);
}

describe("config: email and sms sections", () => {
  it("reads every setting, secrets redacted when printed", () => {
    const config = load("channels-full.yaml");
    assert.equal(config.email?.smtp.password?.reveal(), "smtp-pass-123");
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      email: {
        smtp: {
          host: "smtp.example.org",
          port: 587,
          secure: "starttls",
          user: "mauve",
          password: "[redacted]",
          timeoutMs: 20_000,
        },
        from: "Mauve <alerts@example.org>",
        subjectPrefix: "[ops]",
      },
      sms: {
        preset: null,
        url: "https://sms.example.org/v1/send",
        method: "POST",
        headers: { "X-Client": "mauve-xmpp" },
        auth: { kind: "bearer", token: "[redacted]" },
        bodyTemplate: '{"to": "{to}", "sender": "{from}", "message": "{text}"}',
        encoding: "json",
        from: "Mauve",
        timeoutMs: 5_000,
        maxChars: 300,
        successBody: null,
      },
    });
    const printed = inspect(config, { depth: null, showHidden: true });
    assert.ok(!printed.includes("smtp-pass-123") && !printed.includes("sms-token-456"));
  });

  it("fills defaults: port by TLS mode, prefix, timeouts, GET without a body", () => {
    const config = load("channels-minimal.yaml");
    assert.deepEqual(JSON.parse(JSON.stringify(config.email)), {
      smtp: { host: "127.0.0.1", port: 25, secure: false, user: null, password: null, timeoutMs: 30_000 },
      from: "alerts@example.org",
      subjectPrefix: "[mauve]",
    });
    assert.equal(config.sms?.method, "GET");
    assert.equal(config.sms?.bodyTemplate, null);
    assert.equal(config.sms?.timeoutMs, 10_000);
    assert.equal(config.sms?.maxChars, 160);
  });

  it("expands the Twilio preset into Twilio's Messages API request", () => {
    const sms = load("channels-twilio.yaml").sms;
    assert.ok(sms);
    assert.equal(sms.auth?.kind, "basic");
    assert.ok(
      sms.auth?.kind === "basic" &&
        sms.auth.user === "AC0123456789abcdef0123456789abcdef" &&
        sms.auth.password.reveal() === "twilio-token-789",
    );
    assert.deepEqual(JSON.parse(JSON.stringify(sms)), {
      preset: "twilio",
      url: "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
      method: "POST",
      headers: {},
      auth: { kind: "basic", user: "AC0123456789abcdef0123456789abcdef", password: "[redacted]" },
      bodyTemplate: "To={to}&From={from}&Body={text}",
      encoding: "form",
      from: "+15005550006",
      timeoutMs: 10_000,
      maxChars: 160,
      successBody: null,
    });
  });

  it("lets the Twilio base URL be pointed elsewhere, but only as a base", () => {
    const text = fixture("channels-twilio.yaml");
    const opts = { file: "a.yaml", readFile: () => "t" };
    const moved = loadYaml(`${text}  url: http://127.0.0.1:4010/\n`, schema, opts);
    assert.equal(
      moved.sms?.url,
      "http://127.0.0.1:4010/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json",
    );
    assert.throws(
      () => loadYaml(`${text}  url: http://127.0.0.1:4010/api\n`, schema, opts),
      /a\.yaml: sms\.url: expected a base URL without a path like https:\/\/api\.twilio\.com, got "http/,
    );
  });

  it("reads success_body as a glob or a linear-time regex, and refuses one it cannot run", () => {
    const base = 'sms:\n  url: "https://x.example.org/s?to={to}&text={text}"\n  method: GET\n';
    const read = (line: string) => loadYaml(`${base}  success_body: ${line}\n`, schema, { file: "a.yaml" });
    assert.equal(read(`'/"status": *"(queued|sent)"/'`).sms?.successBody, '/"status": *"(queued|sent)"/');
    assert.equal(read("'*OK*'").sms?.successBody, "*OK*");
    assert.throws(
      () => read(`'/(ok)\\1/'`),
      /a\.yaml: sms\.success_body: a regex the linear-time engine \(RE2\) cannot run/,
    );
    assert.throws(() => read("''"), /a\.yaml: sms\.success_body: expected a glob like \*queued\*/);
  });

  it("rejects unknown keys, listing the keys of the chosen form", () => {
    assert.deepEqual(errorOf("channels-unknown-key.yaml"), [
      "/etc/mauve/alertbot.yaml: email.subject: unknown key (expected one of: smtp, from, subject_prefix)",
      "/etc/mauve/alertbot.yaml: email.smtp.pasword: unknown key (expected one of: host, port, secure, user, password, password_env, password_file, timeout)",
      "/etc/mauve/alertbot.yaml: email.smtp.tls: unknown key (expected one of: host, port, secure, user, password, password_env, password_file, timeout)",
      "/etc/mauve/alertbot.yaml: sms.body_template: unknown key (expected one of: preset, account_sid, auth_token, auth_token_env, auth_token_file, from, url, timeout, max_chars)",
    ]);
  });

  it("names the missing environment variables", () => {
    assert.deepEqual(errorOf("channels-missing-env.yaml"), [
      "/etc/mauve/alertbot.yaml: email.smtp.password_env: environment variable SMTP_PASSWORD is not set",
      "/etc/mauve/alertbot.yaml: sms.auth_token_env: environment variable TWILIO_AUTH_TOKEN is not set",
    ]);
  });

  it("reports every bad value at once, never quoting a secret", () => {
    const errors = errorOf("channels-bad.yaml");
    assert.deepEqual(errors, [
      "/etc/mauve/alertbot.yaml: email.smtp.port: expected a whole number between 1 and 65535, got 70000",
      '/etc/mauve/alertbot.yaml: email.smtp.secure: expected true, false or starttls, got "yes"',
      '/etc/mauve/alertbot.yaml: email.from: expected an address like alerts@example.org or Mauve <alerts@example.org>, got "not an address"',
      '/etc/mauve/alertbot.yaml: sms.url: expected an http(s) URL like https://sms.example.org/send, got "ftp://sms.example.org/send"',
      "/etc/mauve/alertbot.yaml: sms.headers.Authorization: set by the bot; put credentials under auth, where they stay secret",
      "/etc/mauve/alertbot.yaml: sms.auth: expected exactly one of basic, bearer or header, got basic and bearer",
      '/etc/mauve/alertbot.yaml: sms.from: expected an E.164 number like +447700900123 or a sender id of up to 11 letters and digits, got "+1"',
    ]);
  });

  it("checks templates: placeholders, JSON that parses once filled, body only for POST", () => {
    assert.deepEqual(errorOf("channels-bad-template.yaml"), [
      "/etc/mauve/alertbot.yaml: sms.body_template: {from} is used but no from is configured",
    ]);
    const get = 'sms:\n  url: https://x.example.org/s?to={to}\n  method: GET\n  body_template: "text={text}"\n';
    assert.throws(
      () => loadYaml(get, schema, { file: "a.yaml" }),
      (err: Error) => {
        assert.equal(
          err.message,
          ["a.yaml: sms.body_template: a GET request has no body: put the placeholders in the url"].join("\n"),
        );
        return true;
      },
    );
    const noText = "sms:\n  url: https://x.example.org/s?to={to}\n  method: GET\n";
    assert.throws(
      () => loadYaml(noText, schema, { file: "a.yaml" }),
      /^.*a\.yaml: sms\.url: expected a \{text\} placeholder$/,
    );
    const json = `sms:\n  url: https://x.example.org/s\n  body_template: '{"to": {to}, "text": "{txt}"}'\n`;
    assert.throws(
      () => loadYaml(json, schema, { file: "a.yaml" }),
      (err: Error) => {
        assert.equal(
          err.message,
          [
            "a.yaml: sms.body_template: unknown placeholder {txt} (expected {to}, {text} or {from})",
            "a.yaml: sms.body_template: expected a {text} placeholder",
          ].join("\n"),
        );
        return true;
      },
    );
    const unquoted = `sms:\n  url: https://x.example.org/s\n  body_template: '{"to": {to}, "text": "{text}"}'\n`;
    assert.throws(
      () => loadYaml(unquoted, schema, { file: "a.yaml" }),
      /a\.yaml: sms\.body_template: expected JSON with each placeholder inside a string/,
    );
  });

  it("needs a user and a password together", () => {
    const text = "email:\n  smtp:\n    host: smtp.example.org\n    password: x\n  from: a@example.org\n";
    assert.throws(
      () => loadYaml(text, schema, { file: "a.yaml" }),
      /^ConfigError: a\.yaml: email\.smtp\.user: expected a user since a password is set$|a\.yaml: email\.smtp\.user: expected a user since a password is set/,
    );
  });
});
