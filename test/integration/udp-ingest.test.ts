// Legacy Mauve UDP ingest end to end: packets made by protoc in Mauve's byte layout, sent to a real
// mauve-alertbot process (bots/alertbot.ts with a `udp` section) connected to a real Prosody, and to
// runBot in-process, which starts and stops the listener itself.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "../../src/store/store.js";
import { mauvePacket as packet, sendUdp as send } from "../helpers/mauve-udp.js";
import { withProsody } from "../helpers/prosody.js";
import { botConfigYaml, BOT_SECRET_ENV } from "../helpers/process-bot.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { LogLines, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("udp: Mauve packets into a real AlertBot", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: ChildProcess | undefined;
  const lines: Array<Record<string, unknown>> = [];
  const logged = (msg: string) => lines.filter((l) => l["msg"] === msg);

  after(async () => {
    if (bot && bot.exitCode === null) {
      bot.kill("SIGTERM");
      await new Promise((resolve) => bot!.once("exit", resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-udp-");
    const p = server().prosody;
    const config = join(dir, "alertbot.yaml");
    writeFileSync(
      config,
      botConfigYaml(
        server(),
        dir,
        `people:
  - name: alice
    jid: alice@${p.domain}
udp:
  listen: "127.0.0.1:0"
  allow: ["127.0.0.1/32"]
log:
  level: debug`,
      ),
    );
    bot = spawn(process.execPath, ["--import", "tsx", "bots/alertbot.ts", "--config", config], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", [BOT_SECRET_ENV]: server().botSecret },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let buffered = "";
    bot.stderr!.on("data", (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ msg: "(not JSON)", line });
        }
      }
    });
    await waitFor("the bot to listen on UDP", () => logged("listening for Mauve UDP updates")[0], 30_000);
  });

  it("applies Mauve's packets once (every field at its default, transmission id above 2^53, the same packet twice), drops the rest", async () => {
    const port = Number(logged("listening for Mauve UDP updates")[0]!["port"]);
    const now = Math.floor(Date.now() / 1000);
    const raise = packet("mauvesend-raise", now);
    await send(raise, port);
    await send(raise, port); // Mauve senders repeat themselves; the duplicate must apply once
    await send(Buffer.from("not a protobuf at all"), port);
    await send(raise, port, "127.0.0.2"); // outside the allow-list
    await waitFor("the duplicate to be seen", () => logged("duplicate update ignored").length >= 1);
    await waitFor("the junk to be logged", () => logged("malformed UDP packet dropped").length >= 1);
    await waitFor(
      "the stranger to be logged",
      () => logged("UDP packet from outside the allow-list dropped").length >= 1,
    );
    await send(packet("mauvesend-clear", now + 1), port);
    await waitFor("the clear to be applied", () => logged("update applied").length >= 2);

    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      const alert = store.alerts.find("legacy1", "disk");
      assert.ok(alert, "stored under Mauve's source and id");
      assert.deepEqual([alert.status, alert.summary], ["cleared", "/ is 97% full"]);
      const kinds = store.alerts
        .history(alert.shortId)
        .map((h) => h.kind)
        .filter((k) => k === "raised" || k === "cleared");
      assert.deepEqual(kinds, ["raised", "cleared"], "the repeated packet was applied once");
    } finally {
      store.close();
    }
    const applied = logged("update applied");
    assert.deepEqual(
      applied.map((l) => [l["via"], l["transmissionId"]]),
      [
        ["udp", "9223372036854775813"],
        ["udp", "18446744073709551557"],
      ],
      "ids kept exact past 2^53",
    );
    assert.equal(logged("UDP packet from outside the allow-list dropped")[0]?.["from"], "127.0.0.2");
  });
});

describe("udp: runBot is the whole bot, its UDP listener included", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  const log = new LogLines();
  const server = withProsody();
  const udpYaml = (listen: string) => `udp:\n  listen: "${listen}"\n  allow: ["127.0.0.1/32"]\n`;

  after(async () => {
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("listens when the config has a udp section, keeps its address over a reload, and closes it on stop", async () => {
    dir = tempDir("mauve-udp-runbot-");
    bot = await startBot(server(), dir, ["alice"], log.logger, { extraYaml: udpYaml("127.0.0.1:0") });
    assert.ok(bot.udp, "runBot started the UDP listener itself");
    const { port } = bot.udp.address;
    const now = Math.floor(Date.now() / 1000);
    await send(packet("mauvesend-raise", now), port);
    await waitFor("the packet to be applied", () => bot!.store.alerts.find("legacy1", "disk")?.status === "raised");

    // The listener's own settings take a restart: a reload keeps the bound address and says so.
    const t = server();
    const next = loadBotConfig(
      botConfigYaml(t, dir, `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n${udpYaml("127.0.0.1:1")}`),
      {
        file: "alertbot.yaml",
        env: { [BOT_SECRET_ENV]: t.botSecret },
      },
    );
    assert.deepEqual((await bot.reload(next)).needsRestart, ["udp"]);
    assert.equal(bot.udp.address.port, port);
    await send(packet("mauvesend-clear", now + 1), port);
    await waitFor("the clear to be applied", () => bot!.store.alerts.find("legacy1", "disk")?.status === "cleared");

    const udp = bot.udp;
    await bot.stop();
    bot = undefined;
    assert.equal(udp.stats().applied, 2);
    // A closed listener: a new socket may bind the same port.
    const probe = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.bind(port, "127.0.0.1", () => resolve());
    });
    probe.close();
  });
});
