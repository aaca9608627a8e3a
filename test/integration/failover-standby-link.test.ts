// A failover AlertBot as a real process (bots/alertbot.ts) that is not the active: cut off from its
// server it used to retry in silence, where a lone bot raises its link alert by email; SIGHUP
// before it had connected killed it; and it took over with the people of its start-up file
// whatever a reload had asked for meanwhile (docs/failover.md).
import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import { failoverSuite, startFailoverBot, tookOver, writeMailedFailoverConfig } from "../helpers/failover-bots.js";
import { BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { ChildRun } from "../helpers/process-child.js";
import type { TestProsody } from "../helpers/prosody.js";
import { parseMail, type CapturedMail } from "../helpers/smtp-sink.js";
import { LogLines, runRegisteredAgent } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const REAL_PROCESS_MS = 120_000;
const RETRY_LINE = "cannot connect as the standby yet; will retry";

/** A failover config in `<dir>/<name>/`: `people` mailed for everything, host-down grace 2 s. */
function writeConfig(t: TestProsody, dir: string, name: string, smtpPort: number, people: readonly string[]): string {
  return writeMailedFailoverConfig(t, dir, name, smtpPort, people, "host_down: { grace: 2s }\n");
}

const subjectOf = (m: CapturedMail): string => parseMail(m.raw).headers.get("subject") ?? "";

describe("failover: an AlertBot that is not the active", function () {
  this.timeout(600_000);
  const suite = failoverSuite("mauve-failover-standby-link-");
  const { server, bots } = suite;

  it("cut off past the grace, it mails the people on call once, survives SIGHUP, and mails again when back", async () => {
    const { dir, smtp } = suite;
    const t = server();
    const config = writeConfig(t, dir, "cut-off", smtp.port, ["alice"]);
    const cutOff = (m: CapturedMail): boolean => /is cut off from its XMPP server/.test(subjectOf(m));
    const back = (m: CapturedMail): boolean => /is connected to its XMPP server again/.test(subjectOf(m));
    await t.prosody.stop();
    // Started again once, here or at the end: a second start of a running Prosody left the first
    // one's process unowned, and it kept the test run from ending.
    let down = true;
    try {
      const bot = ChildRun.start("bots/alertbot.ts", ["--config", config], { [BOT_SECRET_ENV]: t.botSecret }, "bot");
      bots.push(bot);
      await bot.waitForLog("a first failed try", (l) => l["msg"] === RETRY_LINE, REAL_PROCESS_MS);
      // systemctl reload while it has never connected: Node's default for SIGHUP ended it.
      bot.signal("SIGHUP");
      await bot.waitForLog("SIGHUP logged", (l) => l["signal"] === "SIGHUP", REAL_PROCESS_MS);
      await waitFor("the cut-off mail", () => smtp.mails.some(cutOff), REAL_PROCESS_MS);
      // Two more tries after the mail, each logged: time enough for a second mail, had there been one.
      const mark = bot.logs.length;
      await waitFor(
        "two more tries",
        () => {
          if (bot.hasExited) throw new Error(`the bot exited: ${JSON.stringify(bot.exitStatus)}\n${bot.stderr}`);
          return bot.logs.slice(mark).filter((l) => l["msg"] === RETRY_LINE).length >= 2;
        },
        REAL_PROCESS_MS,
      );
      const told = smtp.mails.filter(cutOff);
      assert.equal(told.length, 1, "once per outage");
      assert.deepEqual(told[0]!.to, ["alice@example.org"]);
      assert.match(parseMail(told[0]!.raw).part("text/plain")?.body ?? "", /a standby/);
      assert.equal(smtp.mails.filter(back).length, 0);

      await t.prosody.start();
      down = false;
      await bot.waitForLog("the standby to run", (l) => l["msg"] === "standby running", REAL_PROCESS_MS);
      await waitFor("the mail saying it is back", () => smtp.mails.some(back), REAL_PROCESS_MS);
      // The SIGHUP that came while it started is handled once it runs.
      await bot.waitForLog(
        "the SIGHUP answered by the standby",
        (l) => l["msg"] === "SIGHUP: the standby reads its configuration file when it takes over",
        REAL_PROCESS_MS,
      );
      await tookOver(bot, REAL_PROCESS_MS);
      assert.equal(smtp.mails.filter(cutOff).length, 1);
      assert.equal(smtp.mails.filter(back).length, 1);
      assert.equal(bot.hasExited, false);
      assert.deepEqual(await bot.stop(), { code: 0, signal: null });
    } finally {
      if (down) await t.prosody.start().catch(() => undefined);
    }
  });

  it("takes over with its configuration file as it is then, not as it was at start", async () => {
    const { dir, smtp } = suite;
    const t = server();
    await t.prosody.register("takeover1", "pw-takeover1");
    const configA = writeConfig(t, dir, "a", smtp.port, ["alice"]);
    const configB = writeConfig(t, dir, "b", smtp.port, ["alice"]);
    const a = await startFailoverBot(t, configA, "alertbot A");
    bots.push(a);
    await tookOver(a, REAL_PROCESS_MS);
    const b = await startFailoverBot(t, configB, "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    // The admin's change, then `systemctl reload`: bob instead of alice.
    writeConfig(t, dir, "b", smtp.port, ["bob"]);
    b.signal("SIGHUP");
    await b.waitForLog(
      "B to answer the SIGHUP",
      (l) => l["msg"] === "SIGHUP: the standby reads its configuration file when it takes over",
      REAL_PROCESS_MS,
    );
    await a.crash();
    await tookOver(b, REAL_PROCESS_MS);
    const read = b.withMsg("configuration read again to take over")[0];
    assert.equal(read?.["people"], 1);
    const agent = await runRegisteredAgent(
      t,
      dir,
      "takeover1",
      "  - { id: after, summary: raised after the takeover, state: raised }",
      new LogLines().logger,
    );
    suite.agent = agent;
    const about = (m: CapturedMail): boolean => /raised after the takeover/.test(subjectOf(m));
    await waitFor("the mail about the alert", () => smtp.mails.some(about), REAL_PROCESS_MS);
    assert.deepEqual(
      smtp.mails.filter(about).flatMap((m) => m.to),
      ["bob@example.org"],
      "the person of the file as it was at takeover",
    );
  });

  it("a file that no longer loads is said at SIGHUP, and at takeover raises AlertBot's own alert, told by email", async () => {
    const { dir, smtp } = suite;
    const t = server();
    const configA = writeConfig(t, dir, "broken-a", smtp.port, ["alice"]);
    const configB = writeConfig(t, dir, "broken-b", smtp.port, ["alice"]);
    const a = await startFailoverBot(t, configA, "alertbot A");
    bots.push(a);
    await tookOver(a, REAL_PROCESS_MS);
    const b = await startFailoverBot(t, configB, "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    // The admin's typo, then `systemctl reload`: a restart of B would exit 78, never to be restarted.
    appendFileSync(configB, "peeple: []\n");
    b.signal("SIGHUP");
    const said = await b.waitForLog(
      "B to say the file has problems",
      (l) => l["msg"] === "the configuration file has problems: fix it before this standby takes over or restarts",
      REAL_PROCESS_MS,
    );
    assert.match(JSON.stringify(said["problems"]), /peeple/);
    await a.crash();
    await tookOver(b, REAL_PROCESS_MS);
    const refused = (m: CapturedMail): boolean => /AlertBot refused its configuration/.test(subjectOf(m));
    await waitFor("the mail about the refused file", () => smtp.mails.some(refused), REAL_PROCESS_MS);
    assert.deepEqual(
      smtp.mails.filter(refused).flatMap((m) => m.to),
      ["alice@example.org"],
    );
  });
});
