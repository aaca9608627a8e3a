// Two agent processes given the same account (a config copied to a second host), on a real Prosody
// with AlertBot and a person: the server gives the address to the newest login, so the two take it
// from each other. They must not do so several times a second for ever, unheard: each waits longer
// every time, and the agent raises an alert of its own, which reaches the person on call.
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADDRESS_TAKEN_ALERT_ID } from "../../src/codec/agent-alert-ids.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { ChildRun } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { agentYaml, LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TAKEN = "another process keeps logging in with this agent's address: two agents share one account?";

describe("two agent processes on one account", function () {
  this.timeout(180_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: RunningBot | undefined;
  let alice: PersonClient | undefined;
  const agents: ChildRun[] = [];

  after(async () => {
    for (const a of agents) await a.stop();
    await alice?.stop();
    await bot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const a of agents) process.stderr.write(`\n--- ${a.label} stderr (tail) ---\n${a.stderr.slice(-3000)}\n`);
  });

  it("back off from each other, raise the agent's own alert to the person on call, and the one left goes on", async () => {
    dir = tempDir("mauve-twin-");
    const t = server();
    bot = await startBot(t, dir, ["alice"], new LogLines().logger);
    alice = await PersonClient.login(t, "alice");
    await t.prosody.register("web1", "pw-web1");
    for (const host of ["hosta", "hostb"]) {
      const home = join(dir, host); // each host its own state directory, as on two machines
      mkdirSync(home);
      const file = join(home, "agent.yaml");
      writeFileSync(
        file,
        agentYaml(
          t,
          home,
          "web1",
          `log:\n  level: info\nalerts:\n  - { id: disk, summary: disk on ${host}, state: raised }\n`,
        ),
      );
      agents.push(ChildRun.start("agents/mauve-agent.ts", ["--config", file], {}, `agent on ${host}`));
    }
    const [a, b] = agents as [ChildRun, ChildRun];

    // Each is replaced again and again; each says why, with a longer streak every time, and so a
    // longer wait before it takes the address back (the waits themselves: test/unit/xmpp-lifecycle).
    await waitFor(
      "both agents to see the tug of war",
      () => a.withMsg(TAKEN).length > 0 && b.withMsg(TAKEN).length > 0,
      60_000,
    );
    const notice = await alice.expect(
      new RegExp(`^RAISED #\\d+ .*another process logs in as web1@${t.prosody.domain}`),
      60_000,
    );
    const stored = await waitFor("the agent's alert at the bot", () => {
      const alert = bot!.store.alerts.find("web1", ADDRESS_TAKEN_ALERT_ID);
      return alert?.status === "raised" ? alert : undefined;
    });
    assert.match(stored.detail, /Give each host its own XMPP account and source/);
    for (const agent of [a, b]) {
      const streaks = agent.withMsg(TAKEN).map((l) => Number(l["replacedStreak"]));
      assert.ok(
        streaks.every((n, i) => i === 0 || n > streaks[i - 1]!),
        `${agent.label}: each time in a row counted (${streaks.join(", ")})`,
      );
      assert.equal(agent.hasExited, false, `${agent.label} keeps running`);
    }

    // The copy is stopped: the agent left takes the address back (if it was the one waiting) and
    // its full state is what the bot holds.
    assert.equal((await b.stop()).code, 0);
    const holds = (): boolean => {
      for (const line of [...a.logs].reverse()) {
        if (line["msg"] === "disconnected; queueing until reconnected") return false;
        if (
          line["msg"] === "reconnected; republishing full state after the backlog" ||
          line["msg"] === "mauve-agent running"
        )
          return true;
      }
      return false;
    };
    await waitFor("hosta to hold the address", () => holds() || undefined, 120_000);
    await waitFor(
      "the bot to hold hosta's state",
      () => bot!.store.alerts.find("web1", "disk")?.summary === "disk on hosta" || undefined,
      60_000,
    );
    await waitFor("web1 up at the bot", () => !bot!.store.sources.down().has("web1"), 60_000);
    console.log(
      `      ${notice.split("\n")[0]}; streaks hosta ${a
        .withMsg(TAKEN)
        .map((l) => l["replacedStreak"])
        .join(",")}, hostb ${b
        .withMsg(TAKEN)
        .map((l) => l["replacedStreak"])
        .join(",")}`,
    );
  });
});
