// No split brain (docs/failover.md, "The windows"): two AlertBots as real processes against a real
// Prosody (sql storage, kick_old, a standby component), a real SMTP sink and a real HTTP server as
// the SMS gateway. The active is cut off
// from the server by a relay that stops forwarding (a partition: its writes are accepted, nothing
// comes back), and, in the second test, frozen with SIGSTOP. Once its lease has lapsed it sends
// nothing on any channel, the standby takes over after T and notifies, and the old active, back on
// the network or thawed, finds it lost its JID and exits 75 without sending what it held. Each bot
// mails from its own address and posts SMS to its own gateway path, so the sinks tell whose they got; notices are counted per alert
// and per person. Takeover times are printed, never asserted.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { runAgent } from "../../src/agent/run-agent.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { createChat, type ChatMessage } from "../../src/xmpp/chat.js";
import { startFailoverBot, tookOver, TEST_STANDBY_NAME } from "../helpers/failover-bots.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { HttpSink } from "../helpers/http-sink.js";
import { parseMail, SmtpSink, type CapturedMail } from "../helpers/smtp-sink.js";
import { agentYaml, LogLines, PersonClient, tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

// Small windows keep the test short: T > L, G ≥ L + 1 s (checked at load).
const LEASE_S = 3;
const GRACE_S = 4;
const TAKEOVER_S = 8;
// Generous for a loaded shared machine: what it takes is printed.
const REAL_PROCESS_MS = 120_000;
const SOURCE = "fence1";

/**
 * Writes `<dir>/<name>/alertbot.yaml`: mail from `alerts-<name>@example.org`, SMS posted to
 * `/send/<name>`, the component port `viaPort` if given.
 */
function writeConfig(
  t: TestProsody,
  dir: string,
  name: string,
  body: string,
  sinks: { smtpPort: number; smsOrigin: string },
  viaPort?: number,
) {
  const own = join(dir, name);
  mkdirSync(own, { recursive: true });
  const path = writeBotConfig(
    t,
    own,
    `${body}email:
  smtp: { host: 127.0.0.1, port: ${sinks.smtpPort}, secure: false, timeout: 30s }
  from: Mauve <alerts-${name}@example.org>
sms:
  url: ${sinks.smsOrigin}/send/${name}
  body_template: '{"to": "{to}", "text": "{text}"}'
failover:
  standby_component: ${TEST_STANDBY_NAME}.${t.prosody.domain}
  takeover_after: ${TAKEOVER_S}s
  lease: ${LEASE_S}s
  grace: ${GRACE_S}s
`,
  );
  if (viaPort !== undefined) {
    const direct = `xmpp://127.0.0.1:${t.prosody.componentPort}`;
    const yaml = readFileSync(path, "utf8");
    assert.ok(yaml.includes(direct));
    writeFileSync(path, yaml.replace(direct, `xmpp://127.0.0.1:${viaPort}`));
  }
  return path;
}

/** Every chat message a person got, kept. */
function everything(person: PersonClient): ChatMessage[] {
  const all: ChatMessage[] = [];
  createChat(person.session).onChat((m) => {
    all.push(m);
  });
  return all;
}

/** The notices per "<alert id>" in a list of texts (chat bodies or mail subjects): "RAISED fence1 a2: …" → a2. */
function perAlert(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    const id = raisedId(text);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The alert id of a notice that it is up (chat "ESCALATED #3 fence1 a2: …", subject
 * "[mauve #3] RAISED fence1 a2: …", SMS "#3 RAISED fence1 a2: …").
 */
function raisedId(text: string): string | undefined {
  return new RegExp(`^(?:\\[mauve #\\d+\\] )?(?:#\\d+ )?(?:RAISED|ESCALATED) (?:#\\d+ )?${SOURCE} (\\w+)`).exec(
    text,
  )?.[1];
}

/** The SMS texts one bot posted (`name`), or all of them. */
function texts(sms: HttpSink, name?: string, from = 0): string[] {
  return sms.requests
    .slice(from)
    .filter((r) => name === undefined || r.url === `/send/${name}`)
    .map((r) => (JSON.parse(r.body) as { text: string }).text);
}

function repeats(counts: Map<string, number>): number {
  return [...counts.values()].reduce((n, c) => n + c - 1, 0);
}

function subject(mail: CapturedMail): string {
  return parseMail(mail.raw).headers.get("subject") ?? "";
}

const sender = (name: string) => `alerts-${name}@example.org`;

describe("failover fencing: a partitioned or frozen active sends nothing once its lease lapsed", function () {
  this.timeout(600_000);
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });
  let dir: string;
  let smtp: SmtpSink;
  let sms: HttpSink;
  let relay: TcpRelay;
  let bob: PersonClient;
  let toBob: ChatMessage[];
  let agent: RunningAgent;
  const agentLog = new LogLines();
  const bots: ChildRun[] = [];
  const configs = new Map<string, string>();
  // Who is active after the first test (B) and its standby; the second test freezes that active.
  let active: ChildRun | undefined;

  before(async function () {
    this.timeout(REAL_PROCESS_MS);
    dir = tempDir("mauve-failover-fencing-");
    const t = server();
    const d = t.prosody.domain;
    smtp = await SmtpSink.start();
    sms = await HttpSink.start();
    relay = await TcpRelay.start(t.prosody.componentPort);
    await t.prosody.register(SOURCE, `pw-${SOURCE}`);
    bob = await PersonClient.login(t, "bob");
    toBob = everything(bob);
    // alice reads mail only, bob chat only, carol SMS only: one notice per alert on each channel; no storm limit,
    // whose queueing would hide a notice past the waits.
    const body = `people:
  - { name: alice, jid: alice@${d}, email: alice@example.org, notify: { urgent: [email], normal: [email], low: [email] } }
  - { name: bob, jid: bob@${d}, notify: { urgent: [xmpp], normal: [xmpp], low: [xmpp] } }
  - { name: carol, jid: carol@${d}, sms: "+447700900123", notify: { urgent: [sms], normal: [sms], low: [sms] } }
workgroups:
  - name: pager
    members: [alice, bob, carol]
    escalation:
      normal: { steps: [{ after: 0m, notify: alice }, { after: 0m, notify: bob }, { after: 0m, notify: carol }], reminder: false }
rules:
  - { level: normal, workgroup: pager }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
`;
    const sinks = { smtpPort: smtp.port, smsOrigin: sms.origin };
    configs.set("a", writeConfig(t, dir, "a", body, sinks, relay.port));
    configs.set("b", writeConfig(t, dir, "b", body, sinks));
  });

  after(async () => {
    await agent?.stop();
    for (const b of bots) {
      b.signal("SIGCONT");
      await b.stop();
    }
    await bob?.stop();
    await relay?.close();
    await smtp?.close();
    await sms?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    process.stderr.write(
      `\n--- mails (from, subject) ---\n${smtp.mails.map((m) => `${m.from} ${subject(m)}`).join("\n")}\n` +
        `--- bob's chat ---\n${toBob.map((m) => m.body.split("\n")[0]).join("\n")}\n` +
        `--- carol's SMS (gateway path, text) ---\n${sms.requests.map((r) => `${r.url} ${r.body}`).join("\n")}\n---\n`,
    );
    for (const b of bots)
      process.stderr.write(`\n--- ${b.label} pid ${b.pid} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
  });

  /** Raises `id` at the agent and waits until alice has its mail from `from`, bob its chat and carol its SMS. */
  async function raiseAndSeeTold(id: string, summary: string, from: string): Promise<void> {
    agent.change([{ id, state: "raised", summary }]);
    await waitFor(
      `alice's mail about ${id} from ${from}`,
      () => smtp.mails.some((m) => m.from === from && raisedId(subject(m)) === id),
      REAL_PROCESS_MS,
    );
    await waitFor(`bob's chat about ${id}`, () => toBob.some((m) => raisedId(m.body) === id), REAL_PROCESS_MS);
    await waitFor(`carol's SMS about ${id}`, () => texts(sms).some((x) => raisedId(x) === id), REAL_PROCESS_MS);
  }

  function counts(): {
    mails: Map<string, number>;
    chats: Map<string, number>;
    texts: Map<string, number>;
    repeated: number;
  } {
    const mails = perAlert(smtp.mails.map(subject));
    const chats = perAlert(toBob.map((m) => m.body));
    const sent = perAlert(texts(sms));
    return { mails, chats, texts: sent, repeated: repeats(mails) + repeats(chats) + repeats(sent) };
  }

  it("partition: the cut-off active holds every send, the standby takes over, the old active exits 75 sending nothing", async () => {
    const t = server();
    const a = await startFailoverBot(t, configs.get("a")!, "alertbot A");
    bots.push(a);
    await tookOver(a, REAL_PROCESS_MS, 0, "jid-free"); // alone: the server says nobody holds the JID
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS);
    const b = await startFailoverBot(t, configs.get("b")!, "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);

    agent = await runAgent(
      loadAgentConfig(
        agentYaml(t, dir, SOURCE, `alerts:\n  - { id: a1, summary: before the partition, state: raised }\n`),
        {
          file: "agent.yaml",
          env: {},
        },
      ),
      systemClock,
      agentLog.logger,
    );
    await waitFor(
      "a1 told by A",
      () => smtp.mails.some((m) => m.from === sender("a")) && toBob.some((m) => raisedId(m.body) === "a1"),
      REAL_PROCESS_MS,
    );
    await raiseAndSeeTold("a2", "also before the partition", sender("a"));

    relay.pause();
    const pausedAt = Date.now();
    const markA = a.logs.length;
    const mailsAtPause = smtp.mails.length;
    const smsAtPause = sms.requests.length;
    const markB = b.logs.length;
    await a.waitForLog("A's lease to lapse", (l) => String(l["msg"]).startsWith("lease lapsed"), REAL_PROCESS_MS);
    // Reaches A's socket, never A: the relay holds it. B reads it from the node after its claim.
    agent.change([{ id: "p1", state: "raised", summary: "raised during the partition" }]);
    const takeoverMs = await tookOver(b, REAL_PROCESS_MS, markB, "silent-for-takeover-after");
    const observedMs = Date.now() - pausedAt;
    await waitFor(
      "B's notices about p1",
      () =>
        smtp.mails.some((m) => m.from === sender("b") && raisedId(subject(m)) === "p1") &&
        toBob.some((m) => raisedId(m.body) === "p1") &&
        texts(sms, "b").some((x) => raisedId(x) === "p1"),
      REAL_PROCESS_MS,
    );
    const heldByA = a.hasExited;

    relay.resume();
    await waitFor("A to exit", () => a.hasExited, REAL_PROCESS_MS);
    await bob.barrier(t.prosody.botJid);
    const fromAAfterPause = smtp.mails.slice(mailsAtPause).filter((m) => m.from === sender("a"));
    const smsFromAAfterPause = texts(sms, "a", smsAtPause);
    // What A did with what the relay held: the update it may have applied, and its way out.
    const afterPause = a.logs.slice(markA).map((l) => String(l["msg"]));
    process.stdout.write(`      A after the pause: ${[...new Set(afterPause)].join(" | ")}\n`);
    const c = counts();
    process.stdout.write(
      `      partition: A's lease lapsed, B took over ${takeoverMs} ms by B's measure, ${observedMs} ms from the pause ` +
        `(L ${LEASE_S} s, T ${TAKEOVER_S} s, G ${GRACE_S} s); A ${heldByA ? "had exited before" : "exited after"} the resume ` +
        `with ${JSON.stringify(a.exitStatus)}; mails ${smtp.mails.length} (${fromAAfterPause.length} from A after the pause), ` +
        `SMS ${sms.requests.length} (${smsFromAAfterPause.length} from A after the pause), ` +
        `per alert ${JSON.stringify([...c.mails])}; bob's chat per alert ${JSON.stringify([...c.chats])}; ` +
        `carol's SMS per alert ${JSON.stringify([...c.texts])}; repeated ${c.repeated}\n`,
    );
    assert.deepEqual(fromAAfterPause.map(subject), [], "A mails nothing once it is cut off");
    assert.deepEqual(smsFromAAfterPause, [], "A sends no SMS once it is cut off");
    assert.equal(a.exitStatus?.code, 75, "the old active exits 75");
    assert.equal(c.mails.get("p1"), 1, "alice is mailed about p1 once, by B");
    assert.equal(c.chats.get("p1"), 1, "bob is told of p1 once, by B");
    assert.equal(c.texts.get("p1"), 1, "carol gets one SMS about p1, from B");
    for (const id of ["a1", "a2"]) {
      assert.ok(
        (c.mails.get(id) ?? 0) >= 1 && (c.chats.get(id) ?? 0) >= 1 && (c.texts.get(id) ?? 0) >= 1,
        `${id} was told`,
      );
    }
    assert.ok(c.repeated <= 1, `at most one notice repeated at the takeover (got ${c.repeated})`);
    active = b;
  });

  it("frozen: the SIGSTOPped active, thawed after the takeover, sends nothing and exits 75", async () => {
    assert.ok(active, "the partition test left B active");
    const t = server();
    const frozen = active;
    const repeatedBefore = counts().repeated; // the partition's, allowed there
    // The old active, restarted, joins as the standby (through the relay, forwarding again).
    const standby = await startFailoverBot(t, configs.get("a")!, "alertbot A restarted");
    bots.push(standby);
    await standby.waitForLog("A to see B as the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    await raiseAndSeeTold("f1", "before the freeze", sender("b"));

    frozen.signal("SIGSTOP");
    const frozenAt = Date.now();
    const mailsAtFreeze = smtp.mails.length;
    const smsAtFreeze = sms.requests.length;
    const mark = standby.logs.length;
    const markFrozen = frozen.logs.length;
    // Lands in the frozen B's socket: read, applied and owed to alice and bob once it thaws.
    agent.change([{ id: "f2", state: "raised", summary: "raised while frozen" }]);
    const takeoverMs = await tookOver(standby, REAL_PROCESS_MS, mark, "silent-for-takeover-after");
    const observedMs = Date.now() - frozenAt;
    await waitFor(
      "A's notices about f2",
      () =>
        smtp.mails.some((m) => m.from === sender("a") && raisedId(subject(m)) === "f2") &&
        toBob.some((m) => raisedId(m.body) === "f2") &&
        texts(sms, "a").some((x) => raisedId(x) === "f2"),
      REAL_PROCESS_MS,
    );

    frozen.signal("SIGCONT");
    await waitFor("the thawed B to exit", () => frozen.hasExited, REAL_PROCESS_MS);
    await bob.barrier(t.prosody.botJid);
    const fromBAfterFreeze = smtp.mails.slice(mailsAtFreeze).filter((m) => m.from === sender("b"));
    const smsFromBAfterFreeze = texts(sms, "b", smsAtFreeze);
    const afterThaw = frozen.logs.slice(markFrozen).map((l) => String(l["msg"]));
    process.stdout.write(`      B after the thaw: ${[...new Set(afterThaw)].join(" | ")}\n`);
    const c = counts();
    process.stdout.write(
      `      frozen: A took over ${takeoverMs} ms by A's measure, ${observedMs} ms from the SIGSTOP; thawed B exited ` +
        `${JSON.stringify(frozen.exitStatus)}; ${fromBAfterFreeze.length} mails and ${smsFromBAfterFreeze.length} SMS from B after the freeze; ` +
        `per alert ${JSON.stringify([...c.mails])}; bob's chat per alert ${JSON.stringify([...c.chats])}; ` +
        `carol's SMS per alert ${JSON.stringify([...c.texts])}; repeated ${c.repeated}\n`,
    );
    assert.deepEqual(fromBAfterFreeze.map(subject), [], "the frozen active mails nothing after it thaws");
    assert.deepEqual(smsFromBAfterFreeze, [], "the frozen active sends no SMS after it thaws");
    assert.equal(frozen.exitStatus?.code, 75, "the thawed active exits 75");
    assert.equal(c.mails.get("f2"), 1, "alice is mailed about f2 once");
    assert.equal(c.chats.get("f2"), 1, "bob is told of f2 once");
    assert.equal(c.texts.get("f2"), 1, "carol gets one SMS about f2");
    const repeated = c.repeated - repeatedBefore;
    assert.ok(repeated <= 1, `at most one notice repeated at this takeover (got ${repeated})`);
  });
});
