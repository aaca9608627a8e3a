// The agent against a real Prosody and AlertBot when the network fails: a Prosody outage, and an
// agent process killed with SIGKILL in the middle of publishing its backlog.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AgentCore } from "../../src/agent/agent-core.js";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { createLogger } from "../../src/log.js";
import { Outbox } from "../../src/store/outbox.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { agentYaml as agentConfigYaml, LogLines, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** An agent config as an admin would write it, for `source` on the test server, logging at debug. */
function agentYaml(t: TestProsody, dir: string, source: string): string {
  return agentConfigYaml(t, dir, source, "log:\n  level: debug\n");
}

/** Step i raises `<prefix><i>` and clears the one before: a trail that only an in-order, complete replay leaves intact. */
function step(prefix: string, i: number) {
  return [
    { id: `${prefix}${i}`, state: "raised" as const, summary: `step ${i}` },
    ...(i > 0 ? [{ id: `${prefix}${i - 1}`, state: "cleared" as const }] : []),
  ];
}

/** Whether the bot has recorded the raise of `id`. */
function raisedOnce(bot: RunningBot, source: string, id: string): boolean {
  const alert = bot.store.alerts.find(source, id);
  return alert !== undefined && bot.store.alerts.history(alert.shortId).some((h) => h.kind === "raised");
}

/**
 * Asserts the bot applied steps 0..n-1 of `prefix` each exactly once, in order. The last step may
 * also have been cleared since, by a full state from an agent process that restarted: alerts made
 * by hand (not by its checks or config) are not part of the state it resumes.
 */
function assertTrail(bot: RunningBot, source: string, prefix: string, n: number, lastMayClear = false): void {
  let lastRaise = 0;
  for (let i = 0; i < n; i++) {
    const alert = bot.store.alerts.find(source, `${prefix}${i}`);
    assert.ok(alert, `${prefix}${i} reached the bot`);
    const kinds = bot.store.alerts.history(alert.shortId).filter((h) => h.kind === "raised" || h.kind === "cleared");
    const last = lastMayClear && kinds.length === 2 ? ["raised", "cleared"] : ["raised"];
    assert.deepEqual(
      kinds.map((h) => h.kind),
      i < n - 1 ? ["raised", "cleared"] : last,
      `${prefix}${i}: applied once`,
    );
    assert.ok(kinds[0]!.id > lastRaise, `${prefix}${i} applied after ${prefix}${i - 1}`);
    lastRaise = kinds[0]!.id;
  }
}

describe("agent: outages against a real Prosody", function () {
  this.timeout(120_000);
  let dir: string;
  let botLog: LogLines;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let child: ChildProcess | undefined;
  const childLog: string[] = [];

  afterEach(function () {
    if (this.currentTest?.state === "failed" && childLog.length > 0)
      process.stderr.write(
        `\n--- the agent process's log ---\n${childLog.join("").split("\n").slice(-80).join("\n")}\n---\n`,
      );
  });

  after(async () => {
    child?.kill("SIGKILL");
    await agent?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-agent-outage-");
    botLog = new LogLines();
    bot = await startBot(server(), dir, ["alice"], botLog.logger);
  });

  it("stop Prosody, make 100 state changes, start it: the bot applies all of them, in order, none twice", async () => {
    const t = server();
    await t.prosody.register("web2", "pw-web2");
    const agentLog = new LogLines();
    const config = loadAgentConfig(agentYaml(t, dir, "web2"), { file: "agent.yaml" });
    agent = await runAgent(config, systemClock, agentLog.logger);
    await waitFor("the bot to know web2", () => bot!.store.sources.get("web2"));
    await waitFor("the start-up state to go out", () => agent!.core.backlog() === 0);

    await t.prosody.stop();
    await waitFor("the agent to notice", () => !agent!.session.isOnline);
    for (let i = 0; i < 100; i++) agent.change(step("c", i));
    assert.ok(agent.core.backlog() >= 100, "queued while the server is down");

    await t.prosody.restart();
    await waitFor("the backlog to drain", () => agent!.core.backlog() === 0, 60_000);
    await waitFor(
      "the last change to be applied",
      () => bot!.store.alerts.find("web2", "c99")?.status === "raised",
      30_000,
    );
    assertTrail(bot!, "web2", "c", 100);
    assert.equal(botLog.withMsg("stale update ignored").length, 0, "nothing arrived out of order");
    assert.ok(agentLog.withMsg("reconnected; republishing full state after the backlog").length >= 1);
    await agent.stop();
    agent = undefined;
  });

  it("SIGKILL the agent process mid-publish and restart it: nothing lost, nothing applied twice", async () => {
    const t = server();
    await t.prosody.register("web3", "pw-web3");
    const configFile = join(dir, "web3.yaml");
    writeFileSync(configFile, agentYaml(t, dir, "web3"));
    const config = loadAgentConfig(agentYaml(t, dir, "web3"), { file: configFile });
    // A backlog of 300 changes waiting in the agent's outbox, as after a long outage.
    const N = 300;
    mkdirSync(config.stateDir, { recursive: true });
    const outbox = new Outbox(join(config.stateDir, "outbox.sqlite"));
    const core = new AgentCore({
      clock: systemClock,
      log: createLogger({ level: "error" }),
      outbox,
      source: "web3",
      heartbeatMs: null,
    });
    for (let i = 0; i < N; i++) core.change(step("k", i));
    outbox.close();

    const start = (): ChildProcess => {
      const proc = spawn(process.execPath, ["--import", "tsx", "agents/mauve-agent.ts", "--config", configFile], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      });
      proc.stderr?.on("data", (d: Buffer) => childLog.push(d.toString()));
      return proc;
    };
    child = start();
    await waitFor("the agent to be publishing its backlog", () => raisedOnce(bot!, "web3", "k50"), 60_000);
    child.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));
    const reopened = new Outbox(join(config.stateDir, "outbox.sqlite"));
    const left = reopened.size();
    reopened.close();
    assert.ok(left > 0 && left < N, `killed mid-publish (${left} of ${N} left)`);

    child = start();
    await waitFor("the rest to be applied", () => raisedOnce(bot!, "web3", `k${N - 1}`), 90_000);
    assertTrail(bot!, "web3", "k", N, true);
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child!.once("exit", (c) => resolve(c)));
    assert.equal(code, 0, "a clean stop on SIGTERM");
    child = undefined;
  });
});
