// An agent process whose checks a test raises and clears in steps (flag files), and the checks that
// AlertBot applied every step once and in order: what tests of a link that fails under the agent
// (frozen, half dead, over TLS) assert once it is back.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningBot } from "../../src/bot/run-bot.js";
import type { ChildRun } from "./process-child.js";
import type { TestProsody } from "./prosody.js";
import { agentYaml, LogLines, startBot, tempDir } from "./spine.js";
import type { TcpRelay } from "./tcp-proxy.js";
import { waitFor } from "./wait-for.js";

/** AlertBot in this process for a suite, and the agent process and relay of the test running. */
export interface AgentSuite {
  readonly dir: string;
  readonly botLog: LogLines;
  readonly bot: RunningBot;
  /** Stopped after each test (its stderr shown if the test failed). */
  agent: ChildRun | undefined;
  /** Closed after each test. */
  relay: TcpRelay | undefined;
  /** Waits until the bot has applied an update from `source` (its start-up state, say). */
  botHeardFrom(source: string): Promise<unknown>;
  /** Waits until every step of `source` has reached the bot, and asserts each came once, in order. */
  stepsArrivedInOrder(source: string): Promise<void>;
  /**
   * Freezes the relay under `agent`, makes every step, and waits for the agent to drop the link by
   * its keepalive (nothing having reached the bot). Returns where the log stood at the freeze and
   * the reason the agent gave; the relay stays frozen.
   */
  stepsWhileFrozen(agent: ChildRun, source: string): Promise<{ frozenAt: number; reason: string }>;
}

/**
 * Registers mocha hooks on the enclosing `describe`: AlertBot (people: alice) on `server` for the
 * whole suite, with its data in a temporary directory named after `prefix`; after each test, the
 * suite's agent stopped and its relay closed. Read the fields inside tests.
 */
export function withAgentSuite(server: () => TestProsody, prefix: string): AgentSuite {
  let running: { dir: string; botLog: LogLines; bot: RunningBot } | undefined;
  const now = (): NonNullable<typeof running> => {
    if (!running) throw new Error("withAgentSuite(): the bot is not running (before() failed or suite ended)");
    return running;
  };
  const suite: AgentSuite = {
    get dir() {
      return now().dir;
    },
    get botLog() {
      return now().botLog;
    },
    get bot() {
      return now().bot;
    },
    agent: undefined,
    relay: undefined,
    botHeardFrom: (source) =>
      waitFor(
        `the bot to apply an update from ${source}`,
        () => now().botLog.lines.some((l) => l["msg"] === "update applied" && l["source"] === source),
        60_000,
      ),
    async stepsArrivedInOrder(source) {
      const { bot, botLog } = now();
      await waitFor("every change to reach the bot", () => allArrived(bot, source), 120_000);
      assertTrail(bot, source);
      assert.deepEqual(
        botLog.withMsg("stale update ignored").filter((l) => l["source"] === source),
        [],
        "nothing arrived out of order",
      );
    },
    async stepsWhileFrozen(agent, source) {
      const frozenAt = agent.logs.length;
      suite.relay!.pause(); // nothing forwarded either way, nothing closed
      await makeSteps(agent, now().dir, source);
      // The ack timeout of XEP-0198 (60 s after the first unanswered request) would drop it too, late:
      // the keepalive's reason says which noticed.
      const gone = await agent.waitForLog(
        "the agent to drop the frozen link",
        (l) => l["msg"] === "disconnected; queueing until reconnected",
        90_000,
        frozenAt,
      );
      const reason = String(gone["reason"]);
      assert.match(reason, /keepalive/);
      assert.equal(now().bot.store.alerts.find(source, "c0"), undefined, "nothing got through the frozen link");
      return { frozenAt, reason };
    },
  };
  before(async () => {
    const dir = tempDir(prefix);
    const botLog = new LogLines();
    running = { dir, botLog, bot: await startBot(server(), dir, ["alice"], botLog.logger) };
  });
  after(async () => {
    await running?.bot.stop();
    if (running) rmSync(running.dir, { recursive: true, force: true });
    running = undefined;
  });
  afterEach(async function () {
    const { agent } = suite;
    if (this.currentTest?.state === "failed" && agent)
      process.stderr.write(`\n--- mauve-agent stderr (tail) ---\n${agent.stderr.slice(-8000)}\n---\n`);
    await agent?.stop();
    suite.agent = undefined;
    await suite.relay?.close();
    suite.relay = undefined;
  });
  return suite;
}

/** Steps made while the link is dead: each raises one check and clears the one before. */
export const STEPS = 4;

/** The flag file that fails check `c<i>` of `source` while it exists. */
export const flagOf = (dir: string, source: string, i: number): string => join(dir, `${source}-c${i}-down`);

/**
 * Writes an agent config for `source` (its account registered) reaching the server at `services`,
 * with a 2 s keepalive and `checks` checks (one per step by default), each failing while its flag
 * exists. Returns its path.
 */
export async function writeStepsAgentConfig(
  t: TestProsody,
  dir: string,
  source: string,
  services: readonly string[],
  checks = STEPS,
): Promise<string> {
  await t.prosody.register(source, `pw-${source}`);
  const checkYaml = Array.from(
    { length: checks },
    (_, i) => `  - id: c${i}
    command: [/bin/sh, -c, "if [ -e ${flagOf(dir, source, i)} ]; then echo c${i} is down; exit 2; fi; echo ok"]
    interval: 1s
`,
  ).join("");
  const yaml = agentYaml(t, dir, source, `log:\n  level: debug\nchecks:\n${checkYaml}`);
  const direct = `  service: xmpp://127.0.0.1:${t.prosody.c2sPort}\n`;
  assert.ok(yaml.includes(direct));
  const path = join(dir, `${source}.yaml`);
  writeFileSync(path, yaml.replace(direct, `  service: [${services.join(", ")}]\n  keepalive: 2s\n`));
  return path;
}

/** Raises c0..c<STEPS-1> in turn, clearing the one before, each seen by the agent before the next. */
export async function makeSteps(agent: ChildRun, dir: string, source: string): Promise<void> {
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

/** The kinds of change (raised, cleared) the bot applied to check `id` of `source`, in order, with their ids. */
export function appliedChanges(bot: RunningBot, source: string, id: string): Array<{ id: number; kind: string }> {
  const alert = bot.store.alerts.find(source, id);
  if (!alert) return [];
  return bot.store.alerts.history(alert.shortId).filter((h) => h.kind === "raised" || h.kind === "cleared");
}

/** Asserts the bot applied every step of `source` once, in the order the agent made them. */
export function assertTrail(bot: RunningBot, source: string): void {
  let lastRaise = 0;
  for (let i = 0; i < STEPS; i++) {
    const kinds = appliedChanges(bot, source, `c${i}`);
    assert.ok(kinds.length > 0, `c${i} reached the bot`);
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
