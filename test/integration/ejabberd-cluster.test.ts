// A 2-node ejabberd cluster on this machine (issue 18, item 4), every part a real process: agents
// (agents/mauve-agent.ts) logged in on node 1, AlertBot (bots/alertbot.ts) connected as a XEP-0114
// component to node 2 with `xmpp.service` listing node 2, then node 1. Node 2 is stopped: AlertBot
// moves to node 1 and catches up on what the agents published while it was away; node 2 starts
// again and rejoins the cluster. Every update an agent published must be applied exactly once.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../../src/store/store.js";
import { withEjabberdCluster } from "../helpers/ejabberd-cluster.js";
import { ChildRun } from "../helpers/process-child.js";
import { BOT_SECRET_ENV, startBotProcess } from "../helpers/process-bot.js";
import type { TestProsody } from "../helpers/prosody.js";
import { agentYaml, PersonClient, tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

const SOURCES = ["web1", "web2", "web3", "web4"];
// One check per agent, raising or clearing its alert on every run (every second). An agent hands
// on each run alone (two runs of one check in one batch would be coalesced, by design, and two
// checks of one agent can share a batch when a loaded machine delays a run), so each run is one
// published update. Every second agent runs half a second later (its first run lasts 1.5 s; a
// check whose run outlasts its interval runs again at once): some agent publishes in any half
// second. AlertBot reaches node 1 through a relay that refuses it until an agent has published
// while it was away (on a loaded machine a check's run can come late, and the bot's first retry
// may find node 1 within half a second). One a second per node stays well under the 20 items a
// node retains for the whole outage.
const TICKS = ["tick"];
// Real processes on a loaded machine: generous waits, never a timing asserted.
const WAIT_MS = 60_000;

/** The file a check appends one line (its run's wall-clock ms) to per run: line k is "tick k". */
function tickFile(dir: string, source: string, check: string): string {
  return join(dir, `${source}-${check}.ticks`);
}

/** An agent whose check raises or clears it, summary "tick <k>", on every run until `freeze` exists; `late`: half a second later. */
function tickingAgentYaml(t: TestProsody, dir: string, source: string, late: boolean): string {
  const freeze = join(dir, "freeze");
  const checks = TICKS.map((check) => {
    const f = tickFile(dir, source, check);
    const shift = late ? `[ -e ${f} ] || sleep 1.5; ` : "";
    // Odd ticks raise, even ones clear: a check publishes only when its state changes.
    const script =
      `${shift}: >> ${f}; [ -e ${freeze} ] || date +%s%3N >> ${f}; n=$(wc -l < ${f}); ` +
      `echo "tick $n"; [ $((n % 2)) -eq 1 ] && exit 2; exit 0`;
    return `  - id: ${check}\n    command: [/bin/sh, -c, ${JSON.stringify(script)}]\n    interval: 1s\n`;
  }).join("");
  return agentYaml(t, dir, source, `checks:\n${checks}`);
}

/** When each tick of a check was produced (ms since the epoch), tick 1 first. */
function tickTimes(dir: string, source: string, check: string): number[] {
  const text = existsSync(tickFile(dir, source, check)) ? readFileSync(tickFile(dir, source, check), "utf8") : "";
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map(Number);
}

const ACCEPTED = /Accepted external component .* for alertbot\./;
const logTime = (line: Record<string, unknown>): number => Date.parse(String(line["time"]));

describe("ejabberd cluster: agents on node 1, AlertBot on node 2; node 2 stopped and rejoined", function () {
  this.timeout(300_000);
  let dir: string;
  let bot: ChildRun | undefined;
  const agents: ChildRun[] = [];
  let alice: PersonClient | undefined;
  let relay: TcpRelay | undefined;

  // Registered before the cluster's hooks so that it runs before the nodes are stopped.
  after(async () => {
    await alice?.stop().catch(() => undefined);
    await relay?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await bot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const p of [bot, ...agents])
      if (p) process.stderr.write(`\n--- ${p.label} pid ${p.pid} stderr (tail) ---\n${p.stderr.slice(-6000)}\n---\n`);
  });
  const cluster = withEjabberdCluster(2);

  it("AlertBot moves to node 1 and misses nothing; node 2 rejoins and serves again", async () => {
    const began = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - began) / 1000).toFixed(0)} s`);
    dir = tempDir("mauve-ejabberd-cluster-");
    const { cluster: c, servers } = cluster();
    const [one, two] = servers as [TestProsody, TestProsody];
    const node1 = one.prosody;
    const node2 = two.prosody;
    const names = c.nodes.map((n) => n.erlNode.nodeName);
    assert.deepEqual((await c.runningNodes(c.nodes[0]!)).sort(), [...names].sort(), "both nodes in one cluster");

    // AlertBot: node 2's component port first, node 1's next (through the relay).
    relay = await TcpRelay.start(node1.componentPort);
    const botConfig = join(dir, "alertbot.yaml");
    writeFileSync(
      botConfig,
      `xmpp:
  service: [xmpp://127.0.0.1:${node2.componentPort}, xmpp://127.0.0.1:${relay.port}]
  component: ${node2.botJid}
  secret_env: ${BOT_SECRET_ENV}
  pubsub: ${node2.pubsubJid}
database: ${join(dir, "alertbot.sqlite")}
log:
  level: debug
people:
  - { name: alice, jid: alice@${node1.domain} }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
`,
    );
    // The storm limit is lifted: with the default (5 a person per 10 minutes, more than 3 at once a
    // digest) the catch-up at the bot's start and the first ticks could use it all up on digests
    // and clears, and no RAISED line came within the wait (one CI run on a loaded machine; a quiet run gets
    // exactly 5 lines and then nothing).
    alice = await PersonClient.login(one, "alice"); // on node 1: the bot's chat crosses the cluster
    // The agents first, their nodes made: AlertBot adopts them all at its start (the late agent,
    // below, is the newcomer).
    for (const [i, source] of SOURCES.entries()) {
      await node1.register(source, `pw-${source}`);
      const config = join(dir, `${source}.yaml`);
      writeFileSync(config, tickingAgentYaml(one, dir, source, i % 2 === 1));
      agents.push(ChildRun.start("agents/mauve-agent.ts", ["--config", config], {}, `mauve-agent ${source}`));
    }
    for (const a of agents) await a.waitForLog(`${a.label} to run`, (l) => l["msg"] === "mauve-agent running", WAIT_MS);
    bot = await startBotProcess(two, botConfig);
    phase("bot up");
    const botUpAt = Date.now();
    // ejabberd's logger writes a moment later: wait for the line rather than read once.
    const componentOn = (node: typeof node1, what: string) =>
      waitFor(what, async () => ACCEPTED.test(await node.readLog()), WAIT_MS);
    await componentOn(node2, "the bot to be accepted on node 2");
    assert.doesNotMatch(await node1.readLog(), ACCEPTED, "the bot is not on node 1");

    // Published on node 1, delivered to the component on node 2; its chat to alice goes back to node 1.
    const applied = (source: string) =>
      bot!.logs.filter((l) => l["msg"] === "update applied" && l["source"] === source && Number(l["changes"]) > 0);
    await waitFor("three updates of each agent applied", () => SOURCES.every((s) => applied(s).length >= 3), WAIT_MS);
    await alice.expect(/^RAISED #\d+ web\d tick: tick \d+/, WAIT_MS);
    // Judged from one second after the late agents found their phase.
    const apart = await waitFor(
      "every agent's check to run a second time",
      () => {
        const second = SOURCES.map((s) => tickTimes(dir, s, TICKS[0]!)[1] ?? Number.NaN);
        return second.every((t) => !Number.isNaN(t)) && Math.max(...second) + 1_000;
      },
      WAIT_MS,
    );
    // A few seconds of live traffic (the agents' outboxes held what they ran before the bot came).
    await waitFor("a few updates after that", () => Date.now() > Math.max(apart, botUpAt) + 5_000, WAIT_MS);

    // Node 2 goes away under the bot.
    phase("steady");
    const mark = bot.logs.length;
    const after = (msg: string) => (l: Record<string, unknown>) => bot!.logs.indexOf(l) >= mark && l["msg"] === msg;
    const stoppedAt = Date.now();
    relay.cut(); // node 1 refuses the bot until an agent has published while it was away
    await node2.stop();
    const gone = await bot.waitForLog("the bot to lose node 2", after("disconnected"), WAIT_MS);
    await waitFor(
      "an agent to publish while the bot is away",
      () => SOURCES.some((s) => tickTimes(dir, s, TICKS[0]!).some((at) => at > logTime(gone))),
      WAIT_MS,
    );
    relay.restore();
    const back = await bot.waitForLog("the bot to reconnect", after("connected"), WAIT_MS);
    await componentOn(node1, "the bot to be accepted on node 1");
    assert.deepEqual(await c.runningNodes(c.nodes[0]!), [names[0]], "node 1 runs alone");

    // Node 2 starts again on its own spool and rejoins; an agent logging in there reaches the bot on node 1.
    await node2.start();
    await waitFor(
      "node 2 back in the cluster, as both nodes see it",
      async () => (await c.runningNodes(c.nodes[0]!)).length === 2 && (await c.runningNodes(c.nodes[1]!)).length === 2,
      WAIT_MS,
    );
    phase("node 2 back");
    await node2.register("late", "pw-late");
    const lateConfig = join(dir, "late.yaml");
    writeFileSync(
      lateConfig,
      agentYaml(two, dir, "late", "alerts:\n  - { id: joined, summary: via node 2, state: raised }\n"),
    );
    const late = ChildRun.start("agents/mauve-agent.ts", ["--config", lateConfig], {}, "mauve-agent late (node 2)");
    agents.push(late);
    // A newcomer, adopted when the bot sees its presence while it makes its node on the other node.
    await waitFor("the agent on node 2 applied by the bot on node 1", () => applied("late").length > 0, WAIT_MS);

    // Freeze the checks, then wait for the last tick of each to be applied.
    phase("late agent heard");
    writeFileSync(join(dir, "freeze"), "");
    await new Promise((r) => setTimeout(r, 3_000)); // runs already under way finish their line
    const last = new Map(SOURCES.flatMap((s) => TICKS.map((k) => [`${s}/${k}`, tickTimes(dir, s, k).length] as const)));
    const reader = Store.open(join(dir, "alertbot.sqlite"));
    try {
      await waitFor(
        "every check's last tick applied",
        () =>
          [...last].every(([key, n]) => {
            const [source, check] = key.split("/") as [string, string];
            return reader.alerts.find(source, check)?.summary === `tick ${n}`;
          }),
        WAIT_MS,
      );
    } finally {
      reader.close();
    }
    await Promise.all(agents.map((a) => a.stop()));
    const botExit = await bot.stop();
    assert.deepEqual(botExit, { code: 0, signal: null }, "the bot stops cleanly");

    // Every tick in the bot's history exactly once: none missed, none applied twice.
    const store = Store.open(join(dir, "alertbot.sqlite"));
    let published = 0;
    let whileAway = 0;
    const missed: string[] = [];
    const twice: string[] = [];
    try {
      for (const source of SOURCES) {
        for (const check of TICKS) {
          const alert = store.alerts.find(source, check);
          assert.ok(alert, `${source}/${check} known to the bot`);
          const history = store.alerts.history(alert.shortId);
          const times = tickTimes(dir, source, check);
          for (const [i, at] of times.entries()) {
            if (at < apart) continue;
            // The first change of an alert raises it; each later one is an "updated" line with its summary.
            const kind = i === 0 ? "raised" : "updated";
            const seen = history.filter((h) => h.kind === kind && h.detail === `tick ${i + 1}`).length;
            if (seen === 0) missed.push(`${source}/${check} tick ${i + 1}`);
            if (seen > 1) twice.push(`${source}/${check} tick ${i + 1}`);
            if (at >= logTime(gone) && at <= logTime(back)) whileAway++;
          }
          published += times.filter((at) => at >= apart).length;
        }
      }
    } finally {
      store.close();
    }
    assert.ok(whileAway > 0, "some updates were published while the bot was away (else nothing was caught up)");
    assert.deepEqual(missed, [], "updates missed");
    assert.deepEqual(twice, [], "updates applied twice");
    assert.equal(bot.withMsg("stale update ignored").length, 0, "nothing arrived out of order");
    const caughtUp = bot.logs.find(after("caught up from retained items"));
    console.log(
      `      node 2 stopped: bot disconnected after ${logTime(gone) - stoppedAt} ms, online on node 1 ` +
        `${logTime(back) - stoppedAt} ms after the stop began (${logTime(back) - logTime(gone)} ms away); ` +
        `${caughtUp ? `caught up ${String(caughtUp["applied"])} update(s) from retained items ${logTime(caughtUp) - stoppedAt} ms after the stop; ` : ""}` +
        `${published} updates published by ${SOURCES.length} agents, ${whileAway} while the bot was away; ` +
        `missed ${missed.length}, applied twice ${twice.length} (test at: ${phases.join(", ")})`,
    );
  });
});
