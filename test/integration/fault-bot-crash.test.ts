// Fault: AlertBot SIGKILLed in the middle of a burst of 2,000 updates from 20 agents, then started
// again. The bot is a real child process (bots/alertbot.ts); the agents are real agents (runAgent)
// with their own XMPP sessions and nodes; alice and bob are real Jabber clients counting messages.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { decodeEscalation } from "../../src/policy/escalation-codec.js";
import { Store } from "../../src/store/store.js";
import { withProsody } from "../helpers/prosody.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { LogLines, pagerYaml, PersonClient, startAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 20;
const CHANGES = 100; // per agent: 2,000 in all
const ALERTS = 5; // a0..a4 per agent, each changed 20 times
const KILL_AFTER_APPLIED = 300;
// Long enough that on a loaded machine all 20 pages are in before the first escalation is due (at
// 25 s, paging them once took longer, and 5 escalations fired before the kill).
const ESCALATE_AFTER_S = 40;
/**
 * An agent that publishes one (silenced) update before the kill and nothing after: whatever the
 * others publish while the bot is down, its node still retains an item the first bot applied, which
 * the restarted bot must read again and recognise. (The burst agents may each publish more than
 * their node retains while the bot is down, leaving nothing of theirs to recognise.)
 */
const STEADY = "steady";

/** Change k of an agent: alert a(k mod 5), flipping every round, with a summary naming k. */
function change(source: string, k: number) {
  const j = k % ALERTS;
  const round = Math.floor(k / ALERTS);
  // a0 and a1 start cleared and end raised; a2..a4 start raised and end cleared.
  const raised = (round + (j < 2 ? 1 : 0)) % 2 === 0;
  return { id: `a${j}`, state: raised ? ("raised" as const) : ("cleared" as const), summary: `${source} u${k}` };
}

/** Where each alert must end: the last change made to it. */
function expectedFinal(source: string): Map<string, { state: "raised" | "cleared"; summary: string }> {
  const final = new Map<string, { state: "raised" | "cleared"; summary: string }>();
  for (let k = 0; k < CHANGES; k++) {
    const c = change(source, k);
    final.set(c.id, { state: c.state, summary: c.summary });
  }
  return final;
}

/** The alerts not (yet) in the state their agent last gave them, described. */
function mismatches(store: Store, sources: readonly string[]): string[] {
  const wrong: string[] = [];
  for (const s of sources) {
    for (const [id, want] of expectedFinal(s)) {
      const got = store.alerts.find(s, id);
      if (got?.status !== want.state || got.summary !== want.summary)
        wrong.push(`${s}/${id}: want ${want.state} "${want.summary}", got ${got?.status} "${got?.summary}"`);
    }
  }
  return wrong;
}

/** Counts messages per alert short id whose body starts with `kind`. */
function perAlert(person: PersonClient, kind: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of person.inbox) {
    const id = new RegExp(`^${kind} #(\\d+)`).exec(m.body)?.[1];
    if (id !== undefined) counts.set(Number(id), (counts.get(Number(id)) ?? 0) + 1);
  }
  return counts;
}

describe("fault: AlertBot killed mid-burst (2,000 updates, 20 agents) and restarted", function () {
  this.timeout(300_000);
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
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const b of bots)
      process.stderr.write(`\n--- alertbot pid ${b.pid} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
  });
  const server = withProsody();

  it("ends with every alert right, no update applied twice, no notice sent twice, escalations fired once", async () => {
    dir = tempDir("mauve-fault-crash-");
    const t = server();
    const d = t.prosody.domain;
    alice = await PersonClient.login(t, "alice");
    bob = await PersonClient.login(t, "bob");
    const config = writeBotConfig(t, dir, pagerYaml(d, ESCALATE_AFTER_S));
    bots.push(await startBotProcess(t, config));
    const botJid = t.prosody.botJid;
    // The burst alerts are silenced: the notices counted are the pages', which no crash may repeat.
    await alice.say(botJid, "silence id=a* for 2h because burst test");
    await alice.expect(/^Silence #\d+/);

    const agentLog = new LogLines();
    agents.push(
      ...(await Promise.all(
        sources.map((s) =>
          startAgent(t, dir, s, `  - { id: page, summary: page from ${s}, state: raised }`, agentLog.logger),
        ),
      )),
      await startAgent(t, dir, STEADY, `  - { id: a0, summary: steady, state: raised }`, agentLog.logger),
    );
    await waitFor(
      "alice to be paged for every host",
      () => perAlert(alice, "RAISED").size === AGENTS || undefined,
      90_000,
    );
    // Pages may come many seconds apart (agents retrying a login or a node creation on a loaded
    // machine or on ejabberd): the first page's escalation falls due first, ESCALATE_AFTER_S after
    // its raise, so the kill is timed from the earliest raise the bot stored.
    const firstRaisedAt = (() => {
      const store = Store.open(join(dir, "alertbot.sqlite"));
      try {
        return Math.min(...sources.map((s) => store.alerts.find(s, "page")?.raisedAt ?? Date.now()));
      } finally {
        store.close();
      }
    })();

    const first = bots[0]!;
    await waitFor(
      `the steady agent's update applied`,
      () => first.withMsg("update applied").some((l) => l["source"] === STEADY),
      60_000,
    );
    const started = Date.now();
    for (let k = 0; k < CHANGES; k++) sources.forEach((s, i) => agents[i]!.change([change(s, k)]));
    // Kill after 300 applied, or in any case well before the escalations fall due (on a slow machine):
    // they must be pending when the bot dies.
    const killBy = firstRaisedAt + (ESCALATE_AFTER_S - 5) * 1000;
    await waitFor(
      `${KILL_AFTER_APPLIED} applied updates`,
      () => first.withMsg("update applied").length >= KILL_AFTER_APPLIED || Date.now() >= killBy,
      60_000,
    );
    await first.crash();
    const appliedBeforeKill = first.withMsg("update applied").length;
    const backlogAtKill = agents.reduce((n, a) => n + a.core.backlog(), 0);
    assert.ok(backlogAtKill > 0, "the burst was still going when the bot died");
    assert.equal(perAlert(bob, "ESCALATED").size, 0, "the kill came before any escalation was due");

    // Agents keep publishing into the void while the bot is down: half of what they still had to send.
    await waitFor(
      "the agents to publish while the bot is down",
      () => agents.reduce((n, a) => n + a.core.backlog(), 0) <= backlogAtKill / 2,
      60_000,
    );
    const restartedAt = Date.now();
    bots.push(await startBotProcess(t, config));
    await waitFor("every agent's outbox to drain", () => agents.every((a) => a.core.backlog() === 0), 60_000);
    const burstMs = Date.now() - started;

    const reader = Store.open(join(dir, "alertbot.sqlite"));
    try {
      await waitFor(
        "every alert to reach its last state",
        () => mismatches(reader, sources).length === 0,
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}:\n${mismatches(reader, sources).slice(0, 10).join("\n")}`);
      });
    } finally {
      reader.close();
    }
    const consistentMs = Date.now() - restartedAt;
    await waitFor(
      "bob to be told of every page by the escalation",
      () => perAlert(bob, "ESCALATED").size === AGENTS || undefined,
      60_000,
    );
    const second = bots[1]!;
    // Whatever the bot sent alice and bob has arrived once it answered them.
    await alice.barrier(t.prosody.botJid);
    await bob.barrier(t.prosody.botJid);
    assert.equal((await second.stop()).code, 0, "clean stop");

    // No notice twice: one RAISED per page for alice, one ESCALATED per page for bob, nothing else.
    const raised = perAlert(alice, "RAISED");
    const escalated = perAlert(bob, "ESCALATED");
    assert.equal(raised.size, AGENTS);
    assert.deepEqual(
      [...raised.values()].filter((n) => n !== 1),
      [],
      "alice got each page once",
    );
    assert.deepEqual(
      [...escalated.values()].filter((n) => n !== 1),
      [],
      "bob got each escalation once",
    );
    assert.deepEqual([...escalated.keys()].sort(), [...raised.keys()].sort(), "the escalations are the pages'");
    const stray = [...alice.inbox, ...bob.inbox].filter((m) => / a\d[: ]/.test(m.body));
    assert.deepEqual(
      stray.map((m) => m.body),
      [],
      "nothing about silenced alerts",
    );

    // No update applied twice: each transmission id logged as applied once, over both lives.
    const appliedIds = bots.flatMap((b) => b.withMsg("update applied").map((l) => String(l["transmissionId"])));
    assert.equal(new Set(appliedIds).size, appliedIds.length, "an update applied twice");
    const duplicates = second.withMsg("duplicate update ignored");
    assert.ok(
      duplicates.some((l) => l["source"] === STEADY),
      "the restarted bot re-read the items retained from before the kill and recognised them",
    );

    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      for (const s of sources) {
        for (const [id, want] of expectedFinal(s)) {
          const a = store.alerts.find(s, id)!;
          assert.equal(a.status, want.state, `${s}/${id}`);
          assert.equal(a.summary, want.summary, `${s}/${id}`);
          const history = store.alerts.history(a.shortId);
          const flips = history.filter((h) => h.kind === "raised" || h.kind === "cleared").map((h) => h.kind);
          assert.ok(
            flips.every((k, i) => k !== flips[i - 1]) && flips[0] === "raised",
            `${s}/${id}: one raise per transition: ${flips.join(",")}`,
          );
          for (const kind of ["raised", "updated"] as const) {
            const details = history.filter((h) => h.kind === kind).map((h) => h.detail);
            assert.equal(new Set(details).size, details.length, `${s}/${id}: an update's ${kind} recorded twice`);
          }
        }
        const page = store.alerts.find(s, "page")!;
        assert.equal(page.status, "raised");
        assert.deepEqual(store.alerts.history(page.shortId).filter((h) => h.kind === "raised").length, 1);
        // The escalation chain is past its last step: nothing more to fire after a further restart.
        assert.equal(decodeEscalation(store.policy.escalation(page.shortId))?.nextStep, 2, `${s}: chain finished`);
        for (const who of ["alice", "bob"])
          assert.deepEqual(store.policy.pending(who, Number.MAX_SAFE_INTEGER), [], `${who}: nothing left pending`);
      }
    } finally {
      store.close();
    }
    const appliedAfter = second.withMsg("update applied").length;
    console.log(
      `      ${AGENTS * CHANGES} updates from ${AGENTS} agents; killed after ${appliedBeforeKill} applied (${backlogAtKill} still queued at agents);` +
        ` after restart ${appliedAfter} applied, ${duplicates.length} retained items recognised as duplicates; burst + recovery ${burstMs} ms,` +
        ` consistent ${consistentMs} ms after the restart began; ${AGENTS} pages, ${AGENTS} escalations, each told once`,
    );
  });
});
