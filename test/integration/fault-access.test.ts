// Fault: who may do what. Another agent, a stranger and a spoofing update are refused (by Prosody or
// by AlertBot, each where it should be); and no secret reaches any log while logins, SMTP AUTH and
// the SMS gateway's auth fail. AlertBot runs as a real process: its stderr is the log an admin reads.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { AUDIT_NODE, STATUS_NODE } from "../../src/bot/audit-feed.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import { Store } from "../../src/store/store.js";
import { createAdhoc } from "../../src/xmpp/disco.js";
import { createProvisioning } from "../../src/xmpp/provisioning.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { refusedReadCondition, withProsody } from "../helpers/prosody.js";
import { HttpSink } from "../helpers/http-sink.js";
import { ChildRun } from "../helpers/process-child.js";
import { BOT_SECRET_ENV, startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { LogLines, PersonClient, startAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";
import { alert, update } from "../helpers/updates.js";

const SMTP_USER = "mauve";
const SMTP_PASSWORD = "smtp-P4ss-wrong-0x51";
const SMS_TOKEN = "sms-T0ken-0x77-secret";
const WRONG_COMPONENT_SECRET = "not-the-c0mponent-secret";

/** A secret as it may leak: as is, base64, and inside SMTP AUTH PLAIN and HTTP Basic. */
function forms(secret: string, user = SMTP_USER): string[] {
  const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
  return [secret, b64(secret), b64(`\0${user}\0${secret}`), b64(`${user}:${secret}`), encodeURIComponent(secret)];
}

describe("fault: access and secrets", function () {
  this.timeout(60_000);
  let dir: string;
  let smtp: SmtpSink;
  let gateway: HttpSink;
  let bot: ChildRun | undefined;
  let intruder: ChildRun | undefined;
  let web1: RunningAgent | undefined;
  let web2: RunningAgent | undefined;
  let alice: PersonClient;
  let mallory: PersonClient;
  const agentLog = new LogLines();

  after(async () => {
    await web1?.stop();
    await web2?.stop();
    await intruder?.stop();
    await bot?.stop();
    await alice?.stop();
    await mallory?.stop();
    await smtp?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-5000)}\n---\n`);
  });
  const server = withProsody();
  const botJid = (): string => server().prosody.botJid;
  const ask = async (who: PersonClient, line: string, reply: RegExp): Promise<string> => {
    await who.say(botJid(), line);
    return who.expect(reply);
  };

  before(async () => {
    dir = tempDir("mauve-fault-access-");
    const t = server();
    const d = t.prosody.domain;
    // The SMTP server wants another password and echoes the one it got; the gateway echoes the token.
    smtp = await SmtpSink.start({ auth: { user: SMTP_USER, password: "the-right-one" } });
    gateway = await HttpSink.start("echo-401");
    alice = await PersonClient.login(t, "alice");
    mallory = await PersonClient.login(t, "mallory");
    const config = writeBotConfig(
      t,
      dir,
      `people:
  - { name: alice, jid: alice@${d}, email: alice@example.org, sms: "+447700900123", notify: { urgent: [email, sms], normal: [xmpp, email, sms], low: [xmpp] } }
rules:
  - { match: { importance: "90.." }, level: urgent, workgroup: everyone }
  - { level: normal, workgroup: everyone }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, user: ${SMTP_USER}, password_env: MAUVE_TEST_SMTP_PASSWORD }
  from: Mauve <alerts@example.org>
sms:
  url: ${gateway.origin}/send
  auth: { bearer_env: MAUVE_TEST_SMS_TOKEN }
  body_template: '{"to": "{to}", "text": "{text}"}'
`,
    );
    bot = await startBotProcess(t, config, {
      MAUVE_TEST_SMTP_PASSWORD: SMTP_PASSWORD,
      MAUVE_TEST_SMS_TOKEN: SMS_TOKEN,
    });
    web1 = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      agentLog.logger,
    );
    web2 = await startAgent(t, dir, "web2", "  []", agentLog.logger);
    await alice.expect(/^RAISED #\d+ web1 disk-full/);
  });

  it("Prosody refuses one agent's publish to another agent's node", async () => {
    const t = server();
    const r = await createPubsub(web2!.session).publish(t.prosody.pubsubJid, "mauve/alerts/web1", {
      data: Buffer.from(
        encodeUpdate(update("web1", [alert("disk-full", { clearTimeS: Math.floor(Date.now() / 1000) })])),
      ).toString("base64"),
      text: "web1: CLEAR disk-full (forged by web2)",
    });
    assert.equal(r.ok ? "published" : r.condition, "forbidden");
  });

  it("AlertBot refuses to hand one agent's node to another", async () => {
    const r = await createProvisioning(web2!.session).requestNodeProvisioning(botJid(), "mauve/alerts/web1");
    assert.equal(r.ok, false);
    await ask(alice, "show", /Disk full/);
  });

  it("AlertBot rejects an update whose source is not its node's, with the reason logged", async () => {
    const t = server();
    const before = bot!.withMsg("update rejected").length;
    const r = await createPubsub(web1!.session).publish(t.prosody.pubsubJid, "mauve/alerts/web1", {
      data: Buffer.from(
        encodeUpdate(update("web2", [alert("spoofed", { summary: "web1 speaking for web2" })])),
      ).toString("base64"),
      text: "web2: RAISE spoofed",
    });
    assert.ok(r.ok, "Prosody takes it: the node is web1's");
    const line = await waitFor("the rejection", () => bot!.withMsg("update rejected")[before]);
    assert.equal(line["reason"], 'source "web2" does not match node "mauve/alerts/web1"');
  });

  it("a stranger can neither ack nor read the audit, status or alert nodes, in chat or in forms", async () => {
    const t = server();
    // The line of web1's alert: AlertBot's own alert about the update refused above may come first.
    const id = Number(/#(\d+)[^\n]*Disk full/.exec(await ask(alice, "show", /Disk full/))![1]);
    await ask(mallory, `ack ${id}`, /only take commands/);
    assert.doesNotMatch(await ask(alice, `detail ${id}`, /disk-full/), /acknowledged|acked by/i, "not acked");
    const pubsub = createPubsub(mallory.session);
    for (const node of [AUDIT_NODE, STATUS_NODE, "mauve/alerts/web1"]) {
      const read = await pubsub.getItems(t.prosody.pubsubJid, node);
      assert.equal(read.ok ? "read" : read.condition, refusedReadCondition(), `${node} items`);
      const sub = await pubsub.subscribe(t.prosody.pubsubJid, node);
      assert.equal(sub.ok && sub.subscription === "subscribed", false, `${node} subscription`);
    }
    const adhoc = createAdhoc(mallory.session);
    assert.deepEqual(await adhoc.listAdhoc(botJid()), { ok: true, commands: [] });
    const form = await adhoc.executeAdhoc(botJid(), "ack");
    assert.equal(form.ok ? form.status : form.condition, "forbidden");
    assert.ok(bot!.withMsg("command from a stranger refused").length >= 1);
  });

  it("writes no secret into any log while SMTP AUTH, the SMS gateway and a component login fail", async () => {
    const t = server();
    // An urgent alert goes to email (535, echoing the password), then at once to SMS (401, echoing the token).
    web1!.change([{ id: "raid", state: "raised", summary: "RAID degraded", importance: 95 }]);
    await waitFor("both channels to fail", () => bot!.withMsg("delivery failed").some((l) => l["channel"] === "sms"));
    const failures = bot!.withMsg("delivery failed").map((l) => String(l["error"]));
    assert.ok(
      failures.some((e) => /SMTP 535 Authentication failed for mauve:\[redacted\]/.test(e)),
      failures.join("\n"),
    );
    assert.ok(
      failures.some((e) => /HTTP 401/.test(e) && e.includes("[redacted]")),
      failures.join("\n"),
    );
    // Someone starts a second AlertBot on the same database: refused the lock before it logs in; it
    // says why, tells the people on call once, and waits for the first to stop (start-failure.ts).
    const second = ChildRun.start(
      "bots/alertbot.ts",
      ["--config", join(dir, "alertbot.yaml")],
      { [BOT_SECRET_ENV]: t.botSecret, MAUVE_TEST_SMTP_PASSWORD: SMTP_PASSWORD, MAUVE_TEST_SMS_TOKEN: SMS_TOKEN },
      "second",
    );
    await second.waitForLog("the second AlertBot refused the lock", (l) =>
      /another AlertBot is using this database/.test(JSON.stringify(l)),
    );
    assert.equal((await second.stop()).code, 0, second.stderr.slice(-2000));

    // Someone starts an AlertBot of their own with the wrong component secret: refused by Prosody
    // at every try (it keeps trying, as for a server that is down), and the secret logged nowhere.
    writeFileSync(
      join(dir, "intruder.yaml"),
      readFileSync(join(dir, "alertbot.yaml"), "utf8").replace(
        /^database: .*$/m,
        `database: ${JSON.stringify(join(dir, "intruder.sqlite"))}`,
      ),
    );
    intruder = ChildRun.start(
      "bots/alertbot.ts",
      ["--config", join(dir, "intruder.yaml")],
      {
        [BOT_SECRET_ENV]: WRONG_COMPONENT_SECRET,
        MAUVE_TEST_SMTP_PASSWORD: SMTP_PASSWORD,
        MAUVE_TEST_SMS_TOKEN: SMS_TOKEN,
      },
      "intruder",
    );
    const refused = await intruder.waitForLog(
      "the intruder to be refused",
      (l) => l["msg"] === "cannot reach the XMPP server; will keep trying (email and SMS still go)",
      20_000,
    );
    assert.match(String(refused["reason"]), /not-authorized/);
    await intruder.waitForLog(
      "the intruder's next try, with why",
      (l) => l["msg"] === "will try the XMPP server again" && /not-authorized/.test(String(l["lastError"])),
      20_000,
    );
    assert.equal((await intruder.stop()).code, 0);

    await bot!.stop();
    const store = Store.open(join(dir, "alertbot.sqlite"));
    const history = store.alerts
      .list("all", 1000)
      .flatMap((a) => store.alerts.history(a.shortId))
      .map((h) => h.detail)
      .join("\n");
    store.close();
    const logs: Array<[string, string]> = [
      ["alertbot stderr", bot!.stderr],
      ["alertbot stdout", bot!.stdout],
      ["intruder stderr", intruder.stderr],
      ["second AlertBot's stderr", second.stderr],
      ["agents' log", agentLog.text()],
      ["Prosody's log", readFileSync(t.prosody.logFile, "utf8")],
      ["alert history", history],
    ];
    assert.ok(bot!.stderr.length > 1000 && history.includes("[redacted]"), "there was something to look at");
    const secrets: Array<[string, string[]]> = [
      ["component secret", forms(t.botSecret)],
      ["wrong component secret", forms(WRONG_COMPONENT_SECRET)],
      ["SMTP password", forms(SMTP_PASSWORD)],
      ["SMS token", forms(SMS_TOKEN)],
      ["agent passwords", [...forms("pw-web1", "web1"), ...forms("pw-web2", "web2")]],
    ];
    for (const [where, text] of logs) {
      for (const [what, leaks] of secrets)
        for (const leak of leaks) assert.ok(!text.includes(leak), `${what} in the ${where}`);
    }
    bot = undefined;
  });
});
