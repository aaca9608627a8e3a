// SIGHUP to an entry point running as a process (the way `systemctl reload`, ExecReload=kill -HUP,
// sends it): Node ends a process that has no handler for it, and mauve-agent had none, nor AlertBot
// until its start-up had finished, which for a failover bot waits for the server. Each must handle
// it from its first moment. A server that drops every connection keeps them waiting for it.
import assert from "node:assert/strict";
import { droppedAgentYaml, droppedBotYaml, withDroppingServer } from "../helpers/dropping-server.js";
import { BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { waitFor } from "../helpers/wait-for.js";

describe("fault: SIGHUP to an entry point that waits for its server", function () {
  this.timeout(120_000);
  const dropping = withDroppingServer("mauve-hangup-");

  const entryPoints = [
    {
      name: "mauve-agent",
      entry: "agents/mauve-agent.ts",
      config: droppedAgentYaml,
      said: "SIGHUP ignored: mauve-agent reads its configuration only at start; restart it to apply a change",
    },
    {
      name: "AlertBot",
      entry: "bots/alertbot.ts",
      config: (dir: string, port: number) => droppedBotYaml(dir, port),
      said: "reloading the configuration",
    },
    {
      name: "AlertBot with failover, not yet connected",
      entry: "bots/alertbot.ts",
      config: (dir: string, port: number) =>
        droppedBotYaml(dir, port, "failover: { standby_component: standby.alertbot.x.org }\n"),
      said: "SIGHUP while AlertBot starts: it reads its configuration file again once running (a standby: when it takes over)",
    },
  ];
  for (const ep of entryPoints)
    it(`${ep.name} logs what it does with SIGHUP, goes on, and stops with 0 when told`, async () => {
      const run = dropping.start(ep.entry, ep.config, { [BOT_SECRET_ENV]: "s" }, ep.name);
      await waitFor("a first try at the server", () => dropping.connections() >= 1, 60_000);
      run.signal("SIGHUP");
      await run.waitForLog("SIGHUP answered", (l) => l["msg"] === ep.said, 30_000);
      const seen = dropping.connections();
      await waitFor(
        "two more tries at the server",
        () => {
          if (run.hasExited) throw new Error(`${ep.name} exited on SIGHUP: ${JSON.stringify(run.exitStatus)}`);
          return dropping.connections() >= seen + 2;
        },
        60_000,
      );
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
    });
});
