// A server that never lets an entry point in: it takes each connection and drops it at once, so the
// agent or AlertBot started against it keeps trying, and each try shows as a connection counted.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { BOT_SECRET_ENV } from "./process-bot.js";
import { ChildRun } from "./process-child.js";
import { tempDir } from "./spine.js";

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

/** mauve-agent's config for a server at `port`, its state in `dir`. */
export function droppedAgentYaml(dir: string, port: number): string {
  return `xmpp: { service: "xmpp://127.0.0.1:${port}", jid: web1@x.org, password: s }\nstate_dir: ${join(dir, "state")}\nlog: { level: debug }\n`;
}

/** AlertBot's config for a server at `port`, its database in `dir`, then `extra`; its secret is `s`. */
export function droppedBotYaml(dir: string, port: number, extra = ""): string {
  return `xmpp: { service: "xmpp://127.0.0.1:${port}", component: alertbot.x.org, secret_env: ${BOT_SECRET_ENV}, pubsub: pubsub.x.org }\ndatabase: ${join(dir, "alertbot.sqlite")}\npeople: [{ name: alice, jid: alice@x.org }]\nlog: { level: debug }\n${extra}`;
}

/** A test's dropping server, and the entry points it started against it. */
export interface DroppingServer {
  /** How many connections the server has taken (and dropped) so far. */
  connections(): number;
  /** Starts `entry` with `config(dir, port)` written in a fresh directory, with `env` added. */
  start(
    entry: string,
    config: (dir: string, port: number) => string,
    env: Readonly<Record<string, string>>,
    label: string,
  ): ChildRun;
}

/**
 * Registers mocha hooks: a fresh dropping server before each test, then after it every entry point
 * started on it stopped, the server closed and the directories removed.
 */
export function withDroppingServer(prefix: string): DroppingServer {
  let dropping: Awaited<ReturnType<typeof droppingServer>> | undefined;
  const runs: ChildRun[] = [];
  const dirs: string[] = [];
  beforeEach(async () => {
    dropping = await droppingServer();
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) await run.stop();
    await new Promise((resolve) => dropping?.server.close(resolve));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const current = (): Awaited<ReturnType<typeof droppingServer>> => {
    if (!dropping) throw new Error("withDroppingServer(): no server outside a test");
    return dropping;
  };
  return {
    connections: () => current().connections(),
    start(entry, config, env, label) {
      const dir = tempDir(prefix);
      dirs.push(dir);
      const path = join(dir, "config.yaml");
      writeFileSync(path, config(dir, current().port));
      const run = ChildRun.start(entry, ["--config", path], env, label);
      runs.push(run);
      return run;
    },
  };
}
