// A standby cut off from its server is not a sign that the active is gone (docs/failover.md,
// "Takeover"). Two AlertBots as real processes against a real Prosody; the standby reaches it
// through a relay that the test pauses (nothing forwarded, nothing closed) for longer than T and
// then resumes. Every ping of the standby failed meanwhile, and it counted that as the active's
// silence: past T it claimed, and the claim's read of the log, answered once the path was back,
// let it kick the healthy active (the first case). Now the active stays the active and the people
// are told of each alert once, by the active. In the second case the standby's keepalive notices
// the cut: it must still tell the people on call, once, and once more when it is back
// (standby-link.ts).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { runAgent } from "../../src/agent/run-agent.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { startFailoverBot, tookOver, TEST_STANDBY_NAME } from "../helpers/failover-bots.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { parseMail, SmtpSink, type CapturedMail } from "../helpers/smtp-sink.js";
import { agentYaml, LogLines, tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

const TAKEOVER_S = 8;
// Longer than T plus two of the standby's 5 s pings: the old code claimed well within it.
const CUT_MS = 2 * TAKEOVER_S * 1_000 + 6_000;
const REAL_PROCESS_MS = 120_000;
const BACK_LINE = "standby: the server answers again: the active's silence is counted from now";
const CLAIM_LINE = "the active is gone: taking over";

/**
 * Writes `<dir>/<name>/alertbot.yaml`: alice mailed for everything, from `alerts-<name>@example.org`;
 * through `via` (the relay), with its keepalive if given.
 */
function writeConfig(
  t: TestProsody,
  dir: string,
  name: string,
  smtpPort: number,
  via?: { port: number; keepalive?: string },
): string {
  const own = join(dir, name);
  mkdirSync(own, { recursive: true });
  const path = writeBotConfig(
    t,
    own,
    `people:
  - { name: alice, jid: alice@${t.prosody.domain}, email: alice@example.org, notify: { urgent: [email], normal: [email], low: [email] } }
host_down: { grace: 2s }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
email:
  smtp: { host: 127.0.0.1, port: ${smtpPort}, secure: false, timeout: 30s }
  from: Mauve <alerts-${name}@example.org>
failover:
  standby_component: ${TEST_STANDBY_NAME}.${t.prosody.domain}
  takeover_after: ${TAKEOVER_S}s
  lease: 3s
  grace: 4s
`,
  );
  if (via !== undefined) {
    const direct = `  service: xmpp://127.0.0.1:${t.prosody.componentPort}\n`;
    const yaml = readFileSync(path, "utf8");
    assert.ok(yaml.includes(direct));
    writeFileSync(
      path,
      yaml.replace(
        direct,
        `  service: xmpp://127.0.0.1:${via.port}\n${via.keepalive ? `  keepalive: ${via.keepalive}\n` : ""}`,
      ),
    );
  }
  return path;
}

const subjectOf = (m: CapturedMail): string => parseMail(m.raw).headers.get("subject") ?? "";
const sender = (name: string): string => `alerts-${name}@example.org`;

describe("failover: a standby cut off from its server", function () {
  this.timeout(600_000);
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });
  let dir: string;
  let smtp: SmtpSink;
  let relay: TcpRelay | undefined;
  let agent: RunningAgent | undefined;
  const bots: ChildRun[] = [];

  before(async () => {
    dir = tempDir("mauve-failover-standby-cut-");
    smtp = await SmtpSink.start();
  });
  after(async () => {
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      const mails = smtp.mails.map((m) => `${m.from} ${subjectOf(m)}`).join("\n");
      process.stderr.write(`\n--- mails (from, subject) ---\n${mails}\n`);
      for (const b of bots)
        process.stderr.write(`\n--- ${b.label} pid ${b.pid} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
    }
    await agent?.stop();
    agent = undefined;
    for (const b of bots.splice(0)) await b.stop();
    await relay?.close();
    relay = undefined;
  });

  /**
   * A active, B its standby through the relay; the relay paused for CUT_MS, then resumed. Checks
   * that B never claims, A is never kicked, and every alert (source `source`) is mailed once, by A.
   * The mails B sent, for the caller to judge.
   */
  async function cutTheStandby(source: string, keepalive?: string): Promise<string[]> {
    const t = server();
    const mailsBefore = smtp.mails.length;
    relay = await TcpRelay.start(t.prosody.componentPort);
    await t.prosody.register(source, `pw-${source}`);
    const a = await startFailoverBot(t, writeConfig(t, dir, `${source}-a`, smtp.port), `${source} A`);
    bots.push(a);
    await tookOver(a, REAL_PROCESS_MS, 0, "jid-free");
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS);
    const via = keepalive === undefined ? { port: relay.port } : { port: relay.port, keepalive };
    const b = await startFailoverBot(t, writeConfig(t, dir, `${source}-b`, smtp.port, via), `${source} B`);
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    const about = (id: string) => (m: CapturedMail) => new RegExp(`RAISED ${source} ${id}\\b`).test(subjectOf(m));

    agent = await runAgent(
      loadAgentConfig(agentYaml(t, dir, source, `alerts:\n  - { id: a1, summary: before the cut, state: raised }\n`), {
        file: "agent.yaml",
        env: {},
      }),
      systemClock,
      new LogLines().logger,
    );
    await waitFor("A's mail about a1", () => smtp.mails.some(about("a1")), REAL_PROCESS_MS);

    relay.pause();
    const cutAt = Date.now();
    const markB = b.logs.length;
    agent.change([{ id: "c1", state: "raised", summary: "raised while the standby is cut off" }]);
    await waitFor("A's mail about c1", () => smtp.mails.some(about("c1")), REAL_PROCESS_MS);
    await sleep(CUT_MS - (Date.now() - cutAt));
    relay.resume();
    const cutForMs = Date.now() - cutAt;

    // Back: B either counts the active's silence afresh (and hears it answer) or, as before, claims.
    const seen = await b.waitForLog(
      "B to be back, or to claim",
      (l) => l["msg"] === BACK_LINE || l["msg"] === CLAIM_LINE,
      REAL_PROCESS_MS,
      markB,
    );
    assert.equal(seen["msg"], BACK_LINE, "the standby does not claim a JID whose holder it could not reach itself");
    if (keepalive !== undefined)
      await waitFor(
        "B to tell alice that it is back",
        () =>
          smtp.mails.some(
            (m) => m.from === sender(`${source}-b`) && /connected to its XMPP server again/.test(subjectOf(m)),
          ),
        REAL_PROCESS_MS,
      );
    // T and more with the link back: a healthy active answers, so nothing is claimed.
    const backAt = Date.now();
    agent.change([{ id: "r1", state: "raised", summary: "raised once the standby is back" }]);
    await waitFor("A's mail about r1", () => smtp.mails.some(about("r1")), REAL_PROCESS_MS);
    await sleep(TAKEOVER_S * 1_000 + 6_000 - (Date.now() - backAt));

    const mails = smtp.mails.slice(mailsBefore);
    process.stdout.write(
      `      cut for ${cutForMs} ms (T ${TAKEOVER_S} s); mails:\n        ` +
        `${mails.map((m) => `${m.from} ${subjectOf(m)}`).join("\n        ")}\n`,
    );
    assert.deepEqual(b.withMsg(CLAIM_LINE), [], "B never claims");
    assert.equal(a.hasExited, false, "A is still running: nobody kicked it");
    for (const id of ["a1", "c1", "r1"])
      assert.deepEqual(
        mails.filter(about(id)).map((m) => m.from),
        [sender(`${source}-a`)],
        `alice is mailed about ${id} once, by the active`,
      );
    return mails.filter((m) => m.from === sender(`${source}-b`)).map(subjectOf);
  }

  it("a cut nothing closed, longer than T: the standby does not claim when its path is back", async () => {
    // The keepalive's 30 s outlast the cut: B's session never notices, its pings just go unanswered.
    const fromB = await cutTheStandby("cut1");
    assert.deepEqual(fromB, [], "the standby sends nothing");
  });

  it("a cut its keepalive notices: no claim either, and the people on call are told it was cut off, once", async () => {
    const fromB = await cutTheStandby("cut2", "4s");
    assert.deepEqual(
      fromB.map((s) => /is cut off from its XMPP server|is connected to its XMPP server again/.exec(s)?.[0] ?? s),
      ["is cut off from its XMPP server", "is connected to its XMPP server again"],
      "cut off, then back: each told once",
    );
  });
});

async function sleep(ms: number): Promise<void> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}
