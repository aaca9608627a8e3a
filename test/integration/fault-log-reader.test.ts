// The log reader goes away: the read end of an entry point's stderr is closed (a `| tee` ended, a
// log shipper restarted), so every later log line fails with EPIPE. Node throws that at the
// process, and the agent and AlertBot died of it. They go on without their logs. The entry points
// run as processes; a TCP server that drops every connection shows they keep trying (and logging).
// mauvesend, short-lived, died the same way with a stack before sending (`mauvesend -v | true`).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { droppedAgentYaml, droppedBotYaml, withDroppingServer } from "../helpers/dropping-server.js";
import { REPO_ROOT } from "../helpers/process-child.js";
import { BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("fault: the log reader goes away", function () {
  this.timeout(120_000);
  const dropping = withDroppingServer("mauve-log-reader-");

  const entryPoints = [
    { name: "mauve-agent", entry: "agents/mauve-agent.ts", config: droppedAgentYaml, env: {} },
    {
      name: "AlertBot",
      entry: "bots/alertbot.ts",
      config: (dir: string, port: number) => droppedBotYaml(dir, port),
      env: { [BOT_SECRET_ENV]: "s" },
    },
  ];
  for (const ep of entryPoints)
    it(`${ep.name} goes on when its stderr is closed, and stops with 0 when told`, async () => {
      const run = dropping.start(ep.entry, ep.config, ep.env, ep.name);
      await waitFor("a first try at the server", () => dropping.connections() >= 1, 60_000);
      await waitFor("its log", () => run.logs.length > 0, 30_000);
      run.closeOutput();
      // Each try is logged: two more tries mean lines written into the closed pipe.
      const seen = dropping.connections();
      await waitFor(
        "two more tries at the server",
        () => {
          if (run.hasExited)
            throw new Error(`${ep.name} exited once its stderr was closed: ${JSON.stringify(run.exitStatus)}`);
          return dropping.connections() >= seen + 2;
        },
        60_000,
      );
      assert.equal(run.hasExited, false, `${ep.name} exited: ${JSON.stringify(run.exitStatus)}`);
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
    });
});

describe("fault: mauvesend's reader goes away", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  const server = withProsody();
  before(async () => {
    dir = tempDir("mauve-mauvesend-closed-");
    bot = await startBot(server(), dir, ["alice"], new LogLines().logger);
    await server().prosody.register("web7", "pw-web7");
  });
  after(async () => {
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `mauvesend args` with the read end of `closed` shut before it writes; its status and stderr. */
  function mauvesendClosed(
    args: string[],
    closed: ReadonlyArray<"stdout" | "stderr">,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const p = server().prosody;
    const child = spawn(process.execPath, ["--import", "tsx", "agents/mauvesend.ts", ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env["PATH"] ?? "",
        MAUVE_XMPP_JID: `web7@${p.domain}`,
        MAUVE_XMPP_PASSWORD: "pw-web7",
        MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${p.c2sPort}`,
        MAUVE_XMPP_PUBSUB: p.pubsubJid,
        MAUVE_XMPP_BOT: p.botJid,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    for (const name of closed) child[name].destroy();
    if (!closed.includes("stderr")) child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  it("mauvesend -v with its stdout closed sends, exits 0, and prints no stack", async () => {
    const ran = await mauvesendClosed(["-v", "-o", "web7", "-i", "stdout-closed", "-s", "sent anyway"], ["stdout"]);
    assert.deepEqual(ran, { code: 0, signal: null, stderr: "" });
    const alert = await waitFor("the bot to store it", () => bot!.store.alerts.find("web7", "stdout-closed"));
    assert.equal(alert.summary, "sent anyway");
  });

  it("mauvesend -v -v with stdout and stderr closed sends and exits 0", async () => {
    const ran = await mauvesendClosed(["-v", "-v", "-o", "web7", "-i", "both-closed"], ["stdout", "stderr"]);
    assert.deepEqual([ran.code, ran.signal], [0, null]);
    await waitFor("the bot to store it", () => bot!.store.alerts.find("web7", "both-closed"));
  });
});
