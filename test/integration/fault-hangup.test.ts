// SIGHUP to an entry point running as a process (the way `systemctl reload`, ExecReload=kill -HUP,
// sends it): Node ends a process that has no handler for it, and mauve-agent had none, nor AlertBot
// until its start-up had finished, which for a failover bot waits for the server. Each must handle
// it from its first moment. A server that drops every connection keeps them waiting for it.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { ChildRun } from "../helpers/process-child.js";
import { BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

/** A server on loopback that takes each connection and drops it at once, counting them. */
async function droppingServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket: Socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return { server, port: address.port, connections: () => count };
}

const botYaml = (dir: string, port: number, failover: string): string =>
  `xmpp: { service: "xmpp://127.0.0.1:${port}", component: alertbot.x.org, secret_env: ${BOT_SECRET_ENV}, pubsub: pubsub.x.org }\ndatabase: ${join(dir, "alertbot.sqlite")}\npeople: [{ name: alice, jid: alice@x.org }]\nlog: { level: debug }\n${failover}`;

describe("fault: SIGHUP to an entry point that waits for its server", function () {
  this.timeout(120_000);
  let dropping: Awaited<ReturnType<typeof droppingServer>> | undefined;
  const runs: ChildRun[] = [];
  beforeEach(async () => {
    dropping = await droppingServer();
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) await run.stop();
    await new Promise((resolve) => dropping?.server.close(resolve));
  });

  const entryPoints = [
    {
      name: "mauve-agent",
      entry: "agents/mauve-agent.ts",
      config: (dir: string, port: number) =>
        `xmpp: { service: "xmpp://127.0.0.1:${port}", jid: web1@x.org, password: s }\nstate_dir: ${join(dir, "state")}\nlog: { level: debug }\n`,
      said: "SIGHUP ignored: mauve-agent reads its configuration only at start; restart it to apply a change",
    },
    {
      name: "AlertBot",
      entry: "bots/alertbot.ts",
      config: (dir: string, port: number) => botYaml(dir, port, ""),
      said: "reloading the configuration",
    },
    {
      name: "AlertBot with failover, not yet connected",
      entry: "bots/alertbot.ts",
      config: (dir: string, port: number) =>
        botYaml(dir, port, "failover: { standby_component: standby.alertbot.x.org }\n"),
      said: "SIGHUP while AlertBot starts: it reads its configuration file again once running (a standby: when it takes over)",
    },
  ];
  for (const ep of entryPoints)
    it(`${ep.name} logs what it does with SIGHUP, goes on, and stops with 0 when told`, async () => {
      const dir = tempDir("mauve-hangup-");
      const config = join(dir, "config.yaml");
      writeFileSync(config, ep.config(dir, dropping!.port));
      const run = ChildRun.start(ep.entry, ["--config", config], { [BOT_SECRET_ENV]: "s" }, ep.name);
      runs.push(run);
      await waitFor("a first try at the server", () => dropping!.connections() >= 1, 60_000);
      run.signal("SIGHUP");
      await run.waitForLog("SIGHUP answered", (l) => l["msg"] === ep.said, 30_000);
      const seen = dropping!.connections();
      await waitFor(
        "two more tries at the server",
        () => {
          if (run.hasExited) throw new Error(`${ep.name} exited on SIGHUP: ${JSON.stringify(run.exitStatus)}`);
          return dropping!.connections() >= seen + 2;
        },
        60_000,
      );
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
    });
});
