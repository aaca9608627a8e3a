// Fault: Prosody stopped for 5 s, then for 90 s, under AlertBot and agents running as real
// processes (bots/alertbot.ts, agents/mauve-agent.ts), the way systemd runs them: nothing else holds
// them alive, so a process with nothing keeping its event loop busy while it waits to reconnect
// simply ends. Each time, they must come back by themselves and carry a check's raise to a person;
// an agent started while the server is down must wait for it.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { agentYaml, PersonClient, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

// Outages: a quick restart, and one long enough for both backoffs to reach their ceiling (60 s).
const OUTAGES_S = [5, 90];
// A reconnect may wait out a whole backoff step (at most 60 s) after Prosody is back; then login,
// resync and, for the agent, AlertBot's presence. Generous: the machine may be loaded.
const RECOVERY_TIMEOUT_MS = 150_000;

describe("fault: Prosody stopped under AlertBot and agents running as processes", function () {
  this.timeout(600_000);
  let dir: string;
  let bot: ChildRun | undefined;
  let agent: ChildRun | undefined;
  let lateAgent: ChildRun | undefined; // started while Prosody is down
  let alice: PersonClient | undefined;

  after(async () => {
    await alice?.stop().catch(() => undefined);
    await agent?.stop();
    await lateAgent?.stop();
    await bot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const p of [bot, agent, lateAgent])
      if (p) process.stderr.write(`\n--- ${p.label} pid ${p.pid} stderr (tail) ---\n${p.stderr.slice(-6000)}\n---\n`);
  });
  const server = withProsody();

  /** Fails at once if either process has ended: nobody asked them to. */
  const assertRunning = (): void => {
    for (const p of [bot, agent, lateAgent]) {
      if (p?.hasExited)
        throw new Error(`${p.label} exited on its own (${JSON.stringify(p.exitStatus)}):\n${p.stderr.slice(-4000)}`);
    }
  };

  /**
   * Keeps Prosody down for `seconds`, watching the processes all the while, and runs `meanwhile`
   * while it is down; starts it again on the same ports and data.
   */
  async function outage(t: TestProsody, seconds: number, meanwhile: () => Promise<void>): Promise<void> {
    const botMark = bot!.logs.length;
    const agentMark = agent!.logs.length;
    await t.prosody.stop();
    // Both notice (the disconnect is the moment today's bug struck), and neither ends while it waits.
    await bot!.waitForLog(
      "the bot to notice",
      (l) => bot!.logs.indexOf(l) >= botMark && l["msg"] === "disconnected",
      30_000,
    );
    await agent!.waitForLog(
      "the agent to notice",
      (l) => agent!.logs.indexOf(l) >= agentMark && l["msg"] === "disconnected; queueing until reconnected",
      30_000,
    );
    await meanwhile();
    const upAgainAt = Date.now() + seconds * 1000;
    await waitFor(
      `${seconds} s of outage`,
      () => {
        assertRunning();
        return Date.now() >= upAgainAt;
      },
      seconds * 1000 + 10_000,
    );
    await t.prosody.start();
  }

  it("the bot and the agents reconnect after each outage, carry a raise to a person, and never exit on their own", async () => {
    dir = tempDir("mauve-fault-process-restart-");
    const t = server();
    const d = t.prosody.domain;
    const config = writeBotConfig(t, dir, `people:\n  - { name: alice, jid: alice@${d} }\n`);
    await t.prosody.register("web1", "pw-web1");
    await t.prosody.register("web2", "pw-web2");
    // One check per outage, raised by its flag file: a change the agent makes only after the restart.
    const flag = (i: number): string => join(dir, `down-${i}`);
    const checks = OUTAGES_S.map(
      (_, i) => `  - id: probe${i}
    command: [/bin/sh, -c, "if [ -e ${flag(i)} ]; then echo probe${i} failing; exit 2; fi; echo ok"]
    interval: 2s
`,
    ).join("");
    const agentConfig = join(dir, "agent.yaml");
    writeFileSync(agentConfig, agentYaml(t, dir, "web1", `log:\n  level: debug\nchecks:\n${checks}`));
    const lateConfig = join(dir, "late-agent.yaml");
    writeFileSync(lateConfig, agentYaml(t, dir, "web2", "alerts:\n  - { id: born-offline, state: raised }\n"));

    alice = await PersonClient.login(t, "alice");
    bot = await startBotProcess(t, config);
    agent = ChildRun.start("agents/mauve-agent.ts", ["--config", agentConfig], {}, "mauve-agent");
    await agent.waitForLog("the agent to run", (l) => l["msg"] === "mauve-agent running", 60_000);

    for (const [i, seconds] of OUTAGES_S.entries()) {
      await alice.stop();
      alice = undefined;
      const botMark = bot.logs.length;
      const agentMark = agent.logs.length;
      // An agent started with the server down waits for it, however long, on its first login too.
      await outage(t, seconds, async () => {
        if (i > 0) return;
        lateAgent = ChildRun.start("agents/mauve-agent.ts", ["--config", lateConfig], {}, "late mauve-agent");
        await lateAgent.waitForLog(
          "the late agent to find no server",
          (l) => l["msg"] === "cannot connect yet; will retry",
          60_000,
        );
      });
      if (i === 0)
        await lateAgent!.waitForLog(
          "the late agent to run",
          (l) => l["msg"] === "mauve-agent running",
          RECOVERY_TIMEOUT_MS,
        );

      await bot.waitForLog(
        `the bot to reconnect after ${seconds} s`,
        (l) => bot!.logs.indexOf(l) >= botMark && l["msg"] === "connected",
        RECOVERY_TIMEOUT_MS,
      );
      await agent.waitForLog(
        `the agent to reconnect after ${seconds} s`,
        (l) =>
          agent!.logs.indexOf(l) >= agentMark && l["msg"] === "reconnected; republishing full state after the backlog",
        RECOVERY_TIMEOUT_MS,
      );
      alice = await PersonClient.login(t, "alice");
      writeFileSync(flag(i), "");
      // Check → agent → Prosody → bot → policy → chat: the whole bus works again.
      const notice = await alice.expect(new RegExp(`RAISED .*probe${i} failing`), RECOVERY_TIMEOUT_MS);
      assert.match(notice, new RegExp(`#\\d+`));
      assertRunning();
    }
    await bot.waitForLog(
      "the late agent's alert to reach the bot",
      (l) => l["msg"] === "update applied" && l["source"] === "web2" && Number(l["changes"]) > 0,
      RECOVERY_TIMEOUT_MS,
    );

    // Only a signal ends them, cleanly, and each says why it went.
    for (const p of [agent, lateAgent!, bot]) {
      const exit = await p.stop();
      assert.deepEqual(exit, { code: 0, signal: null }, `${p.label} stops cleanly on SIGTERM`);
      assert.ok(
        p.logs.some((l) => l["msg"] === "stopping" && l["signal"] === "SIGTERM"),
        `${p.label} logs why it stops`,
      );
    }
  });
});
