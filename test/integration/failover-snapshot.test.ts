// Two AlertBots as real processes (bots/alertbot.ts with a `failover` section, docs/failover.md)
// and a replica log that keeps only LOG_ITEMS batches, so the log rolls within seconds of real
// agents' updates. A standby the log no longer reaches must not be lost as a standby: it asks the
// active for a snapshot of its database, swaps it in and follows the log from there.
// (a) The standby is stopped while the active writes more batches than the log keeps; started
//     again, it rebuilds from the active's snapshot and holds the same alerts as the active.
// (b) The active is SIGKILLed (its file unclean: it must be rebuilt); the standby takes over; the
//     killed one, restarted once the log has rolled, rebuilds from the new active's snapshot and is
//     a working standby: killed in turn, the new active is taken over by it, with the same alerts
//     and the alert numbers going on.
// (c) With nobody active and the log long rolled, a bot whose file nothing can bring up to date
//     takes over with it rather than leave the bus silent; the other rebuilds from its snapshot.
// (d) The active SIGKILLed while the standby is down and the log has rolled: restarted alone, its
//     unclean file is the only copy, so it takes over with it at once and keeps every alert.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import {
  collectChat,
  replicaSeq,
  startFailoverBot,
  TEST_STANDBY_NAME,
  tookOver,
  writeFailoverConfig,
  type TimedMessage,
} from "../helpers/failover-bots.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { createSnapshotClient } from "../../src/xmpp/replica-snapshot.js";
import { agentYaml, LogLines, PersonClient, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 3;
// The smallest the config allows: a few seconds of this test's load roll it.
const LOG_ITEMS = 10;
const WINDOWS = { takeoverAfterMs: 15_000, leaseMs: 6_000, graceMs: 7_000, logItems: LOG_ITEMS };
const TAKEOVER_BOUND_MS = WINDOWS.takeoverAfterMs + 60_000;
const REAL_PROCESS_MS = 120_000;
// Between two changes made by the load (round robin over the agents).
const PACE_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The rows people care about, in order: alerts, their history, silences. */
function alertRows(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return JSON.stringify(
      ["alerts", "alert_history", "silences"].map((table) => db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()),
    );
  } finally {
    db.close();
  }
}

/** Each alert's number, name and state. */
function alertNumbers(path: string): Array<{ short_id: number; source: string; alert_id: string; status: string }> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT short_id, source, alert_id, status FROM alerts ORDER BY short_id").all() as Array<{
      short_id: number;
      source: string;
      alert_id: string;
      status: string;
    }>;
  } finally {
    db.close();
  }
}

describe("failover: a standby the replica log no longer reaches rebuilds from the active's snapshot", function () {
  this.timeout(900_000);
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });
  const sources = Array.from({ length: AGENTS }, (_, i) => `snap${i}`);
  let dir: string;
  let alice: PersonClient;
  let toAlice: TimedMessage[];
  const agents: RunningAgent[] = [];
  const runs: ChildRun[] = [];
  const config: Record<"a" | "b", string> = { a: "", b: "" };
  const database = (name: "a" | "b"): string => join(dir, name, "alertbot.sqlite");
  let changes = 0;

  /** `count` changes, round robin over the agents: each raises or clears one of ten alerts. */
  async function load(count: number): Promise<void> {
    for (let i = 0; i < count; i++, changes++) {
      const k = changes;
      const source = sources[k % AGENTS]!;
      const raised = Math.floor(k / AGENTS / 10) % 2 === 0;
      agents[k % AGENTS]!.change([
        { id: `a${Math.floor(k / AGENTS) % 10}`, state: raised ? "raised" : "cleared", summary: `${source} c${k}` },
      ]);
      await sleep(PACE_MS);
    }
  }

  async function start(name: "a" | "b"): Promise<ChildRun> {
    const run = await startFailoverBot(server(), config[name], `alertbot ${name.toUpperCase()} #${runs.length + 1}`);
    runs.push(run);
    return run;
  }

  /** Waits until the log has rolled past `seq`: the active's file is more than LOG_ITEMS batches on. */
  async function rolledPast(activeName: "a" | "b", seq: number): Promise<void> {
    await waitFor(
      `the replica log to roll past batch ${seq}`,
      async () => {
        if (replicaSeq(database(activeName)) > seq + LOG_ITEMS + 2) return true;
        await load(AGENTS);
        return false;
      },
      REAL_PROCESS_MS * 2,
    );
  }

  /** Waits until the standby's file holds the same alerts as the active's. */
  async function sameAlerts(what: string): Promise<void> {
    await waitFor(what, () => alertRows(database("a")) === alertRows(database("b")), {
      timeoutMs: REAL_PROCESS_MS,
      everyMs: 500,
    });
  }

  before(async function () {
    this.timeout(REAL_PROCESS_MS * 2);
    dir = tempDir("mauve-failover-snapshot-");
    const t = server();
    const d = t.prosody.domain;
    for (const s of sources) await t.prosody.register(s, `pw-${s}`);
    alice = await PersonClient.login(t, "alice");
    toAlice = collectChat(alice);
    const body = `people:
  - { name: alice, jid: alice@${d} }
workgroups:
  - name: pager
    members: [alice]
    escalation:
      normal: { steps: [{ after: 0m, notify: alice }], reminder: false }
rules:
  - { level: normal, workgroup: pager }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
`;
    config.a = writeFailoverConfig(t, dir, "a", body, WINDOWS);
    config.b = writeFailoverConfig(t, dir, "b", body, WINDOWS);
  });

  after(async () => {
    for (const a of agents) await a.stop();
    for (const run of runs) await run.stop(30_000);
    await alice?.stop();
    if (dir && process.env["MAUVE_KEEP_LOGS"]) process.stderr.write(`databases kept in ${dir}\n`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const run of runs)
      process.stderr.write(`\n--- ${run.label} pid ${run.pid} stderr (tail) ---\n${run.stderr.slice(-6000)}\n---\n`);
  });

  it("(a) a standby down while the log rolled rebuilds from the active's snapshot", async () => {
    const t = server();
    const a = await start("a");
    await tookOver(a, TAKEOVER_BOUND_MS);
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS);
    // Only the configured standby may have the database.
    const asAlice = createSnapshotClient(alice.session, t.prosody.botJid, {
      offerTimeoutMs: 30_000,
      chunkTimeoutMs: 30_000,
    });
    await assert.rejects(asAlice.offer(), /forbidden/);
    await assert.rejects(asAlice.chunk("0", 0), /forbidden/);
    let b = await start("b");
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    const agentLog = new LogLines();
    agents.push(
      ...(await Promise.all(
        sources.map((s) =>
          runAgent(
            loadAgentConfig(agentYaml(t, dir, s), { file: "agent.yaml", env: {} }),
            systemClock,
            agentLog.logger,
          ),
        ),
      )),
    );
    await load(4 * AGENTS);
    await sameAlerts("B to follow A through the log");

    const stoppedAt = replicaSeq(database("b"));
    assert.deepEqual(await b.stop(30_000), { code: 0, signal: null });
    await rolledPast("a", stoppedAt);
    b = await start("b");
    const rebuilt = await b.waitForLog(
      "B to rebuild from A's snapshot",
      (l) => l["msg"] === "rebuilt from the active's snapshot",
      REAL_PROCESS_MS,
    );
    process.stderr.write(
      `      B rebuilt from A's snapshot: seq ${String(rebuilt["seq"])}, ${String(rebuilt["sizeBytes"])} bytes, ${String(rebuilt["tookMs"])} ms (stopped at ${stoppedAt})\n`,
    );
    assert.ok(Number(rebuilt["seq"]) > stoppedAt + LOG_ITEMS);
    assert.equal(a.withMsg("replica snapshot made for the standby").length, 1);
    await load(2 * AGENTS);
    await sameAlerts("B, rebuilt, to hold A's alerts");
    assert.equal(
      b.withMsg("cannot take over: this database lacks part of the log, and no snapshot came from the active").length,
      0,
    );
    assert.equal(b.withMsg("took over: now the active").length, 0, "B stays the standby");
  });

  it("(b) the killed active, restarted after the log rolled, rebuilds from the new active's snapshot and can take over again", async () => {
    const a = runs.find((r) => r.label.startsWith("alertbot A"))!;
    const b = runs.at(-1)!;
    const killedAt = replicaSeq(database("a"));
    const mark = b.logs.length;
    await a.crash();
    const takeoverMs = await tookOver(b, TAKEOVER_BOUND_MS, mark);
    await b.waitForLog("B to run as the active", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS, mark);
    await load(2 * AGENTS);
    await rolledPast("b", killedAt);

    const a2 = await start("a");
    await a2.waitForLog(
      "the restarted A to wipe its unclean file",
      (l) => String(l["msg"]).startsWith("this database was last written as the active"),
      REAL_PROCESS_MS,
    );
    const rebuilt = await a2.waitForLog(
      "the restarted A to rebuild from B's snapshot",
      (l) => l["msg"] === "rebuilt from the active's snapshot",
      REAL_PROCESS_MS,
    );
    process.stderr.write(
      `      B took over in ${takeoverMs} ms; restarted A rebuilt from B's snapshot: seq ${String(rebuilt["seq"])}, ${String(rebuilt["sizeBytes"])} bytes, ${String(rebuilt["tookMs"])} ms (killed at ${killedAt})\n`,
    );
    await a2.waitForLog("A to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    await load(2 * AGENTS);
    await sameAlerts("A, rebuilt, to hold B's alerts");

    // A is a working standby: kill B, A takes over with the same alerts, and numbers go on.
    const before = alertNumbers(database("b"));
    const highest = Math.max(...before.map((r) => r.short_id));
    const markA = a2.logs.length;
    await b.crash();
    await tookOver(a2, TAKEOVER_BOUND_MS, markA);
    await a2.waitForLog("A to run as the active again", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS, markA);
    assert.deepEqual(
      alertNumbers(database("a")).slice(0, before.length),
      before,
      "A took over with every alert B had, numbered alike, in the same state",
    );
    agents[0]!.change([{ id: "after-snapshot", state: "raised", summary: "raised after two takeovers" }]);
    const raised = await waitFor(
      "alice to be told about an alert raised after the second takeover",
      () => toAlice.find((m) => /^RAISED #\d+ snap0 after-snapshot/.test(m.body)),
      REAL_PROCESS_MS,
    );
    const number = Number(/#(\d+)/.exec(raised.body)?.[1]);
    assert.ok(number > highest, `the new alert is #${number}, after the ${highest} alerts before it`);
  });

  it("(c) with no active to ask, a standby the log no longer reaches takes over with its own file after another T; the other rebuilds from it", async () => {
    const a2 = runs.filter((r) => r.label.startsWith("alertbot A")).at(-1)!;
    await load(2 * AGENTS);
    // A clean stop: A's file holds the whole log; nobody holds the JID.
    assert.deepEqual(await a2.stop(30_000), { code: 0, signal: null });
    const newest = replicaSeq(database("a"));
    // B was SIGKILLed as the active: its file is unclean, and item 1 is long gone. Nothing can
    // bring it up to date and nobody is active: rather than a silent bus, B takes over with its
    // own file, after another T (it lacks batches the log has seen: A, had it started, would go first).
    const b3 = await start("b");
    const ready = await b3.waitForLog(
      "B to say it will take over with its own file",
      (l) => String(l["msg"]).startsWith("no active, and nothing can bring this database up to date"),
      REAL_PROCESS_MS,
    );
    assert.ok(b3.withMsg("no snapshot from the active; will ask again").length >= 1);
    assert.equal(
      b3.withMsg(
        "this database was last written as the active and may hold writes the log never got: rebuilt from the log",
      ).length,
      0,
      "its file is kept: the log could not rebuild it",
    );
    await tookOver(b3, TAKEOVER_BOUND_MS + WINDOWS.takeoverAfterMs);
    const claimed = b3.withMsg(
      "taking over with this database as it stands: what another AlertBot decided after its batch, if anything, is missing",
    );
    assert.equal(claimed.length, 1);
    assert.ok(Number(ready["seq"]) < newest, `B lacked batches (${String(ready["seq"])} < ${newest})`);
    agents[1]!.change([{ id: "b-alone", state: "raised", summary: "raised with B on its own file" }]);
    await waitFor(
      "alice to be told by B on its own file",
      () => toAlice.some((m) => /^RAISED #\d+ snap1 b-alone/.test(m.body)),
      REAL_PROCESS_MS,
    );

    // A, started again with the newer file, is not followed on top of B's line: the hole B left
    // after the log's newest batch makes it rebuild from B's snapshot.
    const a3 = await start("a");
    const rebuilt = await a3.waitForLog(
      "A to rebuild from B's snapshot",
      (l) => l["msg"] === "rebuilt from the active's snapshot",
      REAL_PROCESS_MS,
    );
    process.stderr.write(
      `      B took over with its own file (seq ${String(ready["seq"])}, the log at ${newest}); A rebuilt from B's snapshot: seq ${String(rebuilt["seq"])}, ${String(rebuilt["tookMs"])} ms\n`,
    );
    await load(2 * AGENTS);
    await sameAlerts("A, rebuilt, to hold B's alerts");
    assert.equal(a3.withMsg("took over: now the active").length, 0);
  });

  it("(d) the active SIGKILLed while the standby is down, the log long rolled: restarted alone, it takes over with its own file at once", async () => {
    // Where (c) left things: B active, A its standby.
    const a3 = runs.filter((r) => r.label.startsWith("alertbot A")).at(-1)!;
    const b3 = runs.filter((r) => r.label.startsWith("alertbot B")).at(-1)!;
    assert.deepEqual(await a3.stop(30_000), { code: 0, signal: null });
    const seqAtStop = replicaSeq(database("a"));
    await rolledPast("b", seqAtStop);
    const before = alertNumbers(database("b"));
    await b3.crash();
    // B restarted with nobody to ask: its unclean file holds everything the log ever had, and more.
    const b4 = await start("b");
    await tookOver(b4, TAKEOVER_BOUND_MS);
    const claimed = b4.withMsg(
      "taking over with this database as it stands: what another AlertBot decided after its batch, if anything, is missing",
    );
    assert.equal(claimed.length, 1);
    assert.equal(
      b4.withMsg(
        "no active, and nothing can bring this database up to date: taking over with it as it stands unless an active appears",
      ).length,
      0,
      "it lacks nothing the log has seen: no second wait",
    );
    assert.deepEqual(alertNumbers(database("b")).slice(0, before.length), before, "every alert kept, numbered alike");
    agents[2]!.change([{ id: "after-double", state: "raised", summary: "raised after a double failure" }]);
    await waitFor(
      "alice to be told after the double failure",
      () => toAlice.some((m) => /^RAISED #\d+ snap2 after-double/.test(m.body)),
      REAL_PROCESS_MS,
    );
    const a4 = await start("a");
    await a4.waitForLog(
      "A to rebuild from B's snapshot",
      (l) => l["msg"] === "rebuilt from the active's snapshot",
      REAL_PROCESS_MS,
    );
    await load(2 * AGENTS);
    await sameAlerts("A, rebuilt, to hold B's alerts");
  });
});
