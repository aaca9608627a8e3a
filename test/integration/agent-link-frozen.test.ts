// mauve-agent (the installed entry point, as a process) whose link to the server stops carrying
// anything without closing: a frozen path (nothing either way), or a half-dead one (the server's
// stanzas still arrive, the agent's are lost). Its changes meanwhile wait in its outbox. It must
// notice by its keepalive, drop the link, reconnect, and publish every change, in order, once each.
// XEP-0198 acks alone did not do it: xmpp.js clears its ack timeout at any incoming element, so on
// a half-dead link the agent waited for good, and on a frozen one it waited out the ack timeout.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { startAgentProcess } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { agentYaml, LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

/** Steps made while the link is dead: each raises one check and clears the one before. */
const STEPS = 4;

/** The flag file that fails check `c<i>` of `source` while it exists. */
const flagOf = (dir: string, source: string, i: number): string => join(dir, `${source}-c${i}-down`);

/**
 * Writes an agent config for `source` (its account registered) reaching the server at `services`,
 * with a 2 s keepalive and one check per step, failing while its flag exists.
 */
async function writeAgentConfig(t: TestProsody, dir: string, source: string, services: string[]): Promise<string> {
  await t.prosody.register(source, `pw-${source}`);
  const checks = Array.from(
    { length: STEPS },
    (_, i) => `  - id: c${i}
    command: [/bin/sh, -c, "if [ -e ${flagOf(dir, source, i)} ]; then echo c${i} is down; exit 2; fi; echo ok"]
    interval: 1s
`,
  ).join("");
  const yaml = agentYaml(t, dir, source, `log:\n  level: debug\nchecks:\n${checks}`);
  const direct = `  service: xmpp://127.0.0.1:${t.prosody.c2sPort}\n`;
  assert.ok(yaml.includes(direct));
  const path = join(dir, `${source}.yaml`);
  writeFileSync(path, yaml.replace(direct, `  service: [${services.join(", ")}]\n  keepalive: 2s\n`));
  return path;
}

/** Raises c0..c<STEPS-1> in turn, clearing the one before, each seen by the agent before the next. */
async function makeSteps(agent: ChildRun, dir: string, source: string): Promise<void> {
  for (let i = 0; i < STEPS; i++) {
    writeFileSync(flagOf(dir, source, i), "");
    await agent.waitForLog(`c${i} raised`, (l) => l["msg"] === "check raised" && l["check"] === `c${i}`, 30_000);
    if (i === 0) continue;
    rmSync(flagOf(dir, source, i - 1));
    await agent.waitForLog(
      `c${i - 1} cleared`,
      (l) => l["msg"] === "check cleared" && l["check"] === `c${i - 1}`,
      30_000,
    );
  }
}

/** Asserts the bot applied every step of `source` once, in the order the agent made them. */
function assertTrail(bot: RunningBot, source: string): void {
  let lastRaise = 0;
  for (let i = 0; i < STEPS; i++) {
    const alert = bot.store.alerts.find(source, `c${i}`);
    assert.ok(alert, `c${i} reached the bot`);
    const kinds = bot.store.alerts.history(alert.shortId).filter((h) => h.kind === "raised" || h.kind === "cleared");
    assert.deepEqual(
      kinds.map((h) => h.kind),
      i < STEPS - 1 ? ["raised", "cleared"] : ["raised"],
      `c${i}: applied once`,
    );
    assert.ok(kinds[0]!.id > lastRaise, `c${i} applied after c${i - 1}`);
    lastRaise = kinds[0]!.id;
  }
}

/** Whether every step has reached the bot: the last raised, the one before it cleared. */
function allArrived(bot: RunningBot, source: string): boolean {
  return (
    bot.store.alerts.find(source, `c${STEPS - 1}`)?.status === "raised" &&
    bot.store.alerts.find(source, `c${STEPS - 2}`)?.status === "cleared"
  );
}

describe("mauve-agent whose link stops carrying anything without closing", function () {
  this.timeout(300_000);
  const server = withProsody();
  let dir: string;
  let botLog: LogLines;
  let bot: RunningBot | undefined;
  let agent: ChildRun | undefined;
  let relay: TcpRelay | undefined;
  let alice: PersonClient | undefined;

  before(async () => {
    dir = tempDir("mauve-agent-link-frozen-");
    botLog = new LogLines();
    bot = await startBot(server(), dir, ["alice"], botLog.logger);
  });
  after(async () => {
    await alice?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && agent)
      process.stderr.write(`\n--- mauve-agent stderr (tail) ---\n${agent.stderr.slice(-8000)}\n---\n`);
    await agent?.stop();
    agent = undefined;
    await relay?.close();
    relay = undefined;
  });

  /** Starts the agent for `source` and waits until the bot has its start-up state. */
  async function start(source: string, services: (relayPort: number) => string[]): Promise<ChildRun> {
    const t = server();
    relay = await TcpRelay.start(t.prosody.c2sPort);
    const path = await writeAgentConfig(t, dir, source, services(relay.port));
    const child = await startAgentProcess(path);
    agent = child;
    await waitFor(
      "the bot to apply the agent's start-up state",
      () => botLog.lines.some((l) => l["msg"] === "update applied" && l["source"] === source),
      60_000,
    );
    return child;
  }

  // The agent reconnects (logged after `mark`), every step reaches the bot once and in order, and
  // the agent then stops cleanly.
  const reconnectsAndDeliversInOrder = async (running: ChildRun, source: string, mark: number): Promise<void> => {
    await running.waitForLog(
      "the reconnection",
      (l) => l["msg"] === "reconnected; republishing full state after the backlog",
      120_000,
      mark,
    );
    await waitFor("every change to reach the bot", () => allArrived(bot!, source), 120_000);
    assertTrail(bot!, source);
    assert.deepEqual(
      botLog.withMsg("stale update ignored").filter((l) => l["source"] === source),
      [],
      "nothing arrived out of order",
    );
    assert.equal((await running.stop()).code, 0);
    agent = undefined;
  };

  it("frozen both ways: drops it by its keepalive, reconnects once it thaws, and publishes every change in order", async () => {
    const source = "web6";
    const running = await start(source, (port) => [`xmpp://127.0.0.1:${port}`]);
    const frozenAt = running.logs.length;
    relay!.pause(); // nothing forwarded either way, nothing closed
    await makeSteps(running, dir, source);
    // The ack timeout of XEP-0198 (60 s after the first unanswered request) would drop it too, late:
    // the keepalive's reason says which noticed.
    const gone = await running.waitForLog(
      "the agent to drop the frozen link",
      (l) => l["msg"] === "disconnected; queueing until reconnected",
      90_000,
      frozenAt,
    );
    assert.match(String(gone["reason"]), /keepalive/);
    assert.equal(bot!.store.alerts.find(source, "c0"), undefined, "nothing got through the frozen link");

    // What the agent wrote before the drop is still held by the relay and reaches the server now,
    // beside the same updates sent again: the bot applies each once.
    relay!.resume();
    const mark = running.logs.length;
    await reconnectsAndDeliversInOrder(running, source, mark);
  });

  it("half dead (the server still talks to it, its own stanzas are lost): drops it, reconnects to the next address, and publishes every change in order", async () => {
    const t = server();
    const source = "web7";
    const running = await start(source, (port) => [
      `xmpp://127.0.0.1:${port}`,
      `xmpp://127.0.0.1:${t.prosody.c2sPort}`,
    ]);
    alice = await PersonClient.login(t, "alice");
    const deadAt = running.logs.length;
    relay!.dropFromClients();
    // Someone keeps writing to the agent: stanzas keep arriving on its side of the dead link, each
    // of which cleared XEP-0198's ack timeout.
    let talking = true;
    const chatter = (async () => {
      while (talking) {
        await alice.say(`${source}@${t.prosody.domain}`, "are you there?").catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    try {
      await makeSteps(running, dir, source);
      const gone = await running.waitForLog(
        "the agent to drop the half-dead link",
        (l) => l["msg"] === "disconnected; queueing until reconnected",
        90_000,
        deadAt,
      );
      assert.match(String(gone["reason"]), /keepalive/);
    } finally {
      talking = false;
      await chatter;
    }
    await reconnectsAndDeliversInOrder(running, source, deadAt);
  });
});
