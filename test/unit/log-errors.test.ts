import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { clientXml as xml } from "../../src/xmpp/connect.js";
import { createLogger, type Logger } from "../../src/log.js";
import { configRedactor } from "../../src/notify/redact.js";

const FIXTURES = new URL("../fixtures/config/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), "utf8");

/** A logger whose lines are kept as text (to look for leaks) and parsed (to look at fields). */
function collecting(options: Parameters<typeof createLogger>[0] = {}): {
  log: Logger;
  text: string[];
  lines: () => Array<Record<string, unknown>>;
} {
  const text: string[] = [];
  const log = createLogger({ level: "debug", ...options, sink: (line) => text.push(line) });
  return { log, text, lines: () => text.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function fieldOf(line: Record<string, unknown> | undefined, key: string): Record<string, unknown> {
  const value = line?.[key];
  assert.ok(typeof value === "object" && value !== null, `${key} is an object in ${JSON.stringify(line)}`);
  return value as Record<string, unknown>;
}

// A failure the way Node reports one: an I/O error with code/errno/syscall, wrapped by our code.
function wrappedIoError(): Error {
  const io = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:25"), {
    code: "ECONNREFUSED",
    errno: -111,
    syscall: "connect",
  });
  return new Error("cannot reach the SMTP server", { cause: io });
}

describe("log: errors keep their stack, fields and cause", () => {
  it("logs the error's stack and its cause's stack, name, message and code", () => {
    const { log, lines } = collecting();
    const err = wrappedIoError();
    log.error("delivery failed", { err });
    const logged = fieldOf(lines()[0], "err");
    assert.equal(logged["message"], "cannot reach the SMTP server");
    assert.equal(logged["stack"], err.stack);
    const cause = fieldOf(logged, "cause");
    assert.equal(cause["message"], "connect ECONNREFUSED 127.0.0.1:25");
    assert.equal(cause["code"], "ECONNREFUSED");
    assert.equal(cause["errno"], -111);
    assert.equal(cause["syscall"], "connect");
    assert.equal(cause["stack"], (err.cause as Error).stack);
    assert.match(String(cause["stack"]), /wrappedIoError/, "the cause's own frames");
  });

  it("keeps a cause that is not an Error, and every error of an AggregateError", () => {
    const { log, lines } = collecting();
    log.warn("x", {
      err: new Error("outer", { cause: { status: 503 } }),
      all: new AggregateError([new Error("a"), new Error("b")], "both failed"),
    });
    const [line] = lines();
    assert.deepEqual(fieldOf(line, "err")["cause"], { status: 503 });
    const errors = fieldOf(line, "all")["errors"] as Array<Record<string, unknown>>;
    assert.deepEqual(
      errors.map((e) => e["message"]),
      ["a", "b"],
    );
    assert.ok(errors.every((e) => typeof e["stack"] === "string"));
  });

  it("follows a cause chain to a bound, so a cycle still gives one line", () => {
    const { log, lines } = collecting();
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    log.error("cycle", { err: a });
    let depth = 0;
    for (
      let e: unknown = fieldOf(lines()[0], "err");
      typeof e === "object" && e !== null;
      e = (e as Record<string, unknown>)["cause"]
    )
      depth++;
    assert.ok(depth > 2 && depth < 20, `followed ${depth} causes`);
  });

  it("writes the line, without the fields, when a field cannot be serialised, and does not throw", () => {
    const { log, lines } = collecting();
    const loop: Record<string, unknown> = {};
    loop["self"] = loop;
    log.info("still here", { loop });
    const [line] = lines();
    assert.equal(line?.["msg"], "still here");
    assert.match(String(line?.["logError"]), /could not be serialised/);
  });
});

describe("log: secrets from the config never reach a line", () => {
  const ENV = { SMTP_PASSWORD: "smtp-pass-123", SMS_TOKEN: "sms/token+456" };
  const text = `${fixture("bot-minimal.yaml")}\n${fixture("channels-full.yaml")}`;
  const config = loadBotConfig(text, { file: "/etc/mauve/alertbot.yaml", env: ENV });
  const secrets = ["component-secret-123", ENV.SMTP_PASSWORD, ENV.SMS_TOKEN];

  it("redacts every secret of a loaded config in messages, fields, stacks and causes, in its encoded forms too", () => {
    const { log, text: out, lines } = collecting({ redact: configRedactor(config) });
    const child = log.child({ channel: "sms" });
    for (const secret of secrets) {
      const echoed = Object.assign(
        new Error(`535 authentication failed for ${Buffer.from(secret).toString("base64")}`),
        {
          response: `AUTH PLAIN ${secret}`,
        },
      );
      child.error(`login refused with ${secret}`, {
        url: `https://sms.example.org/?token=${encodeURIComponent(secret)}`,
        err: new Error(`server said ${JSON.stringify({ echoed: secret })}`, { cause: echoed }),
      });
    }
    assert.equal(out.length, secrets.length);
    for (const secret of secrets) {
      for (const form of [secret, Buffer.from(secret).toString("base64"), encodeURIComponent(secret)]) {
        assert.ok(!out.some((l) => l.includes(form)), `${form} leaked: ${out.join("\n")}`);
      }
    }
    // The lines stay JSON, and say where the secret was.
    const line = lines()[0];
    assert.equal(line?.["msg"], "login refused with [redacted]");
    assert.equal(line?.["channel"], "sms");
    assert.match(String(fieldOf(fieldOf(line, "err"), "cause")["stack"]), /535 authentication failed for \[redacted\]/);
    assert.equal(fieldOf(fieldOf(line, "err"), "cause")["response"], "AUTH PLAIN [redacted]");
  });

  it("keeps the line's keys whatever the secret, and does not hide a secret too short to be one", () => {
    const botWith = (secret: string) =>
      loadBotConfig(fixture("bot-minimal.yaml").replace("component-secret-123", secret), {
        file: "/etc/mauve/alertbot.yaml",
      });
    const named = collecting({ redact: configRedactor(botWith("component")) });
    named.log.error("cannot start", { component: "alertbot", err: new Error("component refused") });
    assert.deepEqual(Object.keys(named.lines()[0] ?? {}), ["time", "level", "msg", "component", "err"]);
    assert.equal(fieldOf(named.lines()[0], "err")["message"], "[redacted] refused");
    const short = collecting({ redact: configRedactor(botWith("s")) });
    short.log.error("cannot start", { err: new Error("the database is not a database") });
    assert.equal(short.lines()[0]?.["msg"], "cannot start");
  });

  it("still prints a Secret as [redacted] and leaves other text alone", () => {
    const { log, text: out } = collecting({ redact: configRedactor(config) });
    log.info("config", { xmpp: config.xmpp, note: "component-secret" });
    assert.ok(!out[0]?.includes("component-secret-123"));
    assert.match(out[0] ?? "", /"note":"component-secret"/);
  });

  it("writes an XML element on an error (a stanza error's, whose children point back at it) as its text", () => {
    const { log, lines } = collecting();
    const element = xml(
      "error",
      { type: "wait" },
      xml("remote-server-timeout", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }),
    );
    log.warn("xmpp", { err: Object.assign(new Error("remote-server-timeout - Component unavailable"), { element }) });
    const [line] = lines();
    assert.equal(line?.["logError"], undefined);
    assert.equal(fieldOf(line, "err")["element"], String(element));
    assert.match(String(fieldOf(line, "err")["element"]), /^<error type="wait"><remote-server-timeout/);
  });
});
