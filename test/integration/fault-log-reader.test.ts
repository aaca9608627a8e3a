// The log reader goes away: the read end of an entry point's stderr is closed (a `| tee` ended, a
// log shipper restarted), so every later log line fails with EPIPE. Node throws that at the
// process, and the agent and AlertBot died of it. They go on without their logs. The entry points
// run as processes; a TCP server that drops every connection shows they keep trying (and logging).
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

describe("fault: the log reader goes away", function () {
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
      env: {},
    },
    {
      name: "AlertBot",
      entry: "bots/alertbot.ts",
      config: (dir: string, port: number) =>
        `xmpp: { service: "xmpp://127.0.0.1:${port}", component: alertbot.x.org, secret_env: ${BOT_SECRET_ENV}, pubsub: pubsub.x.org }\ndatabase: ${join(dir, "alertbot.sqlite")}\npeople: [{ name: alice, jid: alice@x.org }]\nlog: { level: debug }\n`,
      env: { [BOT_SECRET_ENV]: "s" },
    },
  ];
  for (const ep of entryPoints)
    it(`${ep.name} goes on when its stderr is closed, and stops with 0 when told`, async () => {
      const dir = tempDir("mauve-log-reader-");
      const config = join(dir, "config.yaml");
      writeFileSync(config, ep.config(dir, dropping!.port));
      const run = ChildRun.start(ep.entry, ["--config", config], ep.env, ep.name);
      runs.push(run);
      await waitFor("a first try at the server", () => dropping!.connections() >= 1, 60_000);
      await waitFor("its log", () => run.logs.length > 0, 30_000);
      run.closeOutput();
      // Each try is logged: two more tries mean lines written into the closed pipe.
      const seen = dropping!.connections();
      await waitFor(
        "two more tries at the server",
        () => {
          if (run.hasExited)
            throw new Error(`${ep.name} exited once its stderr was closed: ${JSON.stringify(run.exitStatus)}`);
          return dropping!.connections() >= seen + 2;
        },
        60_000,
      );
      assert.equal(run.hasExited, false, `${ep.name} exited: ${JSON.stringify(run.exitStatus)}`);
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
    });
});
