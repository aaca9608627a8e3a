// Fault: Prosody restarted while 10 agents publish and AlertBot applies. Nobody is told to
// reconnect: the agents and the bot must come back on their own, and every change must arrive.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 10;
const CHANGES = 50; // per agent
const PACE_MS = 40; // between two changes of one agent: the load spans the restart
const RESTART_AFTER_APPLIED = 100;

/** Change k of an agent: alert c(k mod 3), flipping each time it comes round, with a summary naming k. */
function change(source: string, k: number) {
  const round = Math.floor(k / 3);
  return {
    id: `c${k % 3}`,
    state: round % 2 === 0 ? ("raised" as const) : ("cleared" as const),
    summary: `${source} u${k}`,
  };
}

describe("fault: Prosody restarted under load", function () {
  // A restart of ejabberd on a loaded machine took 45 s (the Erlang VM booting again), and the
  // agents logging in again as long.
  this.timeout(240_000);
  let dir: string;
  let bot: RunningBot | undefined;
  const agents: RunningAgent[] = [];
  let alice: PersonClient | undefined;
  const sources = Array.from({ length: AGENTS }, (_, i) => `node${i}`);

  after(async () => {
    for (const a of agents) await a.stop();
    await bot?.stop();
    await alice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();

  it("agents and the bot reconnect by themselves and every change is applied, once, in order", async () => {
    dir = tempDir("mauve-fault-restart-");
    const t = server();
    const botLog = new LogLines();
    const agentLog = new LogLines();
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    agents.push(
      ...(await Promise.all(
        sources.map((s) => startAgent(t, dir, s, "  - { id: steady, state: raised }", agentLog.logger)),
      )),
    );
    await waitFor("every agent known to the bot", () => sources.every((s) => bot!.store.alerts.find(s, "steady")));

    const applied = (): number => botLog.withMsg("update applied").length;
    const base = applied();
    const publishing = Promise.all(
      agents.map(async (a, i) => {
        for (let k = 0; k < CHANGES; k++) {
          a.change([change(sources[i]!, k)]);
          await new Promise((r) => setTimeout(r, PACE_MS));
        }
      }),
    );
    await waitFor("the bot to be applying the load", () => applied() - base >= RESTART_AFTER_APPLIED);
    const restartStarted = Date.now();
    await t.prosody.restart();
    const downMs = Date.now() - restartStarted;
    await publishing;

    await waitFor("every agent's outbox to drain", () => agents.every((a) => a.core.backlog() === 0), 60_000);
    // The last three changes of each agent are the last word on c0, c1 and c2.
    await waitFor(
      "every last change to be applied",
      () =>
        sources.every((s) =>
          [CHANGES - 3, CHANGES - 2, CHANGES - 1].every((k) => {
            const want = change(s, k);
            const got = bot!.store.alerts.find(s, want.id);
            return got?.status === want.state && got.summary === want.summary;
          }),
        ),
      60_000,
    );
    const recoveredMs = Date.now() - restartStarted;

    assert.ok(bot.session.isOnline, "the bot is back online");
    assert.ok(
      agents.every((a) => a.session.isOnline),
      "every agent is back online",
    );
    assert.ok(botLog.withMsg("disconnected").length >= 1, "the bot did lose its connection");
    assert.ok(
      agentLog.withMsg("reconnected; republishing full state after the backlog").length >= AGENTS,
      "every agent reconnected",
    );

    // Nothing lost, nothing twice: each change left its summary in the history exactly once.
    const wrong: string[] = [];
    for (const s of sources) {
      for (let k = 0; k < CHANGES; k++) {
        const want = change(s, k);
        const history = bot.store.alerts.history(bot.store.alerts.find(s, want.id)!.shortId);
        const updated = history.filter((h) => h.kind === "updated" && h.detail === want.summary).length;
        const raised = history.filter((h) => h.kind === "raised" && h.detail === want.summary).length;
        // The first change of an alert raises it (no "updated": there was nothing before).
        const expected = k < 3 ? [0, 1] : [1, want.state === "raised" ? 1 : 0];
        if (updated !== expected[0] || raised !== expected[1]) {
          wrong.push(
            `${want.summary} (${want.id}): updated ${updated}, raised ${raised}; expected ${expected.join(", ")}`,
          );
        }
      }
      const flips = bot.store.alerts
        .history(bot.store.alerts.find(s, "c0")!.shortId)
        .filter((h) => h.kind === "raised" || h.kind === "cleared");
      assert.ok(
        flips.every((h, i) => h.kind !== flips[i - 1]?.kind),
        `${s}/c0: alternating raises and clears`,
      );
    }
    assert.deepEqual(wrong, [], "changes lost or applied twice");
    assert.equal(botLog.withMsg("stale update ignored").length, 0, "nothing arrived out of order");

    // The bot serves chat again: a person who logs in after the restart is answered.
    alice = await PersonClient.login(t, "alice");
    await alice.say(t.prosody.botJid, "show");
    await alice.expect(/#\d+ .*node\d/);
    console.log(
      `      ${AGENTS * CHANGES} changes from ${AGENTS} agents; Prosody restarted after ${RESTART_AFTER_APPLIED} applied (down ${downMs} ms); all applied, once, ${recoveredMs} ms after the restart began`,
    );
  });
});
