// An agent that dies without closing its stream, for real: the installed mauve-agent killed with
// SIGKILL (Prosody keeps its session for XEP-0198 resumption, smacks_hibernation_time, 600 s by
// default, and says it left only then), or frozen with SIGSTOP, as a hung host is (its TCP
// connection stays up, and Prosody never says it left). Before, the people on call heard of its
// host-down 10 minutes late, or never. Now AlertBot pings the agents it believes online, and one
// that lets two go unanswered counts as gone since the first: host-down after host_down.grace, as
// for an agent that said it left, and cleared when it comes back; an agent that stayed online
// through AlertBot's restart is pinged by the new AlertBot too.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { agentYaml } from "../helpers/spine.js";

/** Pinged every 10 s, gone after 20 s: the page comes within a minute, not the server's 10. */
const BOT_YAML = "host_down: { grace: 20s, probe: 10s }\n";
const WITHIN_MS = 90_000;

describe("an agent that dies without closing its stream (installed AlertBot and mauve-agent)", function () {
  this.timeout(300_000);
  const server = withProsody();
  const fx = withProcesses(server);

  /** AlertBot and alice, and web1's agent with one alert raised that alice has been told of. */
  async function agentTold(prefix: string) {
    const started = await fx.botWithAlice(prefix, BOT_YAML);
    const { t, dir, alice } = started;
    await t.prosody.register("web1", "pw-web1").catch(() => undefined); // the second test's account is there
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      agentYaml(t, dir, "web1", "alerts:\n  - { id: disk, state: raised, summary: disk is full }\n"),
    );
    const agent = await fx.startAgent(config);
    await alice.expect(/^RAISED #\d+ web1 disk: disk is full/, 60_000);
    return { ...started, agent, config };
  }

  it("SIGKILL: host-down within the probe and the grace (not when the server ends its session), cleared when it starts again", async () => {
    const { alice, bot, agent, config } = await agentTold("mauve-agent-crash-kill-");
    const mark = bot.logs.length;
    await agent.crash();
    const down = await alice.expect(/^RAISED #\d+ web1 mauve-host-down/, WITHIN_MS);
    const judged = await bot.waitForLog(
      "AlertBot to say why",
      (l) => l["msg"] === "agent does not answer pings; counted as gone",
      10_000,
      mark,
    );
    assert.match(String(judged["agent"]), /^web1@/, down);

    await fx.startAgent(config);
    await alice.expect(/^CLEARED #\d+ web1 mauve-host-down/, 60_000);
  });

  it("AlertBot restarted while the agent runs (which says nothing to the new one), then SIGKILL: host-down within the probe and the grace", async () => {
    const { alice, bot, agent, dir } = await agentTold("mauve-agent-crash-restart-");
    assert.equal((await bot.stop()).code, 0);
    const again = await fx.startBot(join(dir, "alertbot.yaml"));
    await agent.crash();
    await alice.expect(/^RAISED #\d+ web1 mauve-host-down/, WITHIN_MS);
    await again.waitForLog(
      "AlertBot to say why",
      (l) => l["msg"] === "agent does not answer pings; counted as gone",
      10_000,
    );
  });

  it("SIGSTOP (a hung host, its connection up): host-down within the probe and the grace, cleared when it answers again", async () => {
    const { alice, bot, agent } = await agentTold("mauve-agent-crash-stop-");
    const mark = bot.logs.length;
    agent.signal("SIGSTOP");
    try {
      await alice.expect(/^RAISED #\d+ web1 mauve-host-down/, WITHIN_MS);
    } finally {
      agent.signal("SIGCONT");
    }
    await alice.expect(/^CLEARED #\d+ web1 mauve-host-down/, 60_000);
    const said = bot.logs.slice(mark).map((l) => l["msg"]);
    // Back by its answer to a ping, or by a new session if its own keepalive gave up on the old one.
    assert.ok(said.includes("agent does not answer pings; counted as gone"), said.join("\n"));
  });
});
