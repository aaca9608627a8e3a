// Fault: a fleet arriving at once (a new deployment, every host rebooted). Each new agent makes the
// bot look for nodes again; that must not make every known agent republish its whole state, or N
// agents cost N² full-state updates, queued ahead of their real changes.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 12;

describe("fault: a fleet of agents arriving at once", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  const agents: RunningAgent[] = [];
  after(async () => {
    for (const a of agents) await a.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();

  it(`costs about one full state per agent, not one per agent pair (${AGENTS} agents)`, async () => {
    dir = tempDir("mauve-fault-fleet-");
    const t = server();
    const botLog = new LogLines();
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    const sources = Array.from({ length: AGENTS }, (_, i) => `fleet${i}`);
    agents.push(
      ...(await Promise.all(
        sources.map((s) => startAgent(t, dir, s, "  - { id: up, state: raised }", new LogLines().logger)),
      )),
    );
    await waitFor("every agent known", () => sources.every((s) => bot!.store.alerts.find(s, "up")));
    await waitFor("every outbox drained", () => agents.every((a) => a.core.backlog() === 0));
    // Barrier: one more update from every agent, sent after all the others; an agent's updates
    // arrive in order, so once the bot applied each, everything sent before has arrived.
    for (const a of agents) a.change([{ id: "barrier", state: "raised" }]);
    await waitFor("every agent's last update", () => sources.every((s) => bot!.store.alerts.find(s, "barrier")));
    const count = (msg: string): Map<string, number> => {
      const per = new Map<string, number>();
      for (const l of botLog.withMsg(msg)) per.set(String(l["source"]), (per.get(String(l["source"])) ?? 0) + 1);
      return per;
    };
    const applied = count("update applied");
    for (const s of sources) applied.set(s, (applied.get(s) ?? 0) - 1); // not the barrier
    const reread = count("duplicate update ignored");
    const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    console.log(
      `      ${AGENTS} agents arriving together: ${sum(applied)} updates applied, ${sum(reread)} retained items read again`,
    );
    // The start-up state, then one for each time AlertBot shows itself to the agent: when it adopts the
    // node and when the agent says it is ready (up to two more may cross). With N² it grew with the fleet.
    assert.ok(
      Math.max(...applied.values()) <= 4,
      `an agent republished its state ${Math.max(...applied.values())} times`,
    );
    // Catching up reads each new node's retained items; re-reading every node for every newcomer is N².
    assert.ok(sum(reread) <= 3 * AGENTS, `${sum(reread)} retained items read again`);
  });
});
