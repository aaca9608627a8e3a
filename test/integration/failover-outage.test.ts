// Two AlertBots as real processes through a server outage longer than T (docs/failover.md): the
// active loses its stream and exits 75; the standby, whose pings and log reads fail all along, must
// neither exit nor claim anything while the server is away. Back, the active restarted as systemd
// would, the two settle on exactly one active, and a change is mailed once.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { failoverSuite, startFailoverBot, TEST_STANDBY_NAME } from "../helpers/failover-bots.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import type { TestProsody } from "../helpers/prosody.js";
import { parseMail } from "../helpers/smtp-sink.js";
import { LogLines, runRegisteredAgent } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

// Small windows, and an outage several times T.
const TAKEOVER_S = 3;
const LEASE_S = 1;
const GRACE_S = 2;
const OUTAGE_MS = 5 * TAKEOVER_S * 1_000;
const REAL_PROCESS_MS = 120_000;
const SOURCE = "outage1";

function writeConfig(t: TestProsody, dir: string, name: string, smtpPort: number): string {
  const own = join(dir, name);
  mkdirSync(own, { recursive: true });
  return writeBotConfig(
    t,
    own,
    `people:
  - { name: alice, jid: alice@${t.prosody.domain}, email: alice@example.org, notify: { urgent: [email], normal: [email], low: [email] } }
workgroups:
  - { name: pager, members: [alice], escalation: { normal: { steps: [{ after: 0m, notify: alice }], reminder: false } } }
rules:
  - { level: normal, workgroup: pager }
email:
  smtp: { host: 127.0.0.1, port: ${smtpPort}, secure: false, timeout: 30s }
  from: Mauve <alerts-${name}@example.org>
failover:
  standby_component: ${TEST_STANDBY_NAME}.${t.prosody.domain}
  takeover_after: ${TAKEOVER_S}s
  lease: ${LEASE_S}s
  grace: ${GRACE_S}s
`,
  );
}

const subjectOf = (raw: string): string => parseMail(raw).headers.get("subject") ?? "";

describe("failover: a server outage longer than T", function () {
  this.timeout(600_000);
  const suite = failoverSuite("mauve-failover-outage-");
  const { server, bots } = suite;

  it("the standby rides it out without exiting or claiming; afterwards one bot is active and mails once", async () => {
    const { dir, smtp } = suite;
    const t = server();
    await t.prosody.register(SOURCE, `pw-${SOURCE}`);
    const configA = writeConfig(t, dir, "a", smtp.port);
    const configB = writeConfig(t, dir, "b", smtp.port);
    const a = await startFailoverBot(t, configA, "alertbot A");
    bots.push(a);
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS);
    const b = await startFailoverBot(t, configB, "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    const agent = await runRegisteredAgent(
      t,
      dir,
      SOURCE,
      "  - { id: before, summary: before the outage, state: raised }",
      new LogLines().logger,
    );
    suite.agent = agent;
    await waitFor(
      "the mail about 'before'",
      () => smtp.mails.some((m) => /before the outage/.test(subjectOf(m.raw))),
      REAL_PROCESS_MS,
    );

    const markB = b.logs.length;
    await t.prosody.stop();
    await waitFor("A to exit", () => a.hasExited, REAL_PROCESS_MS);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const bLines = b.logs.slice(markB).map((l) => String(l["msg"]));
    assert.equal(b.hasExited, false, `B exited during the outage: ${JSON.stringify(b.exitStatus)}`);
    // Its own lost link is not the active's silence: B no longer tries to claim, it says why.
    assert.ok(
      bLines.includes("standby: its own link is down: the active's silence is not counted"),
      `B knew the silence was its own link's, and said so: ${[...new Set(bLines)].join(" | ")}`,
    );
    assert.ok(!bLines.includes("took over: now the active"), "nothing to take over from while the server is away");

    await t.prosody.start();
    // What systemd does with Restart=always: A comes back, as the standby.
    const a2 = await startFailoverBot(t, configA, "alertbot A restarted");
    bots.push(a2);
    const took = (bot: ChildRun, from: number) =>
      bot.logs.slice(from).some((l) => l["msg"] === "took over: now the active");
    await waitFor("one of them to take over", () => took(b, markB) || took(a2, 0), REAL_PROCESS_MS);
    const mailsBefore = smtp.mails.length;
    agent.change([{ id: "after", state: "raised", summary: "after the outage" }]);
    await waitFor(
      "the mail about 'after'",
      () => smtp.mails.some((m) => /after the outage/.test(subjectOf(m.raw))),
      REAL_PROCESS_MS,
    );
    // A second claim, had there been one, would have closed the first's stream by now.
    await new Promise((r) => setTimeout(r, (GRACE_S + LEASE_S + 2) * 1_000));
    const after = smtp.mails.slice(mailsBefore).filter((m) => /after the outage/.test(subjectOf(m.raw)));
    const active = [b, a2].filter((bot) => !bot.hasExited && took(bot, bot === b ? markB : 0));
    process.stdout.write(
      `      outage ${OUTAGE_MS} ms (T ${TAKEOVER_S} s): A exited ${JSON.stringify(a.exitStatus)}; B ${
        b.hasExited ? `exited ${JSON.stringify(b.exitStatus)}` : "kept running"
      }; active afterwards: ${active.map((x) => x.label).join(", ")}; mails about 'after': ${after.length}\n`,
    );
    assert.equal(a.exitStatus?.code, 75, "the active that lost its stream exits 75");
    assert.equal(active.length, 1, "exactly one active");
    assert.equal(after.length, 1, "alice is mailed once");
    for (const bot of [b, a2])
      assert.ok(!bot.hasExited || bot.exitStatus?.code === 75, `${bot.label} exited ${JSON.stringify(bot.exitStatus)}`);
  });
});
