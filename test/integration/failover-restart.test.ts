// Two AlertBots as real processes (bots/alertbot.ts with a `failover` section, docs/failover.md)
// restarted in turn, as an admin would, under a steady load of real agents' updates while alice
// acks pages in chat and one alert is silenced: the standby (SIGTERM, started again on its own
// database) comes back as the standby and catches up with the replica log; the active (SIGTERM,
// started again at once, as `systemctl restart` does) hands over to the standby and comes back as
// the standby; then Prosody is stopped for a few seconds: the active exits 75, every exited bot is
// started again as systemd would (Restart=always), and exactly one ends up active. After each turn
// the test counts updates applied (every final state in the active's file, none applied twice) and
// notices per alert and per person (each one the active's file records as sent arrived once, and
// at most one more per takeover), and prints the takeover times, asserted only against generous bounds.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { Store } from "../../src/store/store.js";
import {
  collectChat,
  perAlert,
  replicaSeq,
  SupervisedBot,
  TEST_STANDBY_NAME,
  tookOver,
  writeFailoverConfig,
  type TimedMessage,
} from "../helpers/failover-bots.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, pagerYaml, PersonClient, runRegisteredAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 8;
// Between two changes of one agent: 4 updates a second in all, each a notice to alice.
const PACE_MS = 2_000;
// T well above what a loaded shared machine stalls Prosody for under this load; G ≥ L + 1 s.
const WINDOWS = { takeoverAfterMs: 15_000, leaseMs: 6_000, graceMs: 7_000 };
// T plus the claim, the catch-up and a loaded machine: far above what it takes.
const TAKEOVER_BOUND_MS = WINDOWS.takeoverAfterMs + 60_000;
const REAL_PROCESS_MS = 120_000;
// How long the load runs before each restart.
const LOAD_BEFORE_MS = 6_000;
const PROSODY_DOWN_MS = 5_000;
// As systemd/mauve-alertbot.service: RestartSec=5s.
const RESTART_AFTER_MS = 5_000;
const ESCALATE_AFTER_S = 30;
const ACKED_PAGES = 3;
const SILENCED = { source: "host03", id: "f1" };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Change k of an agent: alert f(k mod 2), raised and cleared in turn, with a summary naming k. */
function flap(source: string, k: number) {
  const raised = Math.floor(k / 2) % 2 === 0;
  return { id: `f${k % 2}`, state: raised ? ("raised" as const) : ("cleared" as const), summary: `${source} u${k}` };
}

/** Each agent changes one of its two alerts every PACE_MS, staggered, until paused. */
class SteadyLoad {
  /** Changes made so far, per agent. */
  readonly made: number[];
  private drivers: Array<Promise<void>> = [];
  private paused = true;

  constructor(
    private readonly agents: readonly RunningAgent[],
    private readonly sources: readonly string[],
  ) {
    this.made = agents.map(() => 0);
  }

  get total(): number {
    return this.made.reduce((x, y) => x + y, 0);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.drivers = this.agents.map((agent, i) => this.drive(agent, i));
  }

  async pause(): Promise<void> {
    this.paused = true;
    await Promise.all(this.drivers);
  }

  private async drive(agent: RunningAgent, i: number): Promise<void> {
    await sleep((i * PACE_MS) / this.agents.length);
    while (!this.paused) {
      agent.change([flap(this.sources[i]!, this.made[i]!)]);
      this.made[i]!++;
      await sleep(PACE_MS);
    }
  }
}

const KIND_OF_WORD: Readonly<Record<string, string>> = {
  RAISED: "raised",
  CLEARED: "cleared",
  ESCALATED: "escalated",
  ACKED: "acked",
  REMINDER: "reminder",
  "ACK EXPIRED": "ack-expired",
  NOTE: "noted",
};

/** "alice raised #12" for a notice alice got ("RAISED #12 host03 f0: …"); undefined for replies. */
function noticeKey(person: string, body: string): string | undefined {
  const m = /^(RAISED|CLEARED|ESCALATED|ACKED|REMINDER|ACK EXPIRED|NOTE) #(\d+) /.exec(body);
  return m ? `${person} ${KIND_OF_WORD[m[1]!]} #${m[2]}` : undefined;
}

function countBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

describe("failover: the standby and the active restarted in turn under load, then Prosody", function () {
  this.timeout(600_000);
  // sql storage: internal storage rewrites a whole node on every publish, and the replica log is busy.
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });
  const sources = Array.from({ length: AGENTS }, (_, i) => `host${String(i).padStart(2, "0")}`);
  let dir: string;
  let botJid: string;
  let alice: PersonClient;
  let bob: PersonClient;
  let toAlice: TimedMessage[];
  let toBob: TimedMessage[];
  const agents: RunningAgent[] = [];
  let load: SteadyLoad;
  let bots: SupervisedBot[] = [];
  let active: SupervisedBot;
  let standby: SupervisedBot;
  /** Takeovers after the first claim: each may repeat one notice. */
  let takeovers = 0;
  let pages: number[] = [];
  let acked: number[] = [];

  before(async function () {
    this.timeout(REAL_PROCESS_MS * 2);
    dir = tempDir("mauve-failover-restart-");
    const t = server();
    const d = t.prosody.domain;
    botJid = t.prosody.botJid;
    // Accounts first, one at a time, while the server is idle (prosodyctl on sql storage).
    for (const s of sources) await t.prosody.register(s, `pw-${s}`);
    alice = await PersonClient.login(t, "alice");
    bob = await PersonClient.login(t, "bob");
    toAlice = collectChat(alice);
    toBob = collectChat(bob);
    const body = pagerYaml(d, ESCALATE_AFTER_S);
    bots = ["a", "b"].map(
      (name) =>
        new SupervisedBot(
          t,
          `alertbot ${name.toUpperCase()}`,
          writeFailoverConfig(t, dir, name, body, WINDOWS),
          join(dir, name, "alertbot.sqlite"),
          RESTART_AFTER_MS,
        ),
    );
    [active, standby] = bots as [SupervisedBot, SupervisedBot];
    await active.start();
    // Alone, A claims the JID once T has passed without an active.
    await tookOver(active.current, TAKEOVER_BOUND_MS);
    await active.current.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", REAL_PROCESS_MS);
    await standby.start();
    await standby.current.waitForLog("B to see the active", (l) => l["msg"] === "active seen", REAL_PROCESS_MS);

    await alice.say(botJid, `silence source=${SILENCED.source} id=${SILENCED.id} for 2h because maintenance`);
    await alice.expect(/^Silence #\d+/, REAL_PROCESS_MS);
    const agentLog = new LogLines();
    agents.push(
      ...(await Promise.all(
        sources.map((s) =>
          runRegisteredAgent(t, dir, s, `  - { id: page, summary: page from ${s}, state: raised }`, agentLog.logger),
        ),
      )),
    );
    const pageNumbers = (): number[] =>
      [...new Set(toAlice.flatMap((m) => /^RAISED #(\d+) host\d+ page:/.exec(m.body)?.[1] ?? []))].map(Number);
    await waitFor("alice to be paged for every host", () => pageNumbers().length === AGENTS, REAL_PROCESS_MS);
    pages = pageNumbers().sort((x, y) => x - y);
    acked = pages.slice(0, ACKED_PAGES);
    for (const n of acked) {
      await alice.say(botJid, `ack ${n} because looking`);
      await alice.expect(new RegExp(`#${n} .*acknowledged`), REAL_PROCESS_MS);
    }
    load = new SteadyLoad(agents, sources);
  });

  after(async () => {
    await load?.pause();
    for (const a of agents) await a.stop();
    for (const b of bots) await b.close();
    await alice?.stop();
    await bob?.stop();
    if (dir && process.env["MAUVE_KEEP_LOGS"]) process.stderr.write(`databases kept in ${dir}\n`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const run of bots.flatMap((b) => b.runs)) {
      process.stderr.write(`\n--- ${run.label} pid ${run.pid} stderr (tail) ---\n${run.stderr.slice(-6000)}\n---\n`);
      const keep = process.env["MAUVE_KEEP_LOGS"];
      if (keep) writeFileSync(join(keep, `${run.label.replaceAll(" ", "-")}.stderr`), run.stderr);
    }
  });

  /** Every alert's last state as the agents made it, against the file at `path`; what differs. */
  function mismatches(store: Store): string[] {
    const wrong: string[] = [];
    for (const [i, s] of sources.entries()) {
      const final = new Map<string, { state: string; summary: string }>();
      for (let k = 0; k < load.made[i]!; k++) {
        const c = flap(s, k);
        final.set(c.id, { state: c.state, summary: c.summary });
      }
      final.set("page", { state: "raised", summary: `page from ${s}` });
      for (const [id, want] of final) {
        const got = store.alerts.find(s, id);
        if (got?.status !== want.state || got.summary !== want.summary)
          wrong.push(`${s}/${id}: want ${want.state} "${want.summary}", got ${got?.status} "${got?.summary}"`);
      }
    }
    return wrong;
  }

  /** The first notice anyone got after `since` (Date.now()), or undefined. */
  function firstNoticeAfter(since: number): number | undefined {
    const ats = [...toAlice, ...toBob].filter((m) => m.at > since && noticeKey("", m.body)).map((m) => m.at);
    return ats.length > 0 ? Math.min(...ats) : undefined;
  }

  /** Waits until exactly one bot is active and the other runs as its standby, for a few seconds on end. */
  async function oneActive(what: string, timeoutMs: number): Promise<void> {
    let since = 0;
    let seen: SupervisedBot | undefined;
    await waitFor(
      what,
      () => {
        const actives = bots.filter((b) => b.isActive);
        const other = bots.find((b) => !b.isActive);
        const settled =
          actives.length === 1 &&
          other !== undefined &&
          !other.current.hasExited &&
          other.current.withMsg("active seen").length > 0;
        if (!settled || actives[0] !== seen) {
          seen = settled ? actives[0] : undefined;
          since = Date.now();
          return false;
        }
        return Date.now() - since >= 3_000;
      },
      { timeoutMs, everyMs: 200 },
    );
    active = seen!;
    standby = bots.find((b) => b !== seen)!;
  }

  /** Waits for the standby's current process to hold every batch the active's file holds now. */
  async function standbyCaughtUp(): Promise<number> {
    const target = replicaSeq(active.databasePath);
    await standby.current.waitForLog(
      `${standby.current.label} to catch up to batch ${target}`,
      (l) => l["msg"] === "replica batch applied" && Number(l["seq"]) >= target,
      REAL_PROCESS_MS,
    );
    return target;
  }

  /**
   * Pauses the load, lets everything settle and counts: every alert's last state in the active's
   * file, no update applied twice (each raise in an alert's history once, none missing), every
   * notice the file records as sent received once (at most one more per takeover so far), nothing
   * about the silenced alert, each acked page unescalated.
   */
  async function account(turn: string): Promise<void> {
    await load.pause();
    await waitFor("every agent's outbox to drain", () => agents.every((a) => a.core.backlog() === 0), REAL_PROCESS_MS);
    const reader = Store.open(active.databasePath);
    try {
      await waitFor("every alert to reach its last state in the active's file", () => mismatches(reader).length === 0, {
        timeoutMs: REAL_PROCESS_MS,
        everyMs: 250,
      }).catch((err: Error) => {
        throw new Error(`${err.message}:\n${mismatches(reader).slice(0, 10).join("\n")}`);
      });
      await alice.barrier(botJid);
      await bob.barrier(botJid);
      await sleep(1_000); // outcomes of the last sends are stored on the next turn of the bot's loop
      const history = reader.alerts.historySince(0, Number.MAX_SAFE_INTEGER);

      // Updates: each raise an agent made is in its alert's history once, in order.
      let twice = 0;
      const twiceShown: string[] = [];
      let missing = 0;
      for (const [i, s] of sources.entries()) {
        for (const id of ["f0", "f1"]) {
          const raises = history.filter((h) => h.source === s && h.alertId === id && h.kind === "raised");
          const made = Array.from({ length: load.made[i]! }, (_, k) => flap(s, k)).filter(
            (c) => c.id === id && c.state === "raised",
          );
          const again = raises.length - new Set(raises.map((h) => h.detail)).size;
          twice += again;
          if (again > 0)
            twiceShown.push(
              `${s}/${id}: ${history
                .filter((h) => h.source === s && h.alertId === id && h.kind !== "notified")
                .slice(-12)
                .map((h) => `${h.kind} ${h.detail} by ${h.actor} at ${new Date(h.at).toISOString().slice(11, 23)}`)
                .join(" | ")}`,
            );
          missing += made.filter((c) => !raises.some((h) => h.detail === c.summary)).length;
        }
      }
      const appliedPerRun = bots
        .flatMap((b) => b.runs)
        .map((run) => ({ run, ids: run.withMsg("update applied").map((l) => String(l["transmissionId"])) }));
      const appliedTwiceByOne = appliedPerRun.filter(({ ids }) => new Set(ids).size !== ids.length);

      // Notices: received against recorded as sent ("raised to alice by xmpp") in the active's file.
      const received = new Map([
        ...countBy(toAlice, (m) => noticeKey("alice", m.body)),
        ...countBy(toBob, (m) => noticeKey("bob", m.body)),
      ]);
      const recorded = countBy(history, (h) => {
        const m = h.kind === "notified" ? /^(\S+) to (\S+) by xmpp/.exec(h.detail) : null;
        return m ? `${m[2]} ${m[1]} #${h.shortId}` : undefined;
      });
      let repeated = 0;
      let lost = 0;
      for (const key of new Set([...received.keys(), ...recorded.keys()])) {
        const diff = (received.get(key) ?? 0) - (recorded.get(key) ?? 0);
        if (diff > 0) repeated += diff;
        else lost -= diff;
      }
      const perPerson = (person: string) => [...received].filter(([k]) => k.startsWith(`${person} `));
      const sum = (entries: Array<[string, number]>) => entries.reduce((n, [, c]) => n + c, 0);
      const alerts = new Set([...received.keys()].map((k) => k.split("#")[1]));
      const silenced = new RegExp(` ${SILENCED.source} ${SILENCED.id}[: ]`);
      const stray = [...toAlice, ...toBob].filter((m) => silenced.test(m.body)).map((m) => m.body);
      const escalated = perAlert(toBob, "ESCALATED");
      const pagesRaised = perAlert(toAlice, "RAISED");
      process.stdout.write(
        `      [${turn}] updates: ${load.total} made, every last state in the active's file; raises in history: ` +
          `${twice} twice, ${missing} missing; applied per process: ` +
          `${appliedPerRun.map(({ run, ids }) => `${run.label} ${ids.length}`).join(", ")}; notices: ` +
          `alice ${sum(perPerson("alice"))}, bob ${sum(perPerson("bob"))}, about ${alerts.size} alerts; ` +
          `recorded as sent ${sum([...recorded])}, repeated ${repeated} (takeovers so far ${takeovers}), lost ${lost}; ` +
          `pages escalated to bob ${escalated.size}\n`,
      );
      assert.equal(twice, 0, `no update applied twice:\n${twiceShown.join("\n")}`);
      assert.equal(missing, 0, "every raise the agents made was applied");
      assert.deepEqual(
        appliedTwiceByOne.map(({ run }) => run.label),
        [],
        "no process applies an update twice",
      );
      assert.equal(lost, 0, "every notice recorded as sent was received");
      assert.ok(repeated <= takeovers, `at most one notice repeated per takeover (${repeated} for ${takeovers})`);
      assert.deepEqual(stray, [], "nothing about the silenced alert");
      for (const n of pages) assert.equal(pagesRaised.get(n), 1, `alice paged once for #${n}`);
      for (const s of sources)
        assert.ok(pages.includes(reader.alerts.find(s, "page")?.shortId ?? -1), `${s}'s page keeps its number`);
      const strangers = [...toAlice, ...toBob].filter((m) => m.from.split("/")[0] !== botJid).map((m) => m.from);
      assert.deepEqual(strangers, [], `every notice and reply comes from ${botJid}`);
      for (const n of acked) {
        assert.equal(reader.alerts.get(n)?.ack?.by, "alice", `#${n} still acked`);
        assert.equal(escalated.get(n), undefined, `acked #${n} never escalated`);
      }
      for (const n of pages.filter((p) => !acked.includes(p))) assert.ok((escalated.get(n) ?? 0) <= 1);
    } finally {
      reader.close();
    }
    load.resume();
  }

  /** The standby, SIGTERMed and started again on its own database: back as the standby, caught up, silent. */
  async function restartStandby(turn: string): Promise<void> {
    load.resume();
    await sleep(LOAD_BEFORE_MS);
    const activeRun = active.current;
    const stoppedAt = Date.now();
    const exit = await standby.stop();
    assert.equal(exit.code, 0, "a standby stops with status 0 on SIGTERM");
    const seqAtStop = replicaSeq(standby.databasePath);
    const run = await standby.start();
    const startSeq = Number(run.withMsg("standby running")[0]?.["seq"]);
    await run.waitForLog(`${run.label} to see the active`, (l) => l["msg"] === "active seen", REAL_PROCESS_MS);
    const target = await standbyCaughtUp();
    const caughtUpMs = Date.now() - stoppedAt;
    process.stdout.write(
      `      [${turn}] ${run.label} stopped (status 0) at batch ${seqAtStop}, started again from batch ${startSeq}` +
        `${run.logs.some((l) => /rebuilt from the log/.test(String(l["msg"]))) ? " (rebuilt from the log)" : ""}, ` +
        `caught up to the active's batch ${target} ${caughtUpMs} ms after the SIGTERM\n`,
    );
    assert.equal(startSeq, seqAtStop, "the standby starts from its own file");
    assert.ok(!activeRun.hasExited && active.isActive, "the active ran on meanwhile");
    assert.equal(run.withMsg("took over: now the active").length, 0, "the restarted standby stays the standby");
    await account(turn);
  }

  it("the standby, restarted under load, comes back as the standby and catches up", async () => {
    await restartStandby("standby restarted");
  });

  it("the active, restarted under load, hands over: same JID, numbers, acks and silence; it rejoins as the standby", async () => {
    load.resume();
    await sleep(LOAD_BEFORE_MS);
    const old = active;
    const next = standby;
    const mark = next.current.logs.length;
    const stoppedAt = Date.now();
    const exit = await old.stop();
    const exitedAt = Date.now();
    assert.equal(exit.code, 0, "the active stops with status 0 on SIGTERM");
    // `systemctl restart`: started again at once, on its own database, while the standby waits.
    const restarting = old.start();
    const takeoverMs = await tookOver(next.current, TAKEOVER_BOUND_MS, mark);
    const observedMs = Date.now() - stoppedAt;
    const firstNotice = await waitFor(
      "a notice from the new active",
      () => firstNoticeAfter(exitedAt),
      REAL_PROCESS_MS,
    );
    await restarting;
    await oneActive("one active and its standby", TAKEOVER_BOUND_MS);
    takeovers++;
    const target = await standbyCaughtUp();
    process.stdout.write(
      `      [active restarted] exit ${exit.code} after ${exitedAt - stoppedAt} ms; takeover ${takeoverMs} ms by ` +
        `${next.current.label}'s measure, ${observedMs} ms from the SIGTERM to its log line, first notice ` +
        `${firstNotice - stoppedAt} ms after the SIGTERM (T ${WINDOWS.takeoverAfterMs} ms, G ${WINDOWS.graceMs} ms); ` +
        `now active: ${active.current.label}; ${standby.current.label} caught up to batch ${target}` +
        `${standby.current.logs.some((l) => /rebuilt from the log/.test(String(l["msg"]))) ? " (rebuilt from the log)" : ""}\n`,
    );
    assert.ok(observedMs < TAKEOVER_BOUND_MS);
    assert.equal(active, next, "the standby is the active");
    await account("active restarted");
  });

  it("the new standby, restarted under load, comes back as the standby and catches up", async () => {
    await restartStandby("standby restarted again");
  });

  it("Prosody restarted: the active exits 75, restarted bots settle on exactly one active, people are told again", async () => {
    const t = server();
    load.resume();
    await sleep(LOAD_BEFORE_MS);
    const old = active.current;
    const marks = new Map(bots.flatMap((b) => b.runs).map((run) => [run, run.logs.length]));
    const downAt = Date.now();
    await t.prosody.stop();
    await sleep(PROSODY_DOWN_MS);
    await t.prosody.start();
    const upAt = Date.now();
    const oldExit = await old.exited;
    await oneActive("exactly one active after the restart", PROSODY_DOWN_MS + TAKEOVER_BOUND_MS + RESTART_AFTER_MS);
    const settledAt = Date.now();
    const claims = bots
      .flatMap((b) => b.runs)
      .flatMap((run) => run.logs.slice(marks.get(run) ?? 0).filter((l) => l["msg"] === "took over: now the active"))
      .map((l) => Date.parse(String(l["time"])));
    takeovers += claims.length;
    // After the claim: a notice Prosody kept for alice while she was away (offline storage) may
    // arrive earlier, when she comes back, and is not the new active's.
    const claimedAt = Math.max(...claims);
    const firstNotice = await waitFor("a notice after the claim", () => firstNoticeAfter(claimedAt), REAL_PROCESS_MS);
    const target = await standbyCaughtUp();
    const rebuilt = standby.current.logs.some((l) => /rebuilt from the log/.test(String(l["msg"])));
    process.stdout.write(
      `      [prosody restarted] down ${upAt - downAt} ms; old active ${old.label} exited ${JSON.stringify(oldExit)}; ` +
        `processes started since: ${bots.flatMap((b) => b.runs).length - marks.size}; claims (took over) ` +
        `${claims.map((at) => at - downAt).join(", ")} ms after the stop; one active (${active.current.label}) settled ` +
        `${settledAt - downAt} ms after the stop; first notice from the new active ` +
        `${firstNotice - downAt} ms after the stop (${firstNotice - upAt} ms after Prosody was back); ${standby.current.label} caught up to batch ${target}` +
        `${rebuilt ? " (rebuilt from the log)" : ""}\n`,
    );
    assert.equal(oldExit.code, 75, "the active that lost its connection exits 75");
    await account("prosody restarted");
  });

  it("at rest, the standby's file holds what the active's holds", async () => {
    await load.pause();
    await waitFor("every agent's outbox to drain", () => agents.every((a) => a.core.backlog() === 0), REAL_PROCESS_MS);
    let last = -1;
    await waitFor(
      "the replica log to go quiet",
      () => {
        const seq = replicaSeq(active.databasePath);
        const quiet = seq === last;
        last = seq;
        return quiet;
      },
      { timeoutMs: REAL_PROCESS_MS, everyMs: 3_000 },
    );
    await standbyCaughtUp();
    await standby.close();
    await active.close();
    const [a, b] = [
      Store.open(active.databasePath, { replicated: true }),
      Store.open(standby.databasePath, { replicated: true }),
    ];
    try {
      const rows = (store: Store) =>
        store.alerts.historySince(0, Number.MAX_SAFE_INTEGER).map((h) => `${h.shortId} ${h.kind} ${h.detail}`);
      const alerts = (store: Store) =>
        sources.flatMap((src) =>
          ["page", "f0", "f1"].map((id) => {
            const r = store.alerts.find(src, id);
            return `${src}/${id} #${r?.shortId} ${r?.status} ${r?.summary} ${r?.ack?.by ?? ""}`;
          }),
        );
      const [historyA, historyB] = [rows(a), rows(b)];
      process.stdout.write(
        `      at rest: active's file at batch ${a.replica!.seq} with ${historyA.length} history lines, ` +
          `standby's at batch ${b.replica!.seq} with ${historyB.length}\n`,
      );
      assert.equal(b.replica!.seq, a.replica!.seq, "the standby holds every batch");
      assert.deepEqual(alerts(b), alerts(a), "the same alerts, numbers, states and acks");
      assert.deepEqual(historyB, historyA, "the same history, line for line");
    } finally {
      a.close();
      b.close();
    }
  });

  it("no bot ever exited but on SIGTERM (0) or on losing the active's connection (75)", async () => {
    const exits = bots.flatMap((b) => b.exits);
    process.stdout.write(
      `      exits: ${exits.map((e) => `${e.label} ${e.exit.code}${e.asked ? " (SIGTERM)" : ""}`).join(", ")}\n`,
    );
    for (const e of exits) assert.equal(e.exit.code, e.asked ? 0 : 75, `${e.label}: ${JSON.stringify(e.exit)}`);
  });
});
