// A channel that keeps failing for one person, with the installed AlertBot as a process and a real
// HTTP SMS gateway that refuses: with 401 (a token rotated on one side), or with 200 and an error
// in the body (no credit left), which `sms.success_body` tells from a message sent. Past three
// notices in a row not delivered to alice by SMS, AlertBot raises an alert of its own, which bob
// gets in chat; the next SMS delivered to alice clears it.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { channelAlertId } from "../../src/bot/channel-health.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { HttpSink } from "../helpers/http-sink.js";
import { withProsody } from "../helpers/prosody.js";
import { PersonClient, tempDir } from "../helpers/spine.js";

const TOKEN = "channel-test-token-0123456789";

describe("a notification channel that keeps failing for a person", function () {
  this.timeout(120_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let gateway: HttpSink | undefined;
  const people: PersonClient[] = [];

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
    for (const p of people.splice(0)) await p.stop();
    await bot?.stop();
    bot = undefined;
    await gateway?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const refusals = [
    {
      how: "401",
      answer: { status: 401, body: "bad token" },
      sent: { status: 200 },
      sms: "",
      lastError: /401/,
    },
    {
      how: "200 with an error in the body, told by success_body",
      answer: { status: 200, body: '{"status": "failed", "error": "insufficient credit"}' },
      sent: { status: 200, body: '{"status": "queued"}' },
      sms: `  success_body: '/"status": *"queued"/'\n`,
      lastError: /HTTP 200 .*does not match sms\.success_body.*insufficient credit/,
    },
  ];
  for (const refusal of refusals)
    it(`raises AlertBot's own alert after three SMS in a row fail (${refusal.how}), told to bob in chat; the next SMS delivered clears it`, async () => {
      dir = tempDir("mauve-channel-health-");
      const t = server();
      const d = t.prosody.domain;
      gateway = await HttpSink.start(refusal.sent);
      // Three notices to alice, then AlertBot's own alert to her: all refused.
      gateway.script(refusal.answer, refusal.answer, refusal.answer, refusal.answer);
      const alice = await PersonClient.login(t, "alice");
      const bob = await PersonClient.login(t, "bob");
      people.push(alice, bob);
      const config = writeBotConfig(
        t,
        dir,
        `people:
  - { name: alice, jid: alice@${d}, sms: "+447700900123", notify: { urgent: [sms, xmpp], normal: [sms, xmpp], low: [sms, xmpp] } }
  - { name: bob, jid: bob@${d}, notify: { urgent: [xmpp], normal: [xmpp], low: [xmpp] } }
sms:
  url: ${gateway.origin}/send
  body_template: '{"to": "{to}", "text": "{text}"}'
${refusal.sms}storm: { per_person_limit: 100 per 1m }
http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: backups, token: ${TOKEN}, sources: ["*"] }
`,
      );
      const running = await startBotProcess(t, config);
      bot = running;
      const port = Number(running.withMsg("listening for HTTP")[0]?.["port"]);
      const post = async (id: string): Promise<void> => {
        const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
          body: JSON.stringify({ source: "backup1", alerts: [{ id, summary: `backup ${id} failed` }] }),
        });
        assert.equal(res.status, 200, await res.text());
      };

      for (const [i, id] of ["one", "two", "three"].entries()) {
        await post(id);
        await gateway.received(i + 1);
        // Her SMS refused for good, alice gets the notice in chat at once.
        await alice.expect(new RegExp(`^RAISED #\\d+ backup1 ${id}\\b`));
        await bob.expect(new RegExp(`^RAISED #\\d+ backup1 ${id}\\b`));
      }
      const alertId = channelAlertId("sms", "alice");
      const raised = await running.waitForLog(
        "AlertBot's own alert",
        (l) => l["msg"] === "notices to a person keep failing on a channel: AlertBot's own alert raised",
        30_000,
      );
      assert.equal(raised["alert"], alertId);
      assert.match(String(raised["lastError"]), refusal.lastError);
      const told = await bob.expect(new RegExp(`^RAISED #\\d+ ${t.prosody.botJid.replace(/\./g, "\\.")} ${alertId}`));
      assert.match(told, /alice cannot be reached by SMS: the last 3 notices failed/);
      assert.equal(
        running.withMsg("a notice reached the person on that channel again: AlertBot's own alert cleared").length,
        0,
      );

      // The gateway takes the token again: the next SMS to alice is delivered, and the alert clears.
      await post("four");
      await running.waitForLog(
        "the alert cleared",
        (l) =>
          l["msg"] === "a notice reached the person on that channel again: AlertBot's own alert cleared" &&
          l["alert"] === alertId,
        30_000,
      );
      assert.ok(gateway.requests.length >= 5, `${gateway.requests.length} SMS requests`);
      assert.equal((await running.stop()).code, 0);
      bot = undefined;
    });
});
