// Two AlertBots as real processes (bots/alertbot.ts with a `failover` section, docs/failover.md)
// against a real Prosody, real agents and real Jabber clients: the active is SIGKILLed in the middle
// of a burst of 2,000 updates while people ack and silence; the standby takes over with the same
// JID, the same alert numbers, the acks and silences in force, and escalations that go on without
// repeating a step. Each test counts updates applied, notices per alert and per person, and prints
// the takeover time (asserted only against a generous bound).
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { Store } from "../../src/store/store.js";
import {
  collectChat,
  perAlert,
  repeats,
  replicaSeq,
  startFailoverBot,
  tookOver,
  TEST_FAILOVER,
  TEST_STANDBY_NAME,
  writeFailoverConfig,
} from "../helpers/failover-bots.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, pagerYaml, PersonClient, runRegisteredAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 20;
const CHANGES = 100; // per agent: 2,000 in all
const ALERTS = 5;
const KILL_AFTER_APPLIED = 300;
const ESCALATE_AFTER_S = 25;
// T, plus the claim, the catch-up and a loaded machine: far above what it takes.
const TAKEOVER_BOUND_MS = 30_000 + TEST_FAILOVER.takeoverAfterMs;

function change(source: string, k: number) {
  const j = k % ALERTS;
  const round = Math.floor(k / ALERTS);
  const raised = (round + (j < 2 ? 1 : 0)) % 2 === 0;
  return { id: `a${j}`, state: raised ? ("raised" as const) : ("cleared" as const), summary: `${source} u${k}` };
}

function mismatches(store: Store, sources: readonly string[]): string[] {
  const wrong: string[] = [];
  for (const s of sources) {
    const final = new Map<string, { state: string; summary: string }>();
    for (let k = 0; k < CHANGES; k++) {
      const c = change(s, k);
      final.set(c.id, { state: c.state, summary: c.summary });
    }
    for (const [id, want] of final) {
      const got = store.alerts.find(s, id);
      if (got?.status !== want.state || got.summary !== want.summary)
        wrong.push(`${s}/${id}: want ${want.state} "${want.summary}", got ${got?.status} "${got?.summary}"`);
    }
  }
  return wrong;
}

describe("failover: two AlertBot processes, the active SIGKILLed mid-burst", function () {
  this.timeout(600_000);
  let dir: string;
  const bots: ChildRun[] = [];
  const agents: RunningAgent[] = [];
  let alice: PersonClient;
  let bob: PersonClient;
  const sources = Array.from({ length: AGENTS }, (_, i) => `host${String(i).padStart(2, "0")}`);

  after(async () => {
    for (const a of agents) await a.stop();
    for (const b of bots) await b.stop();
    await alice?.stop();
    await bob?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const b of bots) {
      process.stderr.write(`\n--- ${b.label} pid ${b.pid} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
      const keep = process.env["MAUVE_KEEP_LOGS"];
      if (keep) writeFileSync(join(keep, `${b.label.replaceAll(" ", "-")}.stderr`), b.stderr);
    }
  });
  // sql storage: internal storage rewrites a whole node on every publish, and the replica log is big.
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });

  it("the standby takes over: same numbers, acks and silences kept, escalations once, at most one notice repeated", async () => {
    dir = tempDir("mauve-failover-kill-");
    const t = server();
    const d = t.prosody.domain;
    const botJid = t.prosody.botJid;
    // Accounts first, one at a time, while the server is idle: prosodyctl on sql storage finds the
    // database locked when Prosody is busy writing.
    for (const s of sources) await t.prosody.register(s, `pw-${s}`);
    alice = await PersonClient.login(t, "alice");
    bob = await PersonClient.login(t, "bob");
    const toAlice = collectChat(alice);
    const toBob = collectChat(bob);
    const body = pagerYaml(d, ESCALATE_AFTER_S);
    const configA = writeFailoverConfig(t, dir, "a", body);
    const configB = writeFailoverConfig(t, dir, "b", body);
    const a = await startFailoverBot(t, configA, "alertbot A");
    bots.push(a);
    // Alone, A claims the JID as soon as the server twice says nobody holds it.
    const firstClaimMs = await tookOver(a, TAKEOVER_BOUND_MS, 0, "jid-free");
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", 30_000);
    const b = await startFailoverBot(t, configB, "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", 30_000);

    await alice.say(botJid, "silence id=a* for 2h because burst test");
    await alice.expect(/^Silence #\d+/, 180_000);
    const agentLog = new LogLines();
    agents.push(
      ...(await Promise.all(
        sources.map((s) =>
          runRegisteredAgent(t, dir, s, `  - { id: page, summary: page from ${s}, state: raised }`, agentLog.logger),
        ),
      )),
    );
    await waitFor("alice to be paged for every host", () => perAlert(toAlice, "RAISED").size === AGENTS, 60_000);
    const pages = [...perAlert(toAlice, "RAISED").keys()].sort((x, y) => x - y);
    // Acks before the burst (5 pages) and during it (5 more): none of these may escalate to bob.
    for (const n of pages.slice(0, 5)) {
      await alice.say(botJid, `ack ${n} because looking`);
      await alice.expect(new RegExp(`#${n} .*acknowledged`), 180_000);
    }

    for (let k = 0; k < CHANGES; k++) agents.forEach((agent, i) => agent.change([change(sources[i]!, k)]));
    // During the burst the replies wait for the replica log: made, not awaited. An ack whose reply
    // never came may be lost with the active (the reply goes only once the ack is in the log).
    for (const n of pages.slice(5, 10)) await alice.say(botJid, `ack ${n} because looking`);
    await alice.say(botJid, "silence id=zz* for 1h because made during the burst");
    await waitFor(
      `${KILL_AFTER_APPLIED} updates applied by A`,
      () => a.withMsg("update applied").length >= KILL_AFTER_APPLIED || a.hasExited,
      60_000,
    );
    // A server stalled for longer than T (the shared test machine) makes B take over before the
    // kill: A then holds its sends, loses the JID and exits 75. Still a takeover; it is reported.
    const stalledOut = a.hasExited;
    if (!stalledOut) await a.crash();
    const killedAt = Date.now();
    const appliedByA = a.withMsg("update applied").length;
    const backlogAtKill = agents.reduce((n, agent) => n + agent.core.backlog(), 0);

    // SIGKILL resets A's connection: the server frees the JID at once and says so to B's pings. A
    // server stalled past T before the kill (see above) makes B claim a silent JID instead.
    const takeoverMs = await tookOver(b, TAKEOVER_BOUND_MS, 0, stalledOut ? "silent-for-takeover-after" : "jid-free");
    const observedMs = Date.now() - killedAt;
    await waitFor("every agent's outbox to drain", () => agents.every((agent) => agent.core.backlog() === 0), 120_000);
    const reader = Store.open(join(dir, "b", "alertbot.sqlite"));
    let ackedInB: number[] = [];
    let ackConfirmed: number | undefined;
    try {
      await waitFor(
        "every alert to reach its last state in B",
        () => mismatches(reader, sources).length === 0,
        120_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}:\n${mismatches(reader, sources).slice(0, 10).join("\n")}`);
      });
      // The same numbers: every page keeps the number alice was paged with.
      for (const [i, s] of sources.entries()) {
        const page = reader.alerts.find(s, "page");
        assert.ok(page && pages.includes(page.shortId), `${s}'s page keeps its number (${i})`);
      }
      const confirmed = pages
        .slice(0, 10)
        .filter((n) => toAlice.some((m) => new RegExp(`^#${n} .*acknowledged`).test(m.body)));
      for (const n of confirmed)
        assert.equal(reader.alerts.get(n)?.ack?.by, "alice", `#${n} was confirmed: still acked`);
      ackedInB = pages.filter((n) => reader.alerts.get(n)?.ack?.by === "alice");
      ackConfirmed = confirmed.length;
    } finally {
      reader.close();
    }
    await waitFor(
      "bob to be told of each unacked page by the escalation",
      () => perAlert(toBob, "ESCALATED").size >= AGENTS - ackedInB.length,
      120_000,
    );
    await alice.barrier(botJid);
    await bob.barrier(botJid);

    const appliedByB = b.withMsg("update applied").length;
    const idsOf = (bot: ChildRun): string[] => bot.withMsg("update applied").map((l) => String(l["transmissionId"]));
    const byB = idsOf(b);
    const byA = new Set(idsOf(a));
    // Applied by A but committed after its last batch reached the log: B's file never had them.
    const reappliedFromA = byB.filter((id) => byA.has(id)).length;
    const raised = perAlert(toAlice, "RAISED");
    const escalated = perAlert(toBob, "ESCALATED");
    const repeated = repeats(raised) + repeats(escalated) + repeats(perAlert(toBob, "ACKED"));
    const stray = [...toAlice, ...toBob].filter((m) => / a\d[: ]/.test(m.body));
    process.stdout.write(
      `      ${stalledOut ? "A LOST THE JID TO A SERVER STALL BEFORE THE KILL; " : ""}` +
        `acks: ${ackConfirmed ?? 0} confirmed, ${ackedInB.length} in force in B; ` +
        `first claim (no active) after ${firstClaimMs} ms; A applied ${appliedByA} updates before SIGKILL ` +
        `(agents' backlog ${backlogAtKill}); takeover: ${takeoverMs} ms by B's measure, ${observedMs} ms from the kill ` +
        `to B's log line, of which ${String(b.withMsg("the active is gone: taking over")[0]?.["goneForMs"])} ms until ` +
        `B claimed (T ${TEST_FAILOVER.takeoverAfterMs} ms, G ${TEST_FAILOVER.graceMs} ms); B applied ${appliedByB} ` +
        `(${reappliedFromA} of them applied by A after its last replicated batch); ` +
        `notices: alice RAISED ${[...raised.values()].reduce((x, y) => x + y, 0)} for ${raised.size} pages, ` +
        `bob ESCALATED ${[...escalated.values()].reduce((x, y) => x + y, 0)} for ${escalated.size}; repeated ${repeated}\n`,
    );
    assert.ok(takeoverMs < TAKEOVER_BOUND_MS);
    assert.equal(new Set(byB).size, byB.length, "B applies no update twice");
    assert.deepEqual(
      [...escalated.keys()].filter((n) => ackedInB.includes(n)),
      [],
      "no acked page escalates",
    );
    assert.equal(escalated.size, AGENTS - ackedInB.length, "each unacked page escalates");
    assert.equal(raised.size, AGENTS);
    assert.ok(repeated <= 1, `at most one notice repeated at the takeover (got ${repeated})`);
    assert.deepEqual(
      stray.map((m) => m.body),
      [],
      "nothing about silenced alerts",
    );

    // The old active, restarted, joins as the standby: its file may hold writes the log never got,
    // so it is rebuilt from the log, and it catches up with B.
    const restarted = await startFailoverBot(t, configA, "alertbot A restarted");
    bots.push(restarted);
    await restarted.waitForLog("A to see B as the active", (l) => l["msg"] === "active seen", 60_000);
    const target = replicaSeq(join(dir, "b", "alertbot.sqlite"));
    await waitFor(
      "the restarted A to catch up with B's log",
      () => restarted.withMsg("replica batch applied").some((l) => Number(l["seq"]) >= target),
      120_000,
    );
    assert.ok(
      restarted.logs.some((l) => /rebuilt from the log/.test(String(l["msg"]))),
      "the killed active's file is rebuilt from the log",
    );
    process.stdout.write(`      restarted A caught up to batch ${target} of the log as the standby\n`);
    assert.equal((await restarted.stop()).code, 0, "the standby stops cleanly");
    assert.equal((await b.stop()).code, 0, "clean stop");
  });
});
